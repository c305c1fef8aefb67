/* Slack's Web API on the loop's HTTP client (webapi.h). Calls wait in one
 * queue in the order they were made; a pump sends every call the pacing
 * table (webapi_pace.h) lets go, keeping calls of one (method, channel)
 * in order and one at a time when they name a channel; one timer wakes
 * the pump when the nearest wait ends. 429s, "ratelimited" answers, 5xx
 * answers and transfer failures put the call back at its old place.
 *
 * Ownership: the client owns its queue, its in-flight list, its upload
 * jobs and its timer; webapi_free() releases them all without calling
 * back. A call owns copies of its URL and body. */
#include "slack/webapi.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/http.h"
#include "slack/webapi_pace.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#ifndef STUDYBOT_VERSION
#define STUDYBOT_VERSION "0"
#endif

#define WA_USER_AGENT  "User-Agent: studybot/" STUDYBOT_VERSION
#define WA_CTYPE_JSON  "Content-Type: application/json; charset=utf-8"
#define WA_CTYPE_BYTES "Content-Type: application/octet-stream"
#define WA_MAX_LIMITED 10    /* resends after 429s before a call fails */
#define WA_MAX_BACKOFF 30000 /* longest delay between retries of a failure, ms */
#define WA_MAX_URL     8192
#define WA_MAX_METHOD  100
#define WA_MAX_RESP    (4 * 1024 * 1024)
#define WA_MAX_UPLOAD  (1024 * 1024 * 1024)
#define WA_ERR_MAX     128
#define WA_DETAIL_MAX  1024

enum wa_kind { WA_POST, WA_GET, WA_UPLOAD };

struct wa_call {
	struct wa_call *prev, *next; /* in the queue or the in-flight list */
	struct webapi *w;
	uint64_t seq; /* queue order */
	enum wa_kind kind;
	char *method; /* the Web API method; "upload" for the bytes of an upload */
	char *url;    /* whole; never logged (an upload URL is a secret of sorts) */
	char *body;
	size_t body_len;
	char channel[PACE_KEY_MAX + 1]; /* pacing and order key, with method */
	const char *refused;            /* why the call was refused; fails on a later turn */
	webapi_cb cb;
	void *ud;
	int attempts, failures, limited, waited;
	uint64_t not_before; /* backoff, or a 429's wait for an upload */
	uint64_t sent_at;
	struct net_http *h; /* while in flight */
};

struct wa_list {
	struct wa_call *head, *tail;
	size_t n;
};

struct wa_job; /* an upload in progress */

struct webapi {
	struct net_loop *loop;
	char *base; /* without trailing '/' */
	char *auth; /* "Authorization: Bearer TOKEN" */
	char token_hint[16];
	struct pace *pace;
	struct webapi_tuning tune;
	struct wa_list queue, flying;
	struct wa_job *jobs;
	uv_timer_t *timer; /* closed by webapi_free; freed in its close callback */
	int kicked;
	uint64_t seq, rng;
	struct webapi_stats stats;
	int in_cb, free_pending;
};

struct wa_job {
	struct wa_job *prev, *next;
	struct webapi *w;
	char *channel, *thread_ts, *filename, *comment;
	char *data;    /* the bytes, until they move to the upload call */
	char *file_id; /* from files.getUploadURLExternal */
	size_t len;
	webapi_cb cb;
	void *ud;
};

static void wa_copy_code(char *out, size_t outsz, const char *s);

/* --- error sentences ----------------------------------------------------------- */

static const struct {
	const char *code, *text;
} wa_errors[] = {
    {"not_in_channel", "the bot is not a member of that channel: invite it with /invite @studybot"},
    {"channel_not_found",
     "the channel was not found: it may have been deleted, or it is private and the bot "
     "was never invited"},
    {"invalid_auth", "Slack refused the token: check the variable named by [slack] bot_token_env "
                     "(an xoxb-… token)"},
    {"not_authed", "no token reached Slack: set the variable named by [slack] bot_token_env to "
                   "the app's bot token"},
    {"account_inactive",
     "the token belongs to a deactivated user or workspace: reinstall the app and use the "
     "new bot token"},
    {"token_revoked",
     "the bot token was revoked (the app was uninstalled?): reinstall the app and use the "
     "new bot token"},
    {"missing_scope",
     "the app lacks a permission scope for this: add it under OAuth & Permissions and "
     "reinstall the app"},
    {"user_not_found", "that user was not found in this workspace"},
    {"expired_trigger_id",
     "the form could not open in time (Slack allows 3 seconds): try the button or command "
     "again"},
    {"invalid_blocks", "Slack refused the message layout (invalid blocks)"},
    {"msg_too_long", "the message is too long for Slack"},
    {"ratelimited", "Slack is rate limiting the bot: it will catch up shortly"},
    {"is_archived", "the channel is archived: unarchive it or pick another channel"},
    {"user_not_in_channel", "that user is not a member of the channel"},
    {"not_allowed_token_type",
     "this call needs another kind of token: use the bot token (xoxb-…) here"},
    {"invalid_arguments", "Slack refused the call's arguments (too long or malformed)"},
    {"invalid_call", "the bot refused to send a malformed call (a bug): see the log"},
    {"restricted_action",
     "a workspace admin setting prevents the bot from doing this in that channel"},
};

const char *webapi_error_text(const char *error)
{
	if (!error || !*error)
		return "the call succeeded";
	static char generic[160]; /* one thread: valid until the next call */
	char code[WA_ERR_MAX];

	for (size_t i = 0; i < sizeof wa_errors / sizeof wa_errors[0]; i++)
		if (strcmp(wa_errors[i].code, error) == 0)
			return wa_errors[i].text;
	wa_copy_code(code, sizeof code, error);
	snprintf(generic, sizeof generic, "Slack refused the call (error: %s)", code);
	return generic;
}

/* --- set-up ---------------------------------------------------------------------- */

static int wa_is_ipv4_loopback(const char *h, size_t n)
{
	int parts = 0;
	size_t i = 0;

	while (i < n) {
		size_t start = i;
		long v = 0;

		while (i < n && h[i] >= '0' && h[i] <= '9' && i - start < 3)
			v = v * 10 + (h[i++] - '0');
		if (i == start || v > 255 || (parts == 0 && v != 127))
			return 0;
		parts++;
		if (i == n)
			break;
		if (h[i] != '.' || parts == 4)
			return 0;
		i++;
		if (i == n)
			return 0;
	}
	return parts == 4;
}

/* https:// anywhere; http:// only to this machine (tests, local fakes), so
 * neither the token nor a member's file crosses a network in the clear. */
static int wa_url_ok(const char *url, const char **why)
{
	const char *host;
	size_t n, hn;

	if (strlen(url) > WA_MAX_URL / 2) {
		*why = "the URL is too long";
		return 0;
	}
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			*why = "the URL has spaces or control characters";
			return 0;
		}
	}
	if (strncmp(url, "https://", 8) == 0) {
		host = url + 8;
		if (*host == '\0' || *host == '/') {
			*why = "the URL has no host";
			return 0;
		}
		return 1;
	}
	if (strncmp(url, "http://", 7) != 0) {
		*why = "the URL must start with https://";
		return 0;
	}
	host = url + 7;
	n = strcspn(host, "/?#");
	if (n >= 5 && strncmp(host, "[::1]", 5) == 0 && (n == 5 || host[5] == ':'))
		return 1;
	hn = strcspn(host, ":/?#");
	if ((hn == 9 && strncasecmp(host, "localhost", 9) == 0) || wa_is_ipv4_loopback(host, hn))
		return 1;
	*why = "plain http:// is allowed only to a loopback host";
	return 0;
}

static int wa_token_ok(const char *token)
{
	if (!token || !*token)
		return 0;
	for (const char *p = token; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0; /* would break the header line */
	return 1;
}

enum sb_rc webapi_new(struct webapi **out, struct net_loop *loop, const char *api_base,
                      const char *token)
{
	const char *why = NULL;
	struct webapi *w;
	size_t n;

	*out = NULL;
	if (!api_base || !wa_url_ok(api_base, &why)) {
		log_error("refusing the Slack API URL", "url=%s reason=%s",
		          log_q(api_base ? api_base : ""), log_q(why ? why : "no URL"));
		return SB_ERR_INVALID;
	}
	if (!wa_token_ok(token)) {
		log_error("the Slack bot token is empty or has spaces or control characters", NULL);
		return SB_ERR_INVALID;
	}
	w = xcalloc(1, sizeof *w);
	w->loop = loop;
	n = strlen(api_base);
	while (n > 0 && api_base[n - 1] == '/')
		n--;
	w->base = xstrndup(api_base, n);
	n = strlen("Authorization: Bearer ") + strlen(token) + 1;
	w->auth = xmalloc(n);
	snprintf(w->auth, n, "Authorization: Bearer %s", token);
	log_redact(w->token_hint, sizeof w->token_hint, token);
	w->pace = pace_new(1.0);
	webapi_tune(w, NULL);
	w->timer = xmalloc(sizeof *w->timer);
	uv_timer_init(net_loop_uv(loop), w->timer);
	w->timer->data = w;
	w->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)w ^ 0x9e3779b97f4a7c15ULL;
	log_info("Slack Web API client ready", "api=%s token=%s", log_q(w->base), w->token_hint);
	*out = w;
	return SB_OK;
}

void webapi_tune(struct webapi *w, const struct webapi_tuning *t)
{
	static const struct webapi_tuning none;

	if (!t)
		t = &none;
	w->tune.timeout_ms = t->timeout_ms > 0 ? t->timeout_ms : NET_HTTP_DEFAULT_TIMEOUT_MS;
	w->tune.backoff_ms = t->backoff_ms ? t->backoff_ms : 500;
	w->tune.max_attempts = t->max_attempts > 0 ? t->max_attempts : 5;
	w->tune.pace_scale = t->pace_scale > 0 ? t->pace_scale : 1.0;
	pace_set_scale(w->pace, w->tune.pace_scale);
}

/* --- lists ------------------------------------------------------------------------ */

static void wa_unlink(struct wa_list *l, struct wa_call *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		l->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		l->tail = q->prev;
	q->prev = q->next = NULL;
	l->n--;
}

/* Inserts by seq: a call coming back for a retry takes its old place. */
static void wa_insert(struct wa_list *l, struct wa_call *q)
{
	struct wa_call *after = l->tail;

	while (after && after->seq > q->seq)
		after = after->prev;
	q->prev = after;
	q->next = after ? after->next : l->head;
	if (q->next)
		q->next->prev = q;
	else
		l->tail = q;
	if (after)
		after->next = q;
	else
		l->head = q;
	l->n++;
}

static void wa_call_free(struct wa_call *q)
{
	free(q->method);
	free(q->url);
	free(q->body);
	free(q);
}

static void wa_job_free(struct wa_job *j)
{
	free(j->channel);
	free(j->thread_ts);
	free(j->filename);
	free(j->comment);
	free(j->data);
	free(j->file_id);
	free(j);
}

/* --- the pump ----------------------------------------------------------------------- */

static void wa_pump(struct webapi *w);

static void wa_timer_cb(uv_timer_t *t)
{
	struct webapi *w = t->data;

	if (w)
		wa_pump(w);
}

/* Runs the pump on the next loop turn: callers may be deep in a callback
 * of the HTTP client or of their own. */
static void wa_kick(struct webapi *w)
{
	w->kicked = 1;
	uv_timer_start(w->timer, wa_timer_cb, 0, 0);
}

static void wa_free_now(struct webapi *w);

/* Hands the result to the caller and frees the call. Returns 1 when the
 * caller freed the client from its callback (it is gone now). */
static int wa_finish(struct wa_call *q, const struct webapi_result *res)
{
	struct webapi *w = q->w;

	if (q->cb) {
		w->in_cb++;
		q->cb(q->ud, res);
		w->in_cb--;
	}
	wa_call_free(q);
	if (w->free_pending && !w->in_cb) {
		wa_free_now(w);
		return 1;
	}
	return 0;
}

static int wa_fail_now(struct wa_call *q, const char *error, const char *why)
{
	struct webapi_result res = {0, 0, error, why, NULL, q->attempts};

	q->w->stats.errors++;
	if (q->refused)
		log_warn("Slack API call refused", "reason=%s", log_q(why));
	else
		log_warn("Slack API call failed", "method=%s reason=%s", log_q(q->method),
		         log_q(why));
	return wa_finish(q, &res);
}

static int wa_paced(const struct wa_call *q)
{
	return q->kind != WA_UPLOAD;
}

static int wa_same_key(const struct wa_call *a, const struct wa_call *b)
{
	return wa_paced(a) && wa_paced(b) && strcmp(a->method, b->method) == 0 &&
	       strcmp(a->channel, b->channel) == 0;
}

/* An earlier call of the same (method, channel) still waits: q goes after it. */
static int wa_behind_earlier(const struct wa_call *q)
{
	for (const struct wa_call *p = q->prev; p; p = p->prev)
		if (wa_same_key(p, q))
			return 1;
	return 0;
}

/* Calls that name a channel go one at a time, so they reach Slack in order. */
static int wa_key_in_flight(const struct webapi *w, const struct wa_call *q)
{
	if (!q->channel[0])
		return 0;
	for (const struct wa_call *p = w->flying.head; p; p = p->next)
		if (wa_same_key(p, q))
			return 1;
	return 0;
}

static void wa_http_done(void *ud, const struct net_http_resp *resp);

/* Sends q now. Returns 1 when the client is gone (a failure's callback
 * freed it). */
static int wa_send(struct webapi *w, struct wa_call *q, uint64_t now)
{
	const char *headers[5];
	struct net_http_req hr;
	int nh = 0;

	/* The upload URL is pre-signed: Slack's token has no business there. */
	if (q->kind != WA_UPLOAD)
		headers[nh++] = w->auth;
	headers[nh++] = WA_USER_AGENT;
	if (q->kind == WA_POST)
		headers[nh++] = WA_CTYPE_JSON;
	else if (q->kind == WA_UPLOAD)
		headers[nh++] = WA_CTYPE_BYTES;
	headers[nh] = NULL;
	memset(&hr, 0, sizeof hr);
	hr.method = q->kind == WA_GET ? "GET" : "POST";
	hr.url = q->url;
	hr.headers = headers;
	hr.body = q->kind == WA_GET ? NULL : q->body;
	hr.body_len = q->kind == WA_GET ? 0 : q->body_len;
	hr.max_body = WA_MAX_RESP;
	hr.timeout_ms = w->tune.timeout_ms;

	wa_unlink(&w->queue, q);
	if (wa_paced(q))
		pace_sent(w->pace, q->method, q->channel, now);
	q->attempts++;
	q->sent_at = now;
	if (q->attempts > 1)
		w->stats.retries++;
	w->stats.sent++;
	q->h = net_http_send(w->loop, &hr, wa_http_done, q);
	if (!q->h) {
		if (wa_paced(q))
			pace_done(w->pace, q->method, q->channel, now);
		w->stats.transport_failures++;
		w->stats.by_status[0]++;
		return wa_fail_now(q, "request_failed", "the HTTP client refused the request");
	}
	wa_insert(&w->flying, q);
	return 0;
}

static void wa_pump(struct webapi *w)
{
	uint64_t now = net_loop_now_ms(w->loop);
	uint64_t next = UINT64_MAX;
	struct wa_call *q, *nx;

	w->kicked = 0;
	for (q = w->queue.head; q; q = nx) {
		uint64_t wait = 0;

		/* a callback below may only add calls at the tail or defer a
		 * free, so the next pointer stays valid */
		nx = q->next;
		if (q->refused) {
			wa_unlink(&w->queue, q);
			if (wa_fail_now(q, "invalid_call", q->refused))
				return;
			continue;
		}
		if (q->not_before > now)
			wait = q->not_before - now;
		else if (wa_paced(q) && (wa_behind_earlier(q) || wa_key_in_flight(w, q)))
			continue; /* woken by the earlier call's send or answer */
		else if (wa_paced(q))
			wait = pace_wait(w->pace, q->method, q->channel, now);
		if (wait == 0) {
			if (wa_send(w, q, now))
				return;
			continue;
		}
		if (!q->waited && !q->failures && !q->limited) {
			q->waited = 1;
			w->stats.paced++;
		}
		if (wait < next)
			next = wait;
	}
	if (!w->kicked && next != UINT64_MAX)
		uv_timer_start(w->timer, wa_timer_cb, next, 0);
}

/* --- answers -------------------------------------------------------------------------- */

static uint64_t wa_rand(struct webapi *w)
{
	w->rng ^= w->rng << 13; /* xorshift64: jitter needs no more */
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

/* Exponential backoff with jitter: base, 2 base, 4 base… plus up to half
 * again, so that many clients hit by one outage do not return in step. */
static uint64_t wa_backoff(struct webapi *w, const struct wa_call *q)
{
	uint64_t ms = w->tune.backoff_ms;

	for (int i = 1; i < q->failures && ms < WA_MAX_BACKOFF; i++)
		ms *= 2;
	if (ms > WA_MAX_BACKOFF)
		ms = WA_MAX_BACKOFF;
	return ms + wa_rand(w) % (ms / 2 + 1);
}

/* Parses a whole body as JSON; text after the value (but white space)
 * makes it not JSON. Returns a new tree (cJSON_Delete) or NULL. */
static cJSON *wa_json_parse(const char *body, size_t len)
{
	const char *end = NULL;
	cJSON *root;

	if (!body || len == 0)
		return NULL;
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!root)
		return NULL;
	while (end && end < body + len &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (!end || end != body + len) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static const char *wa_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* An error code fit for a log line and a table look-up: short, printable. */
static void wa_copy_code(char *out, size_t outsz, const char *s)
{
	size_t n = 0;

	for (; s && *s && n + 1 < outsz; s++)
		out[n++] = ((unsigned char)*s < ' ' || *s == 0x7f) ? ' ' : *s;
	out[n] = '\0';
}

/* "needed scope: X (token has: Y); " then response_metadata.messages. */
static void wa_detail(const cJSON *json, char *out, size_t outsz)
{
	struct buf b;
	const char *needed = wa_str(json, "needed"), *provided = wa_str(json, "provided");
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(json, "response_metadata");
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(meta, "messages");
	const cJSON *m;
	int first = 1;

	buf_init(&b, outsz > 0 ? outsz - 1 : 0);
	if (needed) {
		buf_printf(&b, "needed scope: %.200s", needed);
		if (provided)
			buf_printf(&b, " (token has: %.300s)", provided);
		first = 0;
	}
	cJSON_ArrayForEach(m, msgs)
	{
		if (!cJSON_IsString(m))
			continue;
		if (buf_printf(&b, "%s%s", first ? "" : "; ", m->valuestring) != SB_OK)
			break;
		first = 0;
	}
	wa_copy_code(out, outsz, buf_str(&b));
	buf_free(&b);
}

static void wa_log_final(const struct wa_call *q, long status, const char *error,
                         const char *detail)
{
	int auth = strcmp(error, "invalid_auth") == 0 || strcmp(error, "not_authed") == 0 ||
	           strcmp(error, "token_revoked") == 0 || strcmp(error, "account_inactive") == 0;

	if (auth)
		log_error("Slack refused the bot token", "method=%s error=%s text=%s",
		          log_q(q->method), log_q(error), log_q(webapi_error_text(error)));
	else
		log_warn("Slack API call failed", "method=%s status=%ld error=%s text=%s detail=%s",
		         log_q(q->method), status, log_q(error), log_q(webapi_error_text(error)),
		         log_q(detail));
}

static void wa_requeue(struct webapi *w, struct wa_call *q)
{
	wa_insert(&w->queue, q);
	wa_kick(w);
}

static void wa_http_done(void *ud, const struct net_http_resp *resp)
{
	struct wa_call *q = ud;
	struct webapi *w = q->w;
	uint64_t now = net_loop_now_ms(w->loop);
	long status = resp->failed ? 0 : resp->status;
	cJSON *json = NULL;
	const cJSON *okv;
	const char *code;
	char hdr[64], error[WA_ERR_MAX], detail[WA_DETAIL_MAX];
	int slack_ok, limited;

	q->h = NULL;
	wa_unlink(&w->flying, q);
	if (wa_paced(q))
		pace_done(w->pace, q->method, q->channel, now);
	if (w->queue.n)
		wa_kick(w); /* calls waiting behind this one may go */
	if (resp->failed || status < 100 || status > 599) {
		w->stats.by_status[0]++;
		w->stats.transport_failures++;
	} else {
		w->stats.by_status[status / 100]++;
	}
	if (!resp->failed && q->kind != WA_UPLOAD)
		json = wa_json_parse(resp->body, resp->body_len);
	okv = cJSON_GetObjectItemCaseSensitive(json, "ok");
	code = wa_str(json, "error");
	slack_ok = cJSON_IsTrue(okv);
	log_debug("Slack API call", "method=%s status=%ld attempt=%d ms=%llu%s%s", log_q(q->method),
	          status, q->attempts, (unsigned long long)(now - q->sent_at),
	          resp->failed ? " error=" : "", resp->failed ? log_q(resp->error) : "");

	/* Slack answers 429 with Retry-After; some methods say "ratelimited"
	 * in an HTTP 200 body instead, which means the same. */
	limited = status == 429 || (json && !slack_ok && code && strcmp(code, "ratelimited") == 0);
	if (limited) {
		uint64_t wait =
		    pace_retry_after_ms(net_http_header(resp, "Retry-After", hdr, sizeof hdr));

		w->stats.rate_limited++;
		if (wa_paced(q))
			pace_hold(w->pace, q->method, now + wait);
		else
			q->not_before = now + wait;
		log_warn("Slack rate limited a call; it will be resent", "method=%s wait_ms=%llu",
		         log_q(q->method), (unsigned long long)wait);
		if (++q->limited <= WA_MAX_LIMITED) {
			cJSON_Delete(json);
			wa_requeue(w, q);
			return;
		}
	} else if ((resp->failed && !resp->too_big) || status >= 500) {
		if (++q->failures < w->tune.max_attempts) {
			uint64_t ms = wa_backoff(w, q);

			q->not_before = now + ms;
			log_info("Slack API call will be retried",
			         "method=%s status=%ld attempt=%d retry_ms=%llu", log_q(q->method),
			         status, q->attempts, (unsigned long long)ms);
			cJSON_Delete(json);
			wa_requeue(w, q);
			return;
		}
	}

	struct webapi_result res;

	memset(&res, 0, sizeof res);
	error[0] = detail[0] = '\0';
	res.status = status;
	res.json = json;
	res.attempts = q->attempts;
	if (q->kind == WA_UPLOAD)
		res.ok = status >= 200 && status < 300;
	else
		res.ok = status >= 200 && status < 300 && slack_ok;
	if (!res.ok) {
		if (resp->failed)
			snprintf(detail, sizeof detail, "%s", resp->error);
		else if (json)
			wa_detail(json, detail, sizeof detail);
		if (limited)
			wa_copy_code(error, sizeof error, "ratelimited");
		else if (resp->failed)
			wa_copy_code(error, sizeof error,
			             resp->timed_out ? "timeout"
			             : resp->too_big ? "response_too_large"
			                             : "request_failed");
		else if (code && *code)
			wa_copy_code(error, sizeof error, code);
		else if (status < 200 || status >= 300)
			snprintf(error, sizeof error, "http_%ld", status);
		else
			wa_copy_code(error, sizeof error, "invalid_response");
		w->stats.errors++;
		wa_log_final(q, status, error, detail);
	}
	res.error = error;
	res.detail = detail;
	wa_finish(q, &res);
	/* the client may be gone now: only locals below */
	cJSON_Delete(json);
}

/* --- calls ------------------------------------------------------------------------------ */

static const char *wa_method_check(const char *method)
{
	size_t n;

	if (!method || !*method)
		return "the method name is empty";
	n = strlen(method);
	if (n > WA_MAX_METHOD)
		return "the method name is too long";
	for (const char *p = method; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.'))
			return "the method name may hold only letters, digits and dots";
	return NULL;
}

static struct wa_call *wa_new_call(struct webapi *w, enum wa_kind kind, const char *method,
                                   webapi_cb cb, void *ud)
{
	struct wa_call *q = xcalloc(1, sizeof *q);

	q->w = w;
	q->seq = ++w->seq;
	q->kind = kind;
	q->cb = cb;
	q->ud = ud;
	q->refused = kind == WA_UPLOAD ? NULL : wa_method_check(method);
	q->method = xstrdup(method && !q->refused ? method : "(refused)");
	return q;
}

static void wa_queue(struct webapi *w, struct wa_call *q)
{
	w->stats.calls++;
	wa_insert(&w->queue, q);
	wa_kick(w);
}

static void wa_set_channel(struct wa_call *q, const char *ch)
{
	if (ch)
		snprintf(q->channel, sizeof q->channel, "%s", ch);
}

void webapi_call(struct webapi *w, const char *method, const char *json_body, webapi_cb cb,
                 void *ud)
{
	struct wa_call *q;
	cJSON *root;

	if (w->free_pending)
		return; /* the client is going away */
	q = wa_new_call(w, WA_POST, method, cb, ud);
	if (!json_body)
		json_body = "{}";
	if (!q->refused) {
		root = wa_json_parse(json_body, strlen(json_body));
		if (!cJSON_IsObject(root)) {
			q->refused = "the body is not a JSON object";
		} else {
			const char *ch = wa_str(root, "channel");

			wa_set_channel(q, ch ? ch : wa_str(root, "channel_id"));
		}
		cJSON_Delete(root);
	}
	if (!q->refused) {
		size_t n = strlen(w->base) + 1 + strlen(q->method) + 1;

		q->url = xmalloc(n);
		snprintf(q->url, n, "%s/%s", w->base, q->method);
		/* kept whole: a retry sends these very bytes */
		q->body = xstrdup(json_body);
		q->body_len = strlen(json_body);
	}
	wa_queue(w, q);
}

static void wa_urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addc(b, (char)c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

void webapi_get(struct webapi *w, const char *method, const char *const *args, webapi_cb cb,
                void *ud)
{
	struct wa_call *q;
	struct buf b;

	if (w->free_pending)
		return;
	q = wa_new_call(w, WA_GET, method, cb, ud);
	if (!q->refused) {
		buf_init(&b, WA_MAX_URL);
		buf_printf(&b, "%s/%s", w->base, q->method);
		for (size_t i = 0; args && args[i]; i += 2) {
			if (!args[i + 1]) {
				q->refused = "an argument has a name but no value";
				break;
			}
			if (!*args[i]) {
				q->refused = "an argument has an empty name";
				break;
			}
			buf_addc(&b, i == 0 ? '?' : '&');
			wa_urlencode(&b, args[i]);
			buf_addc(&b, '=');
			wa_urlencode(&b, args[i + 1]);
			if (strcmp(args[i], "channel") == 0)
				wa_set_channel(q, args[i + 1]);
		}
		/* buf stops at its cap: a URL that reached it may be cut */
		if (!q->refused && b.len >= WA_MAX_URL - 4)
			q->refused = "the arguments are too long for a URL";
		if (!q->refused)
			q->url = buf_take(&b);
		buf_free(&b);
	}
	wa_queue(w, q);
}

/* --- uploads ------------------------------------------------------------------------------ */

static void wa_job_finish(struct wa_job *j, const struct webapi_result *res)
{
	struct webapi *w = j->w;

	if (j->prev)
		j->prev->next = j->next;
	else
		w->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	/* already inside wa_finish's in_cb: a webapi_free here is deferred */
	if (j->cb)
		j->cb(j->ud, res);
	wa_job_free(j);
}

static void wa_job_fail(struct wa_job *j, const struct webapi_result *from, const char *error,
                        const char *detail)
{
	struct webapi_result res = *from;

	res.ok = 0;
	res.error = error;
	res.detail = detail;
	log_warn("Slack file upload failed", "file=%s error=%s detail=%s", log_q(j->filename),
	         log_q(error), log_q(detail));
	wa_job_finish(j, &res);
}

static void wa_job_done(void *ud, const struct webapi_result *res)
{
	wa_job_finish(ud, res);
}

static void wa_job_uploaded(void *ud, const struct webapi_result *res)
{
	struct wa_job *j = ud;
	cJSON *body, *files, *f;
	char *text;

	if (!res->ok) {
		wa_job_finish(j, res);
		return;
	}
	body = cJSON_CreateObject();
	files = cJSON_AddArrayToObject(body, "files");
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "id", j->file_id);
	cJSON_AddStringToObject(f, "title", j->filename);
	cJSON_AddItemToArray(files, f);
	cJSON_AddStringToObject(body, "channel_id", j->channel);
	if (j->thread_ts)
		cJSON_AddStringToObject(body, "thread_ts", j->thread_ts);
	if (j->comment)
		cJSON_AddStringToObject(body, "initial_comment", j->comment);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	webapi_call(j->w, "files.completeUploadExternal", text, wa_job_done, j);
	cJSON_free(text);
}

static void wa_job_got_url(void *ud, const struct webapi_result *res)
{
	struct wa_job *j = ud;
	struct webapi *w = j->w;
	const char *url, *id, *why = NULL;
	struct wa_call *q;

	if (!res->ok) {
		wa_job_finish(j, res);
		return;
	}
	url = wa_str(res->json, "upload_url");
	id = wa_str(res->json, "file_id");
	if (!url || !id || !*id) {
		wa_job_fail(j, res, "invalid_response",
		            "files.getUploadURLExternal gave no upload_url or file_id");
		return;
	}
	if (!wa_url_ok(url, &why)) {
		wa_job_fail(j, res, "invalid_upload_url", why);
		return;
	}
	q = wa_new_call(w, WA_UPLOAD, "upload", wa_job_uploaded, j);
	q->url = xstrdup(url);
	q->body = j->data; /* the bytes move to the call: one copy of a big file */
	q->body_len = j->len;
	j->data = NULL;
	j->len = 0;
	j->file_id = xstrdup(id);
	wa_queue(w, q);
}

void webapi_upload(struct webapi *w, const char *channel, const char *thread_ts,
                   const char *filename, const void *data, size_t len, const char *comment,
                   webapi_cb cb, void *ud)
{
	struct wa_job *j;
	char length[24];
	const char *args[5];

	if (w->free_pending)
		return;
	if (!channel || !*channel || !filename || !*filename || (!data && len) || len == 0 ||
	    len > WA_MAX_UPLOAD) {
		struct wa_call *q = wa_new_call(w, WA_POST, "files.getUploadURLExternal", cb, ud);

		q->refused = !channel || !*channel     ? "the upload names no channel"
		             : !filename || !*filename ? "the upload has no file name"
		             : len == 0 || !data       ? "the file is empty (Slack refuses those)"
		                                       : "the file is larger than 1 GB";
		wa_queue(w, q);
		return;
	}
	j = xcalloc(1, sizeof *j);
	j->w = w;
	j->channel = xstrdup(channel);
	j->thread_ts = thread_ts && *thread_ts ? xstrdup(thread_ts) : NULL;
	j->filename = xstrdup(filename);
	j->comment = comment && *comment ? xstrdup(comment) : NULL;
	j->data = xmalloc(len + 1);
	memcpy(j->data, data, len);
	j->data[len] = '\0';
	j->len = len;
	j->cb = cb;
	j->ud = ud;
	j->next = w->jobs;
	if (w->jobs)
		w->jobs->prev = j;
	w->jobs = j;
	snprintf(length, sizeof length, "%zu", len);
	args[0] = "filename";
	args[1] = filename;
	args[2] = "length";
	args[3] = length;
	args[4] = NULL;
	webapi_get(w, "files.getUploadURLExternal", args, wa_job_got_url, j);
}

/* --- the rest ------------------------------------------------------------------------------ */

size_t webapi_pending(const struct webapi *w)
{
	return w->queue.n + w->flying.n;
}

void webapi_get_stats(const struct webapi *w, struct webapi_stats *out)
{
	*out = w->stats;
}

static void wa_timer_closed(uv_handle_t *h)
{
	free(h);
}

static void wa_free_now(struct webapi *w)
{
	while (w->flying.head) {
		struct wa_call *q = w->flying.head;

		wa_unlink(&w->flying, q);
		net_http_cancel(q->h); /* a no-op for one whose callback runs now */
		wa_call_free(q);
	}
	while (w->queue.head) {
		struct wa_call *q = w->queue.head;

		wa_unlink(&w->queue, q);
		wa_call_free(q);
	}
	while (w->jobs) {
		struct wa_job *j = w->jobs;

		w->jobs = j->next;
		wa_job_free(j);
	}
	uv_timer_stop(w->timer);
	w->timer->data = NULL;
	uv_close((uv_handle_t *)w->timer, wa_timer_closed);
	pace_free(w->pace);
	free(w->base);
	free(w->auth);
	free(w);
}

void webapi_free(struct webapi *w)
{
	if (!w)
		return;
	if (w->in_cb) {
		w->free_pending = 1; /* freed once the running callback returns */
		return;
	}
	wa_free_now(w);
}
