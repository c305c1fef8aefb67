/* studybot check [-c FILE]: validate config and bank, print a summary. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util/duration.h"

static bool channel_wants(const struct cfg_channel *ch, const struct bank_question *q)
{
	if (q->difficulty < ch->diff_min || q->difficulty > ch->diff_max)
		return false;
	if (ch->ntopics == 0)
		return true;
	for (size_t i = 0; i < ch->ntopics; i++)
		if (strcmp(ch->topics[i], q->topic) == 0)
			return true;
	return false;
}

/* How many questions of the bank the channel may be asked. */
static size_t channel_pool(const struct cfg_channel *ch, const struct bank *b)
{
	size_t pool = 0;
	for (size_t q = 0; q < b->nq; q++)
		pool += channel_wants(ch, &b->q[q]);
	return pool;
}

/* What only config and bank together can tell: topics that do not exist,
 * a channel whose filter leaves nothing to ask. */
static void cross_check(struct cmd_ctx *ctx)
{
	const struct config *c = &ctx->cfg;
	for (size_t i = 0; i < c->nchannels; i++) {
		const struct cfg_channel *ch = &c->channels[i];
		bool topics_ok = true;
		for (size_t t = 0; t < ch->ntopics; t++) {
			if (!bank_topic(&ctx->bank, ch->topics[t])) {
				diag_add(&ctx->diags, c->path,
				         ch->topics_line ? ch->topics_line : ch->line,
				         "[channel \"%s\"] topics: '%s' is not a topic of the bank "
				         "(no %s/%s.md)",
				         ch->name, ch->topics[t], c->questions, ch->topics[t]);
				topics_ok = false;
			}
		}
		if (!topics_ok)
			continue;
		if (channel_pool(ch, &ctx->bank) == 0)
			diag_add(
			    &ctx->diags, c->path, ch->line,
			    "[channel \"%s\"]: no question matches its topics and difficulty %d-%d",
			    ch->name, ch->diff_min, ch->diff_max);
	}
}

static void summary(struct cmd_ctx *ctx)
{
	const struct config *c = &ctx->cfg;
	const struct bank *b = &ctx->bank;
	const char *tok_env =
	    c->platform == PLATFORM_DISCORD ? c->discord.token_env : c->slack.bot_token_env;
	printf("config   %s\n", ctx->cfg_path);
	/* Whether the token is there, never what it is. */
	printf("  platform   %s (token from $%s: %s)\n", cfg_platform_name(c->platform), tok_env,
	       cfg_env_token(tok_env) ? "set" : "not set; `studybot run` needs it");
	if (c->platform == PLATFORM_SLACK)
		printf("  app token  $%s: %s\n", c->slack.app_token_env,
		       cfg_env_token(c->slack.app_token_env) ? "set" : "not set");
	printf("  database   %s\n", c->database);
	printf("  http       %s\n", *c->http_listen ? c->http_listen : "off");
	printf("  channels   %zu\n", c->nchannels);
	for (size_t i = 0; i < c->nchannels; i++) {
		const struct cfg_channel *ch = &c->channels[i];
		char sched[64], win[32], rev[32];
		size_t pool = channel_pool(ch, b);
		printf("    %-16s %s  %s %s  answer %s, review %s, %s  pool %zu questions\n",
		       ch->name, ch->id, sched_format(&ch->schedule, sched, sizeof sched),
		       ch->timezone, dur_format(ch->answer_window, win, sizeof win),
		       dur_format(ch->review_window, rev, sizeof rev),
		       cfg_answer_mode_name(ch->answer_mode), pool);
	}

	printf("bank     %s\n", c->questions);
	printf("  %-22s %5s %7s %5s %7s %6s\n", "topic", "easy", "medium", "hard", "choice",
	       "total");
	size_t tot[4] = {0}, mcq = 0;
	for (size_t t = 0; t < b->ntopics; t++) {
		size_t d[4] = {0}, m = 0;
		for (size_t i = 0; i < b->nq; i++) {
			if (strcmp(b->q[i].topic, b->topics[t].slug) != 0)
				continue;
			d[b->q[i].difficulty]++;
			m += b->q[i].correct >= 0;
		}
		printf("  %-22s %5zu %7zu %5zu %7zu %6zu\n", b->topics[t].slug, d[1], d[2], d[3], m,
		       b->topics[t].count);
		for (int k = 1; k <= 3; k++)
			tot[k] += d[k];
		mcq += m;
	}
	printf("  %-22s %5zu %7zu %5zu %7zu %6zu\n", "total", tot[1], tot[2], tot[3], mcq, b->nq);
	printf("ok: %zu questions in %zu topics (%zu multiple-choice); %zu channel%s configured\n",
	       b->nq, b->ntopics, mcq, c->nchannels, c->nchannels == 1 ? "" : "s");
}

static int exec_check(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		bool bad = false;
		if (cmd_config_opt(argc, argv, &i, &path, &bad)) {
			if (bad)
				return cmd_usage_error(&cmd_check_entry, "-c needs a file");
			continue;
		}
		return cmd_usage_error(&cmd_check_entry, "unexpected '%s'", argv[i]);
	}
	struct cmd_ctx ctx;
	cmd_load(&ctx, path ? path : CFG_DEFAULT_PATH, true);
	if (ctx.diags.n == 0)
		cross_check(&ctx);
	int rc = EXIT_OK;
	if (ctx.diags.n) {
		cmd_print_diags(&ctx);
		fprintf(stderr, "studybot check: %zu problem%s found\n", ctx.diags.n,
		        ctx.diags.n == 1 ? "" : "s");
		rc = EXIT_INVALID;
	} else {
		summary(&ctx);
	}
	cmd_ctx_free(&ctx);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
    .name = "check",
    .usage = "[-c FILE]",
    .summary = "validate config + question bank; print a summary; exit 1 on error",
    .exec = exec_check,
};
