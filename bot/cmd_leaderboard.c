/* studybot leaderboard [--channel ID] [--period P] [--topic T] [-c FILE]:
 * reads the database the config names, without connecting anywhere. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "core/core.h"
#include "store/store.h"

static int usage_channels(struct st_channel *chs, size_t n)
{
	fprintf(stderr,
	        "studybot leaderboard: this database has %zu channels; choose one with "
	        "--channel ID:\n",
	        n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  %s  %s\n", chs[i].ext_id, chs[i].name);
	return EXIT_USAGE;
}

static int show(struct store *st, const struct st_channel *ch, const char *period,
                const char *topic)
{
	struct tz *z = NULL;
	if (tz_load(ch->timezone, &z) != SB_OK && tz_load("UTC", &z) != SB_OK)
		return EXIT_RUNTIME;
	char key[16];
	bool ok = core_period_key(z, period, (int64_t)time(NULL), key);
	tz_free(z);
	if (!ok) {
		fprintf(stderr, "studybot leaderboard: --period is day, week, month or all\n");
		return EXIT_USAGE;
	}
	struct st_rank top[10], me;
	size_t n = 0;
	if (store_leaderboard(st, ch->id, key, topic, 10, 0, top, &n, &me) != SB_OK) {
		fprintf(stderr, "studybot leaderboard: %s\n", store_errmsg(st));
		return EXIT_RUNTIME;
	}
	printf("%s (%s) · %s%s%s\n", ch->name, ch->ext_id, period, *topic ? " · " : "", topic);
	if (n == 0)
		printf("  nobody has points here yet\n");
	for (size_t i = 0; i < n; i++)
		printf("%4ld. %-32s %6ld\n", top[i].rank,
		       top[i].name[0] ? top[i].name : "(forgotten)", top[i].points);
	return EXIT_OK;
}

static int exec_leaderboard(int argc, char **argv)
{
	const char *path = NULL, *channel = NULL, *period = "all", *topic = "";
	bool bad = false;
	for (int i = 1; i < argc; i++) {
		if (cmd_config_opt(argc, argv, &i, &path, &bad)) {
			if (bad)
				return cmd_usage_error(&cmd_leaderboard_entry, "-c needs a file\n");
		} else if (strcmp(argv[i], "--channel") == 0 && i + 1 < argc) {
			channel = argv[++i];
		} else if (strcmp(argv[i], "--period") == 0 && i + 1 < argc) {
			period = argv[++i];
		} else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
			topic = argv[++i];
		} else {
			return cmd_usage_error(&cmd_leaderboard_entry, "unexpected '%s'\n",
			                       argv[i]);
		}
	}
	struct cmd_ctx ctx;
	if (!cmd_load(&ctx, path, false)) {
		cmd_print_diags(&ctx);
		cmd_ctx_free(&ctx);
		return EXIT_INVALID;
	}
	const char *db = ctx.cfg.database;
	/* Reading must never create an empty database where the bot's is
	 * expected: that would hide a wrong path. */
	if (strcmp(db, ":memory:") == 0 || access(db, R_OK) != 0) {
		fprintf(stderr,
		        "studybot leaderboard: no database at %s (set [bot] database in %s)\n", db,
		        ctx.cfg_path);
		cmd_ctx_free(&ctx);
		return EXIT_INVALID;
	}
	struct store *st = NULL;
	char err[256];
	if (store_open(db, &st, err, sizeof err) != SB_OK) {
		fprintf(stderr, "studybot leaderboard: %s\n", err);
		cmd_ctx_free(&ctx);
		return EXIT_RUNTIME;
	}
	struct st_channel *chs = NULL;
	size_t n = 0;
	int code = EXIT_OK;
	if (store_channels(st, &chs, &n) != SB_OK) {
		fprintf(stderr, "studybot leaderboard: %s\n", store_errmsg(st));
		code = EXIT_RUNTIME;
	} else if (!channel && n != 1) {
		code = n ? usage_channels(chs, n) : EXIT_OK;
		if (!n)
			printf("no study channels in %s yet\n", db);
	} else {
		const struct st_channel *ch = NULL;
		for (size_t i = 0; i < n; i++)
			if (!channel || strcmp(chs[i].ext_id, channel) == 0)
				ch = &chs[i];
		if (!ch) {
			fprintf(stderr, "studybot leaderboard: no channel %s in %s\n", channel, db);
			code = EXIT_INVALID;
		} else {
			code = show(st, ch, period, topic);
		}
	}
	free(chs);
	store_close(st);
	cmd_ctx_free(&ctx);
	return code;
}

const struct cmd_entry cmd_leaderboard_entry = {
    .name = "leaderboard",
    .usage = "[--channel ID] [--period day|week|month|all] [--topic T] [-c FILE]",
    .summary = "print a channel's top 10 from the database",
    .exec = exec_leaderboard,
};
