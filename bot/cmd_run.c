/* studybot run [-c FILE]: connect to the configured platform and serve. */
#include <stdio.h>

#include "cmd.h"
#include "discord/discord.h"
#include "util/log.h"

static int exec_run(int argc, char **argv)
{
	const char *path = NULL;
	struct cmd_ctx ctx;
	int code;
	int usage = cmd_only_config(&cmd_run_entry, argc, argv, &path);

	if (usage >= 0)
		return usage;
	if (!cmd_load_or_report(&ctx, path, true))
		return EXIT_INVALID;
	log_set_level((enum log_level)ctx.cfg.log_level);
	if (ctx.cfg.platform != PLATFORM_DISCORD) {
		log_error("this build serves Discord only so far; set [bot] platform = discord",
		          "config=%s", log_q(ctx.cfg.path));
		cmd_ctx_free(&ctx);
		return EXIT_INVALID;
	}
	code = discord_run(&ctx.cfg, &ctx.bank);
	cmd_ctx_free(&ctx);
	return code;
}

const struct cmd_entry cmd_run_entry = {
    .name = "run",
    .usage = "[-c FILE]",
    .summary = "connect to Discord and serve (default FILE: " CFG_DEFAULT_PATH ")",
    .exec = exec_run,
};
