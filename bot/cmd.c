#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool cmd_config_opt(int argc, char **argv, int *i, const char **path, bool *bad)
{
	const char *a = argv[*i];
	if (strcmp(a, "-c") != 0 && strcmp(a, "--config") != 0) {
		if (strncmp(a, "--config=", 9) == 0) {
			*path = a + 9;
			return true;
		}
		return false;
	}
	if (*i + 1 >= argc) {
		*bad = true;
		return true;
	}
	*path = argv[++*i];
	return true;
}

int cmd_only_config(const struct cmd_entry *e, int argc, char **argv, const char **path)
{
	for (int i = 1; i < argc; i++) {
		bool bad = false;
		if (cmd_config_opt(argc, argv, &i, path, &bad)) {
			if (bad)
				return cmd_usage_error(e, "-c needs a file\n");
			continue;
		}
		return cmd_usage_error(e, "unknown argument: %s\n", argv[i]);
	}
	return -1;
}

bool cmd_load_or_report(struct cmd_ctx *ctx, const char *cfg_path, bool want_bank)
{
	if (cmd_load(ctx, cfg_path, want_bank))
		return true;
	cmd_print_diags(ctx);
	cmd_ctx_free(ctx);
	return false;
}

bool cmd_load(struct cmd_ctx *ctx, const char *cfg_path, bool want_bank)
{
	memset(ctx, 0, sizeof *ctx);
	diags_init(&ctx->diags);
	cfg_init(&ctx->cfg);
	bank_init(&ctx->bank);
	bool explicit_path = cfg_path != NULL;
	ctx->cfg_path = cfg_path ? cfg_path : CFG_DEFAULT_PATH;
	if (explicit_path || access(ctx->cfg_path, F_OK) == 0)
		cfg_load(&ctx->cfg, ctx->cfg_path, &ctx->diags);
	if (want_bank)
		bank_load_dir(&ctx->bank, ctx->cfg.questions, &ctx->diags);
	return ctx->diags.n == 0;
}

void cmd_ctx_free(struct cmd_ctx *ctx)
{
	bank_free(&ctx->bank);
	cfg_free(&ctx->cfg);
	diags_free(&ctx->diags);
}

void cmd_print_diags(struct cmd_ctx *ctx)
{
	diags_sort(&ctx->diags);
	diags_print(&ctx->diags, stderr);
}

int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "studybot %s: ", e->name);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: studybot %s %s\n", e->name, e->usage);
	return EXIT_USAGE;
}
