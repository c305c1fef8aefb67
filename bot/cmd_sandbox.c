/* studybot sandbox [--speed N] [--question ID] [-c FILE]: one study round
 * offline, on the console platform. The config only lends the bank and the
 * scoring; no token, no network, an in-memory database unless --database
 * keeps it (for `studybot leaderboard` to read afterwards). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "console/sandbox.h"
#include "util/log.h"

#define DEFAULT_SPEED 1000.0

static int exec_sandbox(int argc, char **argv)
{
	const char *path = NULL, *question = NULL, *zone = "Europe/Berlin", *db = NULL;
	double speed = DEFAULT_SPEED;
	bool bad = false;
	for (int i = 1; i < argc; i++) {
		if (cmd_config_opt(argc, argv, &i, &path, &bad)) {
			if (bad)
				return cmd_usage_error(&cmd_sandbox_entry, "-c needs a file\n");
		} else if (strcmp(argv[i], "--speed") == 0 && i + 1 < argc) {
			char *end;
			speed = strtod(argv[++i], &end);
			if (*end || !(speed >= 1.0 && speed <= 1e9))
				return cmd_usage_error(
				    &cmd_sandbox_entry,
				    "--speed takes a number from 1 to 1000000000\n");
		} else if (strcmp(argv[i], "--question") == 0 && i + 1 < argc) {
			question = argv[++i];
		} else if (strcmp(argv[i], "--database") == 0 && i + 1 < argc) {
			db = argv[++i];
		} else if (strcmp(argv[i], "--timezone") == 0 && i + 1 < argc) {
			zone = argv[++i];
		} else {
			return cmd_usage_error(&cmd_sandbox_entry, "unexpected '%s'\n", argv[i]);
		}
	}
	struct cmd_ctx ctx;
	if (!cmd_load(&ctx, path, true)) {
		cmd_print_diags(&ctx);
		cmd_ctx_free(&ctx);
		return EXIT_INVALID;
	}
	/* The transcript is the output; the core's log lines would only
	 * interleave with it. */
	log_set_level(LOG_ERROR);
	struct sandbox_opts o = {
	    .bank = &ctx.bank,
	    .scoring = &ctx.cfg.scoring,
	    .question = question,
	    .speed = speed,
	    .zone = zone,
	    .database = db,
	    .out = stdout,
	    .color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR"),
	};
	enum sb_rc rc = sandbox_run(&o);
	cmd_ctx_free(&ctx);
	if (rc == SB_ERR_NOTFOUND || rc == SB_ERR_INVALID)
		return EXIT_INVALID;
	return rc == SB_OK ? EXIT_OK : EXIT_RUNTIME;
}

const struct cmd_entry cmd_sandbox_entry = {
    .name = "sandbox",
    .usage = "[--speed N] [--question ID] [--timezone ZONE] [--database FILE] [-c FILE]",
    .summary = "a study round offline on the console: scripted members answer and rate, the "
               "clock runs N times faster (default 1000); no token, no network",
    .exec = exec_sandbox,
};
