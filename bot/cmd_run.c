/* studybot run [-c FILE]: connect to the configured platform and serve. */
#include <stdio.h>

#include "cmd.h"
#include "discord/discord.h"
#include "slack/slack.h"
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
	code = ctx.cfg.platform == PLATFORM_SLACK ? slack_run(&ctx.cfg, &ctx.bank)
	                                          : discord_run(&ctx.cfg, &ctx.bank);
	cmd_ctx_free(&ctx);
	return code;
}

const struct cmd_entry cmd_run_entry = {
    .name = "run",
    .usage = "[-c FILE]",
    .summary = "connect to Discord or Slack and serve (default FILE: " CFG_DEFAULT_PATH ")",
    .exec = exec_run,
};
