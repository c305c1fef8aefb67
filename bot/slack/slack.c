/* `studybot run` on Slack: check the bot token with auth.test, then hold
 * the Socket Mode connections until a signal or a refused token. */
#include "slack/slack.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat/chat_ops.h"
#include "cmd.h"
#include "core/core.h"
#include "net/httpd.h"
#include "net/loop.h"
#include "slack/sk_bridge.h"
#include "slack/sk_metrics.h"
#include "slack/sm.h"
#include "slack/webapi.h"
#include "util/log.h"
#include "util/mem.h"

#define AUTH_RETRY_MS 10000
/* Slack's own cap on a text input (SPEC §5). */
#define SLACK_ANSWER_MAX 3000

struct slack {
	const struct config *cfg;
	const char *app_token, *bot_token; /* from the environment; borrowed */
	struct net_loop *loop;
	struct webapi *api;
	struct sm *sm;
	struct store *st;
	struct core core;
	struct sk_bridge *bridge;
	struct httpd *http;
	struct chat_ops_hooks ops;
	uv_timer_t retry;
	int started, stopping;
};

/* Codes Slack answers when a token itself is refused: no retry helps. */
static int auth_refused(const char *error)
{
	static const char *const codes[] = {"invalid_auth",
	                                    "not_authed",
	                                    "account_inactive",
	                                    "token_revoked",
	                                    "token_expired",
	                                    "not_allowed_token_type",
	                                    NULL};

	for (int i = 0; codes[i]; i++)
		if (strcmp(error, codes[i]) == 0)
			return 1;
	return 0;
}

static void on_envelope(void *ud, int conn, const struct sm_envelope *e)
{
	struct slack *s = ud;

	sk_bridge_envelope(s->bridge, conn, e);
}

static void on_fatal(void *ud, int exit_code, const char *why)
{
	struct slack *s = ud;

	/* The variable's name, not the default's: the operator may have
	 * renamed it. */
	log_error("Slack refused to open Socket Mode", "env=%s why=%s",
	          log_q(s->cfg->slack.app_token_env), log_q(why));
	s->stopping = 1;
	net_loop_stop(s->loop, exit_code);
}

static void on_closed(void *ud)
{
	struct slack *s = ud;

	net_loop_stop(s->loop, EXIT_OK);
}

static const struct sm_handlers handlers = {
    .envelope = on_envelope,
    .fatal = on_fatal,
    .closed = on_closed,
};

static void check_auth(struct slack *s);

static void retry_cb(uv_timer_t *t)
{
	check_auth(t->data);
}

static void auth_checked(void *ud, const struct webapi_result *res)
{
	struct slack *s = ud;
	const cJSON *team =
	    res->json ? cJSON_GetObjectItemCaseSensitive(res->json, "team_id") : NULL;
	const cJSON *user =
	    res->json ? cJSON_GetObjectItemCaseSensitive(res->json, "user_id") : NULL;

	if (!res->ok && auth_refused(res->error)) {
		log_error(
		    "Slack refused the bot token", "env=%s error=%s fix=%s",
		    log_q(s->cfg->slack.bot_token_env), log_q(res->error),
		    log_q("put the Bot User OAuth Token (xoxb-…, from OAuth & Permissions) in "
		          "the environment variable named by [slack] bot_token_env"));
		s->stopping = 1;
		net_loop_stop(s->loop, EXIT_AUTH);
		return;
	}
	if (!res->ok || !cJSON_IsString(user)) {
		log_warn("cannot check the bot token; retrying", "status=%ld error=%s why=%s",
		         res->status, log_q(res->error), log_q(webapi_error_text(res->error)));
		uv_timer_start(&s->retry, retry_cb, AUTH_RETRY_MS, 0);
		return;
	}
	sk_bridge_set_self(s->bridge, cJSON_GetStringValue(team), user->valuestring);
	log_info("slack starting", "team=%s bot_user=%s connections=%d",
	         log_q(cJSON_GetStringValue(team)), log_q(user->valuestring),
	         s->cfg->slack.connections);
	s->started = 1;
	sm_start(s->sm);
}

static void check_auth(struct slack *s)
{
	if (!s->stopping)
		webapi_call(s->api, "auth.test", NULL, auth_checked, s);
}

static void on_signal(void *ud)
{
	struct slack *s = ud;

	s->stopping = 1;
	uv_timer_stop(&s->retry);
	if (!s->started) {
		net_loop_stop(s->loop, EXIT_OK);
		return;
	}
	sm_close(s->sm);
}

/* --- operations: /healthz, /metrics, / ----------------------------------------- */

static void ops_snapshot(struct slack *s, struct sk_metrics_snapshot *m)
{
	memset(m, 0, sizeof *m);
	sm_get_stats(s->sm, &m->sm);
	webapi_get_stats(s->api, &m->api);
	core_get_stats(&s->core, &m->core);
	sk_bridge_get_stats(s->bridge, &m->bridge);
	net_loop_lag(s->loop, &m->lag_last_s, &m->lag_max_s);
	m->connections = s->cfg->slack.connections;
	m->stopping = s->stopping;
}

static int ops_healthy(void *ud, char *why, size_t whysz)
{
	struct sk_metrics_snapshot *m = xmalloc(sizeof *m);
	int ok;

	ops_snapshot(ud, m);
	ok = sk_metrics_healthy(m, why, whysz);
	free(m);
	return ok;
}

static void ops_metrics(void *ud, struct metrics *m)
{
	struct sk_metrics_snapshot *s = xmalloc(sizeof *s);

	ops_snapshot(ud, s);
	sk_metrics_render(s, m);
	free(s);
}

static enum sb_rc ops_start(struct slack *s)
{
	s->ops = (struct chat_ops_hooks){
	    .healthy = ops_healthy, .metrics = ops_metrics, .core = &s->core, .ud = s};
	return chat_ops_start(&s->http, s->loop, s->cfg->http_listen, &s->ops);
}

/* --- start and stop ------------------------------------------------------------- */

/* A token from the environment, with the prefix Slack gives its kind:
 * a bot token in the app token's variable (or the reverse) is the most
 * common slip, and Slack's answer to it is only "not_allowed_token_type". */
static const char *token_from(const char *env, const char *prefix, const char *what,
                              const char *where)
{
	const char *t = getenv(env);

	if (!t || !*t) {
		log_error("no Slack token: set the environment variable", "env=%s token=%s fix=%s",
		          log_q(env), log_q(what), log_q(where));
		return NULL;
	}
	if (strncmp(t, prefix, strlen(prefix)) != 0) {
		log_error("this is not the right kind of Slack token", "env=%s expected=%s fix=%s",
		          log_q(env), log_q(prefix), log_q(where));
		return NULL;
	}
	return t;
}

static enum sb_rc open_core(struct slack *s, const struct bank *bank)
{
	char err[256];
	enum sb_rc rc = store_open(s->cfg->database, &s->st, err, sizeof err);

	if (rc != SB_OK) {
		log_error("cannot open the database", "database=%s error=%s",
		          log_q(s->cfg->database), log_q(err));
		return rc;
	}
	rc = core_init(&s->core, s->st, bank, &s->cfg->scoring, SLACK_ANSWER_MAX,
	               (int64_t)time(NULL));
	if (rc == SB_OK) {
		s->core.platform = "slack";
		rc = core_apply_config(&s->core, s->cfg, NULL);
	}
	if (rc != SB_OK)
		log_error("cannot prepare the study rounds", "error=%s",
		          log_q(store_errmsg(s->st)));
	return rc;
}

static int fail(struct slack *s, int code)
{
	httpd_free(s->http);
	sm_free(s->sm);
	webapi_free(s->api);
	if (s->loop)
		net_loop_free(s->loop);
	if (s->st)
		core_free(&s->core);
	store_close(s->st);
	return code;
}

int slack_run(const struct config *cfg, const struct bank *bank)
{
	struct slack s;
	struct sm_config smc;
	enum sb_rc rc;
	int code;

	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.app_token = token_from(cfg->slack.app_token_env, "xapp-", "app-level token",
	                         "Basic Information → App-Level Tokens, with the "
	                         "connections:write scope");
	s.bot_token = token_from(cfg->slack.bot_token_env, "xoxb-", "bot token",
	                         "OAuth & Permissions → Bot User OAuth Token");
	if (!s.app_token || !s.bot_token)
		return EXIT_INVALID;
	if (open_core(&s, bank) != SB_OK)
		return fail(&s, EXIT_RUNTIME);
	if (net_loop_new(&s.loop, sm_protocols()) != SB_OK)
		return fail(&s, EXIT_RUNTIME);
	if (webapi_new(&s.api, s.loop, cfg->slack.api_base, s.bot_token) != SB_OK)
		return fail(&s, EXIT_INVALID);
	smc = (struct sm_config){
	    .app_token = s.app_token,
	    .api_base = cfg->slack.api_base,
	    .connections = cfg->slack.connections,
	};
	if (sm_new(&s.sm, s.loop, &smc, &handlers, &s) != SB_OK)
		return fail(&s, EXIT_INVALID);
	if ((rc = ops_start(&s)) != SB_OK)
		return fail(&s, rc == SB_ERR_INVALID ? EXIT_INVALID : EXIT_RUNTIME);
	sk_bridge_new(&s.bridge, s.loop, s.sm, s.api, &s.core, s.st, cfg);
	uv_timer_init(net_loop_uv(s.loop), &s.retry);
	s.retry.data = &s;
	net_loop_on_signal(s.loop, on_signal, &s);
	check_auth(&s);
	code = net_loop_run(s.loop);
	httpd_free(s.http);
	s.http = NULL;
	uv_close((uv_handle_t *)&s.retry, NULL);
	sk_bridge_free(s.bridge);
	sm_free(s.sm);
	webapi_free(s.api);
	net_loop_free(s.loop);
	core_free(&s.core);
	store_close(s.st);
	return code;
}
