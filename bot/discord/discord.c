/* `studybot run` on Discord: fetch GET /gateway/bot once, open one gateway
 * connection per shard, and keep them until a signal or a fatal close. */
#include "discord/discord.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat/chat_ops.h"
#include "cmd.h"
#include "core/core.h"
#include "discord/dc_bridge.h"
#include "discord/dc_metrics.h"
#include "discord/gw.h"
#include "discord/rest.h"
#include "net/httpd.h"
#include "net/loop.h"
#include "util/log.h"
#include "util/mem.h"

#define GATEWAY_RETRY_MS 10000
#define MAX_SHARDS       64

struct shard {
	struct discord *d;
	struct gw *gw;
	uv_timer_t start;
	int closed;
};

struct discord {
	const struct config *cfg;
	const char *token; /* from the environment; borrowed */
	struct net_loop *loop;
	struct rest *rest;
	struct shard *shards;
	size_t nshards, nclosed;
	struct gw_idgate gate; /* identify turns and session budget, for all shards */
	uv_timer_t retry;
	int stopping;
	struct store *st;
	struct core core;
	struct dc_bridge *bridge;
	struct httpd *http; /* /healthz and /metrics; NULL when http_listen is empty */
	struct chat_ops_hooks ops;
};

unsigned discord_intents(const struct config *cfg)
{
	unsigned intents = GW_INTENT_GUILDS;

	for (size_t i = 0; i < cfg->nchannels; i++)
		if (cfg->channels[i].answer_mode == ANSWER_THREAD)
			intents |= GW_INTENT_GUILD_MESSAGES | GW_INTENT_MESSAGE_CONTENT;
	return intents;
}

/* The config's intents plus those of channels set up from chat, which the
 * store holds next to the file's (applied to it at start). */
static unsigned intents_now(struct discord *d)
{
	unsigned intents = discord_intents(d->cfg);
	struct st_channel *chs;
	size_t n;

	if (store_channels(d->st, &chs, &n) != SB_OK)
		return intents;
	for (size_t i = 0; i < n; i++)
		if (chs[i].answer_mode == ANSWER_THREAD)
			intents |= GW_INTENT_GUILD_MESSAGES | GW_INTENT_MESSAGE_CONTENT;
	free(chs);
	return intents;
}

/* A channel set up (or changed) to thread mode needs the message intents
 * now, not at the next start: every shard identifies anew with them. */
static void on_setup(void *ud)
{
	struct discord *d = ud;
	unsigned intents = intents_now(d);

	for (size_t i = 0; i < d->nshards; i++)
		gw_change_intents(d->shards[i].gw, intents);
}

static void on_ready(void *ud, const struct gw_ready *r, int resumed)
{
	struct shard *s = ud;
	struct discord *d = s->d;

	/* A resumed session has its servers already: only a new one tells the
	 * registrar which servers to wait for (it registers once per process). */
	if (!resumed && r) {
		struct dc_ready_info info = {
		    .application_id = d->cfg->discord.application_id
		                          ? d->cfg->discord.application_id
		                          : r->application_id,
		    .shard = (int)(s - d->shards),
		    .nshards = (int)d->nshards,
		    .all_shards = d->cfg->discord.shard_count <= 0,
		    .guilds = r->guilds,
		};

		dc_bridge_ready(d->bridge, &info);
	}
}

static void on_dispatch(void *ud, const char *t, struct gw_span d)
{
	struct shard *s = ud;

	/* Reading the ids costs two scans of d per event: only when the line
	 * is written. */
	if (log_enabled(LOG_DEBUG) &&
	    (strcmp(t, "MESSAGE_CREATE") == 0 || strcmp(t, "INTERACTION_CREATE") == 0)) {
		uint64_t id = gw_span_id(gw_json_key(d, "id"));
		uint64_t ch = gw_span_id(gw_json_key(d, "channel_id"));

		log_debug("gateway event", "shard=%d t=%s id=%llu channel=%llu",
		          (int)(s - s->d->shards), t, (unsigned long long)id,
		          (unsigned long long)ch);
	}
	dc_bridge_dispatch(s->d->bridge, t, d);
}

static void on_fatal(void *ud, const struct gw_close_info *info)
{
	struct shard *s = ud;

	s->d->stopping = 1;
	net_loop_stop(s->d->loop, info->exit_code);
}

static void on_closed(void *ud)
{
	struct shard *s = ud;

	s->closed = 1;
	if (++s->d->nclosed == s->d->nshards)
		net_loop_stop(s->d->loop, EXIT_OK);
}

static const struct gw_handlers handlers = {
    .ready = on_ready,
    .dispatch = on_dispatch,
    .fatal = on_fatal,
    .closed = on_closed,
};

static void start_cb(uv_timer_t *t)
{
	struct shard *s = t->data;

	gw_start(s->gw);
}

static void start_shards(struct discord *d, const struct gw_bot_info *info)
{
	const struct config *cfg = d->cfg;
	int count = cfg->discord.shard_count > 0 ? cfg->discord.shard_count : info->shards;
	int first = cfg->discord.shard_count > 0 ? cfg->discord.shard_id : 0;
	int n = cfg->discord.shard_count > 0 ? 1 : count;
	int conc = info->sl_max_concurrency > 0 ? info->sl_max_concurrency : 1;
	unsigned intents = intents_now(d);

	if (count < 1)
		count = n = 1;
	if (n > MAX_SHARDS) {
		log_error("Discord asks for more shards than one process runs; set [discord] "
		          "shard = ID/COUNT and run several processes",
		          "shards=%d max=%d", count, MAX_SHARDS);
		net_loop_stop(d->loop, EXIT_RUNTIME);
		return;
	}
	d->shards = xcalloc((size_t)n, sizeof *d->shards);
	d->nshards = (size_t)n;
	gw_idgate_init(&d->gate, conc, info->sl_total, info->sl_remaining, info->sl_reset_after_ms,
	               net_loop_now_ms(d->loop));
	for (int i = 0; i < n; i++) {
		struct shard *s = &d->shards[i];
		struct gw_config gc = {
		    .token = d->token,
		    .url = info->url,
		    .compress = cfg->discord.compress == COMPRESS_ZLIB_STREAM,
		    .intents = intents,
		    .shard_id = first + i,
		    /* A single unsharded connection sends no shard field. */
		    .shard_count = count > 1 || cfg->discord.shard_count > 0 ? count : 0,
		    .gate = &d->gate,
		};

		s->d = d;
		gw_new(&s->gw, d->loop, &gc, &handlers, s);
		uv_timer_init(net_loop_uv(d->loop), &s->start);
		s->start.data = s;
		/* Connect each shard shortly before its turn to identify comes;
		 * the gate keeps the turns if they reconnect together later. */
		uv_timer_start(&s->start, start_cb, (uint64_t)(i / conc) * GW_IDENTIFY_SPACING_MS,
		               0);
	}
	log_info("discord starting", "shards=%d of=%d intents=%u", n, count, intents);
}

static void fetch_gateway(struct discord *d);

static void retry_cb(uv_timer_t *t)
{
	fetch_gateway(t->data);
}

static void gateway_fetched(void *ud, const struct rest_result *res)
{
	struct discord *d = ud;
	struct gw_bot_info info;
	char *text;
	enum sb_rc rc = SB_ERR_INVALID;

	if (res->status == 401) {
		log_error("Discord refused the bot token (401 Unauthorized)", "fix=%s",
		          log_q("put the bot token from the Developer Portal (Bot → Reset Token) "
		                "in the environment variable named by [discord] token_env"));
		net_loop_stop(d->loop, EXIT_AUTH);
		return;
	}
	if (res->ok && res->json) {
		text = cJSON_PrintUnformatted(res->json);
		rc = gw_decode_gateway_bot(text, strlen(text), &info);
		cJSON_free(text);
	}
	if (rc != SB_OK) {
		log_warn("cannot get the gateway address; retrying", "status=%ld error=%s",
		         res->status, log_q(res->message));
		uv_timer_start(&d->retry, retry_cb, GATEWAY_RETRY_MS, 0);
		return;
	}
	start_shards(d, &info);
}

static void fetch_gateway(struct discord *d)
{
	if (!d->stopping)
		rest_request(d->rest, "GET", "/gateway/bot", NULL, gateway_fetched, d);
}

static void on_signal(void *ud)
{
	struct discord *d = ud;

	d->stopping = 1;
	uv_timer_stop(&d->retry);
	if (d->nshards == 0) {
		net_loop_stop(d->loop, EXIT_OK);
		return;
	}
	for (size_t i = 0; i < d->nshards; i++) {
		uv_timer_stop(&d->shards[i].start);
		gw_close(d->shards[i].gw);
	}
}

static void log_totals(struct discord *d)
{
	struct gw_stats t = {0};

	for (size_t i = 0; i < d->nshards; i++) {
		struct gw_stats s;

		gw_get_stats(d->shards[i].gw, &s);
		t.events += s.events;
		t.reconnects += s.reconnects;
		t.resumes += s.resumes;
		t.identifies += s.identifies;
		t.zombies += s.zombies;
		t.malformed += s.malformed;
		t.oversized += s.oversized;
	}
	log_info("discord stopped",
	         "events=%lu reconnects=%lu resumes=%lu identifies=%lu zombies=%lu malformed=%lu "
	         "oversized=%lu",
	         t.events, t.reconnects, t.resumes, t.identifies, t.zombies, t.malformed,
	         t.oversized);
}

static enum sb_rc open_core(struct discord *d, const struct bank *bank)
{
	char err[256];
	enum sb_rc rc = store_open(d->cfg->database, &d->st, err, sizeof err);

	if (rc != SB_OK) {
		log_error("cannot open the database", "database=%s error=%s",
		          log_q(d->cfg->database), log_q(err));
		return rc;
	}
	/* Discord's own cap on a form's text input (SPEC §5). */
	rc = core_init(&d->core, d->st, bank, &d->cfg->scoring, 4000, (int64_t)time(NULL));
	if (rc == SB_OK)
		rc = core_apply_config(&d->core, d->cfg, NULL);
	if (rc != SB_OK)
		log_error("cannot prepare the study rounds", "error=%s",
		          log_q(store_errmsg(d->st)));
	return rc;
}

/* --- operations: /healthz and /metrics (SPEC §3 http_listen) ---------------- */

static void ops_snapshot(struct discord *d, struct dc_metrics_snapshot *s)
{
	int first = d->cfg->discord.shard_count > 0 ? d->cfg->discord.shard_id : 0;

	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < d->nshards && i < DC_METRICS_MAX_SHARDS; i++) {
		s->shards[i].id = first + (int)i;
		gw_get_stats(d->shards[i].gw, &s->shards[i].st);
		s->nshards++;
	}
	rest_get_stats(d->rest, &s->rest);
	core_get_stats(&d->core, &s->core);
	if (d->bridge)
		dc_bridge_get_stats(d->bridge, &s->bridge);
	net_loop_lag(d->loop, &s->lag_last_s, &s->lag_max_s);
	s->stopping = d->stopping;
}

/* 200 once every shard is READY (or resumed), 503 before and while any
 * shard reconnects: what a liveness probe or a load balancer asks. */
static int ops_healthy(void *ud, char *why, size_t whysz)
{
	struct dc_metrics_snapshot *s = xmalloc(sizeof *s);
	int ok;

	ops_snapshot(ud, s);
	ok = dc_metrics_healthy(s, why, whysz);
	free(s);
	return ok;
}

static void ops_metrics(void *ud, struct metrics *m)
{
	struct dc_metrics_snapshot *s = xmalloc(sizeof *s);

	ops_snapshot(ud, s);
	dc_metrics_render(s, m);
	free(s);
}

static enum sb_rc ops_start(struct discord *d)
{
	d->ops = (struct chat_ops_hooks){
	    .healthy = ops_healthy, .metrics = ops_metrics, .core = &d->core, .ud = d};
	return chat_ops_start(&d->http, d->loop, d->cfg->http_listen, &d->ops);
}

/* Before anything a handler reads is freed. */
static void ops_stop(struct discord *d)
{
	httpd_free(d->http);
	d->http = NULL;
}

int discord_run(const struct config *cfg, const struct bank *bank)
{
	struct discord d;
	enum sb_rc rc;
	int code;

	memset(&d, 0, sizeof d);
	d.cfg = cfg;
	d.token = getenv(cfg->discord.token_env);
	if (!d.token || !*d.token) {
		log_error("no Discord bot token: set the environment variable named by [discord] "
		          "token_env",
		          "env=%s", log_q(cfg->discord.token_env));
		return EXIT_INVALID;
	}
	if (open_core(&d, bank) != SB_OK) {
		if (d.st)
			core_free(&d.core);
		store_close(d.st);
		return EXIT_RUNTIME;
	}
	if (net_loop_new(&d.loop, gw_protocols()) != SB_OK) {
		core_free(&d.core);
		store_close(d.st);
		return EXIT_RUNTIME;
	}
	if (rest_new(&d.rest, d.loop, cfg->discord.api_base, d.token) != SB_OK) {
		net_loop_free(d.loop);
		core_free(&d.core);
		store_close(d.st);
		return EXIT_INVALID;
	}
	if ((rc = ops_start(&d)) != SB_OK) {
		rest_free(d.rest);
		net_loop_free(d.loop);
		core_free(&d.core);
		store_close(d.st);
		return rc == SB_ERR_INVALID ? EXIT_INVALID : EXIT_RUNTIME;
	}
	dc_bridge_new(&d.bridge, d.loop, d.rest, &d.core, d.st);
	dc_bridge_on_setup(d.bridge, on_setup, &d);
	uv_timer_init(net_loop_uv(d.loop), &d.retry);
	d.retry.data = &d;
	net_loop_on_signal(d.loop, on_signal, &d);
	fetch_gateway(&d);
	code = net_loop_run(d.loop);
	ops_stop(&d);
	log_totals(&d);
	for (size_t i = 0; i < d.nshards; i++) {
		uv_close((uv_handle_t *)&d.shards[i].start, NULL);
		gw_free(d.shards[i].gw);
	}
	uv_close((uv_handle_t *)&d.retry, NULL);
	dc_bridge_free(d.bridge);
	rest_free(d.rest);
	net_loop_free(d.loop);
	free(d.shards);
	core_free(&d.core);
	store_close(d.st);
	return code;
}
