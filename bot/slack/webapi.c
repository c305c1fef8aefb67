/* Slack's Web API on the loop's HTTP client (webapi.h). Calls wait in one
 * queue in the order they were made (net/reqq.h: queue, pump, timer,
 * lifecycle, backoff); the pump sends every call the pacing table
 * (webapi_pace.h) lets go, keeping calls of one (method, channel) in order
 * and one at a time when they name a channel. 429s, "ratelimited" answers,
 * 5xx answers and transfer failures put the call back at its old place.
 *
 * Ownership: the client embeds its struct reqq (queue, in-flight list,
 * timer) and owns its upload jobs; webapi_free() releases them all without
 * calling back. A call owns copies of its URL and body. */
#include "slack/webapi.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http.h"
#include "net/reqq.h"
#include "slack/webapi_pace.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/mem.h"

#ifndef STUDYBOT_VERSION
#define STUDYBOT_VERSION "0"
#endif

#define WA_USER_AGENT  "User-Agent: studybot/" STUDYBOT_VERSION
#define WA_CTYPE_JSON  "Content-Type: application/json; charset=utf-8"
#define WA_CTYPE_BYTES "Content-Type: application/octet-stream"
#define WA_MAX_LIMITED 10 /* resends after 429s before a call fails */
#define WA_MAX_URL     8192
#define WA_MAX_METHOD  100
#define WA_MAX_RESP    (4 * 1024 * 1024)
#define WA_MAX_UPLOAD  (1024 * 1024 * 1024)
#define WA_ERR_MAX     128
#define WA_DETAIL_MAX  1024

enum wa_kind { WA_POST, WA_GET, WA_UPLOAD };

struct wa_call {
	struct reqq_node n; /* first: the queue hands it back as this call */
	enum wa_kind kind;
	char *method; /* the Web API method; "upload" for the bytes of an upload */
	char *url;    /* whole; never logged (an upload URL is a secret of sorts) */
	char *body;
	size_t body_len;
	char channel[PACE_KEY_MAX + 1]; /* pacing and order key, with method */
	webapi_cb cb;
	void *ud;
	uint64_t not_before; /* backoff, or a 429's wait for an upload */
};

struct wa_job; /* an upload in progress */

struct webapi {
	struct reqq c; /* first: the queue hands it back as this client */
	struct pace *pace;
	struct webapi_tuning tune;
	struct wa_job *jobs;
	struct webapi_stats stats;
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

static struct wa_call *wa_call_of(struct reqq_node *n)
{
	return (struct wa_call *)n;
}

static struct webapi *wa_of(struct reqq *c)
{
	return (struct webapi *)c;
}

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

static const struct reqq_ops wa_ops;

enum sb_rc webapi_new(struct webapi **out, struct net_loop *loop, const char *api_base,
                      const char *token)
{
	struct webapi *w;

	*out = NULL;
	if (reqq_check("Slack", api_base, WA_MAX_URL / 2, token) != SB_OK)
		return SB_ERR_INVALID;
	w = xcalloc(1, sizeof *w);
	reqq_init(&w->c, loop, &wa_ops, api_base, "Bearer", token);
	w->pace = pace_new(1.0);
	webapi_tune(w, NULL);
	log_info("Slack Web API client ready", "api=%s token=%s", log_q(w->c.base),
	         w->c.token_hint);
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

/* --- calls in the queue ----------------------------------------------------------- */

static void wa_call_free(struct reqq_node *n)
{
	struct wa_call *q = wa_call_of(n);

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

static void wa_deliver(struct reqq_node *n, const void *res)
{
	struct wa_call *q = wa_call_of(n);

	if (q->cb)
		q->cb(q->ud, res);
}

static int wa_fail_now(struct wa_call *q, const char *error, const char *why)
{
	struct webapi_result res = {0, 0, error, why, NULL, q->n.attempts};

	wa_of(q->n.c)->stats.errors++;
	if (q->n.refused)
		log_warn("Slack API call refused", "reason=%s", log_q(why));
	else
		log_warn("Slack API call failed", "method=%s reason=%s", log_q(q->method),
		         log_q(why));
	return reqq_finish(&q->n, &res);
}

static int wa_refuse(struct reqq_node *n)
{
	return wa_fail_now(wa_call_of(n), "invalid_call", n->refused);
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
	for (const struct reqq_node *p = q->n.prev; p; p = p->prev)
		if (wa_same_key((const struct wa_call *)p, q))
			return 1;
	return 0;
}

/* Calls that name a channel go one at a time, so they reach Slack in order. */
static int wa_key_in_flight(const struct webapi *w, const struct wa_call *q)
{
	if (!q->channel[0])
		return 0;
	for (const struct reqq_node *p = w->c.flying.head; p; p = p->next)
		if (wa_same_key((const struct wa_call *)p, q))
			return 1;
	return 0;
}

/* Sends q now. Returns 1 when the client is gone (a failure's callback
 * freed it). */
static int wa_send(struct reqq *c, struct reqq_node *n, uint64_t now)
{
	struct webapi *w = wa_of(c);
	struct wa_call *q = wa_call_of(n);
	const char *headers[5];
	struct net_http_req hr;
	int nh = 0;

	/* The upload URL is pre-signed: Slack's token has no business there. */
	if (q->kind != WA_UPLOAD)
		headers[nh++] = c->auth;
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

	if (wa_paced(q))
		pace_sent(w->pace, q->method, q->channel, now);
	if (n->attempts > 0)
		w->stats.retries++;
	w->stats.sent++;
	if (reqq_send(c, n, &hr, now) != 0) {
		if (wa_paced(q))
			pace_done(w->pace, q->method, q->channel, now);
		w->stats.transport_failures++;
		w->stats.by_status[0]++;
		return wa_fail_now(q, "request_failed", "the HTTP client refused the request");
	}
	return 0;
}

static uint64_t wa_wait(struct reqq *c, struct reqq_node *n, uint64_t now)
{
	struct webapi *w = wa_of(c);
	struct wa_call *q = wa_call_of(n);
	uint64_t wait = 0;

	if (q->not_before > now)
		wait = q->not_before - now;
	else if (wa_paced(q) && (wa_behind_earlier(q) || wa_key_in_flight(w, q)))
		return REQQ_HELD; /* woken by the earlier call's send or answer */
	else if (wa_paced(q))
		wait = pace_wait(w->pace, q->method, q->channel, now);
	if (wait != 0 && !n->waited && !n->failures && !n->limited) {
		n->waited = 1;
		w->stats.paced++;
	}
	return wait;
}

/* --- answers -------------------------------------------------------------------------- */

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

static void wa_answered(struct reqq_node *n, const struct net_http_resp *resp)
{
	struct wa_call *q = wa_call_of(n);
	struct webapi *w = wa_of(n->c);
	uint64_t now = net_loop_now_ms(w->c.loop);
	long status = resp->failed ? 0 : resp->status;
	cJSON *json = NULL;
	const cJSON *okv;
	const char *code;
	char hdr[64], error[WA_ERR_MAX], detail[WA_DETAIL_MAX];
	int slack_ok, limited, cls;

	if (wa_paced(q))
		pace_done(w->pace, q->method, q->channel, now);
	if (w->c.queue.n)
		reqq_kick(&w->c); /* calls waiting behind this one may go */
	cls = reqq_status_class(resp);
	w->stats.by_status[cls]++;
	if (cls == 0)
		w->stats.transport_failures++;
	if (!resp->failed && q->kind != WA_UPLOAD)
		json = reqq_json_parse(resp->body, resp->body_len);
	okv = cJSON_GetObjectItemCaseSensitive(json, "ok");
	code = wa_str(json, "error");
	slack_ok = cJSON_IsTrue(okv);
	if (log_enabled(LOG_DEBUG)) /* every answer: skip the quoting when off */
		log_debug("Slack API call", "method=%s status=%ld attempt=%d ms=%llu%s%s",
		          log_q(q->method), status, n->attempts,
		          (unsigned long long)(now - n->sent_at), resp->failed ? " error=" : "",
		          resp->failed ? log_q(resp->error) : "");

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
		if (++n->limited <= WA_MAX_LIMITED) {
			cJSON_Delete(json);
			reqq_requeue(&w->c, n);
			return;
		}
	} else if (reqq_transient(resp)) {
		if (++n->failures < w->tune.max_attempts) {
			uint64_t ms = reqq_backoff(&w->c, w->tune.backoff_ms, n->failures);

			q->not_before = now + ms;
			log_info("Slack API call will be retried",
			         "method=%s status=%ld attempt=%d retry_ms=%llu", log_q(q->method),
			         status, n->attempts, (unsigned long long)ms);
			cJSON_Delete(json);
			reqq_requeue(&w->c, n);
			return;
		}
	}

	struct webapi_result res;

	memset(&res, 0, sizeof res);
	error[0] = detail[0] = '\0';
	res.status = status;
	res.json = json;
	res.attempts = n->attempts;
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
	reqq_finish(n, &res);
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

	q->n.c = &w->c;
	q->kind = kind;
	q->cb = cb;
	q->ud = ud;
	q->n.refused = kind == WA_UPLOAD ? NULL : wa_method_check(method);
	q->method = xstrdup(method && !q->n.refused ? method : "(refused)");
	return q;
}

static void wa_queue(struct webapi *w, struct wa_call *q)
{
	w->stats.calls++;
	reqq_push(&w->c, &q->n);
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

	if (w->c.free_pending)
		return; /* the client is going away */
	q = wa_new_call(w, WA_POST, method, cb, ud);
	if (!json_body)
		json_body = "{}";
	if (!q->n.refused) {
		root = reqq_json_parse(json_body, strlen(json_body));
		if (!cJSON_IsObject(root)) {
			q->n.refused = "the body is not a JSON object";
		} else {
			const char *ch = wa_str(root, "channel");

			wa_set_channel(q, ch ? ch : wa_str(root, "channel_id"));
		}
		cJSON_Delete(root);
	}
	if (!q->n.refused) {
		size_t n = strlen(w->c.base) + 1 + strlen(q->method) + 1;

		q->url = xmalloc(n);
		snprintf(q->url, n, "%s/%s", w->c.base, q->method);
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

	if (w->c.free_pending)
		return;
	q = wa_new_call(w, WA_GET, method, cb, ud);
	if (!q->n.refused) {
		buf_init(&b, WA_MAX_URL);
		buf_printf(&b, "%s/%s", w->c.base, q->method);
		for (size_t i = 0; args && args[i]; i += 2) {
			if (!args[i + 1]) {
				q->n.refused = "an argument has a name but no value";
				break;
			}
			if (!*args[i]) {
				q->n.refused = "an argument has an empty name";
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
		if (!q->n.refused && b.len >= WA_MAX_URL - 4)
			q->n.refused = "the arguments are too long for a URL";
		if (!q->n.refused)
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
	/* already inside reqq_finish's in_cb: a webapi_free here is deferred */
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
	text = json_take(body);
	webapi_call(j->w, "files.completeUploadExternal", text, wa_job_done, j);
	free(text);
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
	if (!reqq_url_ok(url, WA_MAX_URL / 2, &why)) {
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

	if (w->c.free_pending)
		return;
	if (!channel || !*channel || !filename || !*filename || (!data && len) || len == 0 ||
	    len > WA_MAX_UPLOAD) {
		struct wa_call *q = wa_new_call(w, WA_POST, "files.getUploadURLExternal", cb, ud);

		q->n.refused = !channel || !*channel     ? "the upload names no channel"
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
	return reqq_pending(&w->c);
}

void webapi_get_stats(const struct webapi *w, struct webapi_stats *out)
{
	*out = w->stats;
}

static void wa_free_now(struct reqq *c)
{
	struct webapi *w = wa_of(c);

	reqq_fini(c);
	while (w->jobs) {
		struct wa_job *j = w->jobs;

		w->jobs = j->next;
		wa_job_free(j);
	}
	pace_free(w->pace);
	free(w);
}

static const struct reqq_ops wa_ops = {
    .wait = wa_wait,
    .send = wa_send,
    .refuse = wa_refuse,
    .answer = wa_answered,
    .deliver = wa_deliver,
    .node_free = wa_call_free,
    .free_now = wa_free_now,
};

void webapi_free(struct webapi *w)
{
	if (w)
		reqq_free(&w->c);
}
