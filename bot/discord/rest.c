/* Discord's REST API on the loop's HTTP client (rest.h). Requests wait in
 * one queue in the order they were made; a pump sends every request the
 * rate-limit table (rest_rl.h) lets go, and one timer wakes the pump when
 * the nearest wait ends. Answers go back to the table, and 429s, 5xx
 * answers and transfer failures put the request back in the queue at its
 * old place, so it still goes before later requests on its bucket. */
#include "discord/rest.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discord/rest_rl.h"
#include "net/http.h"
#include "util/log.h"
#include "util/mem.h"

#ifndef STUDYBOT_VERSION
#define STUDYBOT_VERSION "0"
#endif

#define REST_USER_AGENT                                                                            \
	"User-Agent: DiscordBot (https://github.com/studybot/studybot, " STUDYBOT_VERSION ")"
#define REST_GLOBAL_PER_SEC 50
#define REST_MAX_LIMITED    10    /* 429s one request takes before it fails */
#define REST_MAX_BACKOFF_MS 30000 /* longest delay between retries of a failure */
#define REST_MAX_URL        2048
#define REST_ERR_TEXT       512
#define REST_ERR_MAX_DEPTH  16 /* nesting of Discord's "errors" object we follow */
#define REST_ERR_MAX_ITEMS  8  /* field errors listed in one line */
#define REST_EXCERPT        120

struct rest_req {
	struct rest_req *prev, *next; /* in the queue or the in-flight list */
	struct rest *r;
	uint64_t seq; /* queue order */
	char *method, *path, *body;
	size_t body_len;
	char *ctype; /* "Content-Type: ..." header line when there is a body */
	char route[RL_KEY_MAX];
	int exempt;
	const char *refused; /* why rest_request() refused it; fails on the next turn */
	rest_cb cb;
	void *ud;
	int attempts; /* sends */
	int failures; /* 5xx answers and transfer failures */
	int limited;  /* 429 answers */
	int waited;   /* counted in rate_limit_waits */
	uint64_t sent_at;
	struct net_http *h; /* while in flight */
};

struct rest_list {
	struct rest_req *head, *tail;
	size_t n;
};

struct rest {
	struct net_loop *loop;
	char *base; /* without trailing '/' */
	char *auth; /* "Authorization: Bot TOKEN" */
	char token_hint[16];
	struct rl *rl;
	struct rest_tuning tune;
	struct rest_list queue;  /* waiting, by seq */
	struct rest_list flying; /* in flight */
	uv_timer_t *timer;       /* closed by rest_free; freed in its close callback */
	int kicked;              /* the timer is due now */
	uint64_t seq;
	uint64_t rng;
	struct rest_stats stats;
	int in_cb;        /* a caller's callback is running */
	int free_pending; /* rest_free() was called from it */
};

/* --- JSON ------------------------------------------------------------------- */

/* Parses a whole body as JSON: text after the value (but white space)
 * makes it not JSON. Returns a new tree (cJSON_Delete) or NULL. */
static cJSON *rest_json_parse(const char *body, size_t len)
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

/* --- error text ------------------------------------------------------------- */

/* Text cut to a fixed buffer at a UTF-8 boundary, "..." marking the cut;
 * control bytes become spaces so the line stays one line. */
struct rest_txt {
	char *p;
	size_t cap, n;
	int cut;
};

static void rest_txt_add(struct rest_txt *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !t->cut; i++) {
		unsigned char c = (unsigned char)s[i];

		if (t->n + 1 >= t->cap) {
			t->cut = 1;
			break;
		}
		t->p[t->n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	t->p[t->n] = '\0';
}

static void rest_txt_adds(struct rest_txt *t, const char *s)
{
	rest_txt_add(t, s, strlen(s));
}

static void rest_txt_end(struct rest_txt *t)
{
	if (!t->cut || t->cap < 4)
		return;
	if (t->n > t->cap - 4)
		t->n = t->cap - 4;
	while (t->n > 0 && ((unsigned char)t->p[t->n] & 0xc0) == 0x80)
		t->n--; /* do not leave half a character before the dots */
	memcpy(t->p + t->n, "...", 4);
	t->n += 3;
}

struct rest_flat {
	struct rest_txt *out;
	int items;
};

static void rest_flat_item(struct rest_flat *f, const char *path, const char *msg)
{
	if (f->items == REST_ERR_MAX_ITEMS)
		rest_txt_adds(f->out, "; ...");
	if (f->items++ >= REST_ERR_MAX_ITEMS)
		return;
	if (f->items > 1)
		rest_txt_adds(f->out, "; ");
	if (*path) {
		rest_txt_adds(f->out, path);
		rest_txt_adds(f->out, ": ");
	}
	rest_txt_adds(f->out, msg);
}

/* Walks Discord's nested "errors" object: keys joined by '.', the
 * messages of each "_errors" array listed under their path. */
static void rest_flatten(struct rest_flat *f, const cJSON *node, const char *path, int depth)
{
	const cJSON *child;

	cJSON_ArrayForEach(child, node)
	{
		if (!child->string)
			continue;
		if (strcmp(child->string, "_errors") == 0 && cJSON_IsArray(child)) {
			const cJSON *e;

			cJSON_ArrayForEach(e, child)
			{
				const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");

				if (cJSON_IsString(m))
					rest_flat_item(f, path, m->valuestring);
			}
		} else if (cJSON_IsObject(child) && depth < REST_ERR_MAX_DEPTH) {
			char sub[256];

			snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", child->string);
			rest_flatten(f, child, sub, depth + 1);
		}
	}
}

/* What a body that is not Discord's error object looks like, shortly. */
static void rest_excerpt(const char *body, size_t len, struct rest_txt *t)
{
	while (len && (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')) {
		body++;
		len--;
	}
	if (len == 0) {
		rest_txt_adds(t, "(empty body)");
		return;
	}
	rest_txt_add(t, body, len > REST_EXCERPT ? REST_EXCERPT : len);
	if (len > REST_EXCERPT)
		rest_txt_adds(t, "...");
}

int rest_error_text(const char *body, size_t len, char *out, size_t outsz)
{
	struct rest_txt t = {out, outsz, 0, 0};
	cJSON *root;
	const cJSON *msg, *code, *errors;
	int icode = 0;

	if (!out || outsz == 0)
		return 0;
	out[0] = '\0';
	if (!body)
		len = 0;
	root = rest_json_parse(body, len);
	msg = cJSON_GetObjectItemCaseSensitive(root, "message");
	code = cJSON_GetObjectItemCaseSensitive(root, "code");
	if (!cJSON_IsObject(root) || (!cJSON_IsString(msg) && !cJSON_IsNumber(code))) {
		rest_excerpt(body, len, &t);
		rest_txt_end(&t);
		cJSON_Delete(root);
		return 0;
	}
	rest_txt_adds(&t, cJSON_IsString(msg) && *msg->valuestring ? msg->valuestring : "error");
	if (cJSON_IsNumber(code) && code->valuedouble >= 0 && code->valuedouble <= INT_MAX &&
	    code->valuedouble == (double)(int)code->valuedouble) {
		char num[24];

		icode = (int)code->valuedouble;
		snprintf(num, sizeof num, " (%d)", icode);
		rest_txt_adds(&t, num);
	}
	errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
	if (cJSON_IsObject(errors)) {
		char fields[REST_ERR_TEXT];
		struct rest_txt ft = {fields, sizeof fields, 0, 0};
		struct rest_flat f = {&ft, 0};

		fields[0] = '\0';
		rest_flatten(&f, errors, "", 0);
		rest_txt_end(&ft);
		if (f.items) {
			rest_txt_adds(&t, ": ");
			rest_txt_adds(&t, fields);
		}
	}
	rest_txt_end(&t);
	cJSON_Delete(root);
	return icode;
}

/* --- set-up ----------------------------------------------------------------- */

static int rest_is_ipv4_loopback(const char *h, size_t n)
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

/* https:// anywhere; http:// only to this machine (tests, local fakes),
 * so a token never crosses a network in the clear. */
static int rest_base_ok(const char *base, const char **why)
{
	const char *host;
	size_t n;

	if (strlen(base) > REST_MAX_URL / 2) {
		*why = "the URL is too long";
		return 0;
	}
	for (const char *p = base; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			*why = "the URL has spaces or control characters";
			return 0;
		}
	}
	if (strncmp(base, "https://", 8) == 0) {
		host = base + 8;
		if (*host == '\0' || *host == '/') {
			*why = "the URL has no host";
			return 0;
		}
		return 1;
	}
	if (strncmp(base, "http://", 7) != 0) {
		*why = "the URL must start with https://";
		return 0;
	}
	host = base + 7;
	n = strcspn(host, "/?#");
	if (n >= 5 && strncmp(host, "[::1]", 5) == 0 && (n == 5 || host[5] == ':'))
		return 1;
	size_t hn = strcspn(host, ":/?#");
	if ((hn == 9 && strncasecmp(host, "localhost", 9) == 0) || rest_is_ipv4_loopback(host, hn))
		return 1;
	*why = "plain http:// is allowed only to a loopback host";
	return 0;
}

static int rest_token_ok(const char *token)
{
	if (!token || !*token)
		return 0;
	for (const char *p = token; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0; /* would break the header line */
	return 1;
}

enum sb_rc rest_new(struct rest **out, struct net_loop *loop, const char *api_base,
                    const char *token)
{
	const char *why = NULL;
	struct rest *r;
	size_t n;

	*out = NULL;
	if (!api_base || !rest_base_ok(api_base, &why)) {
		log_error("refusing the Discord API URL", "url=%s reason=%s",
		          log_q(api_base ? api_base : ""), log_q(why ? why : "no URL"));
		return SB_ERR_INVALID;
	}
	if (!rest_token_ok(token)) {
		log_error("the Discord bot token is empty or has spaces or control characters",
		          NULL);
		return SB_ERR_INVALID;
	}
	r = xcalloc(1, sizeof *r);
	r->loop = loop;
	n = strlen(api_base);
	while (n > 0 && api_base[n - 1] == '/')
		n--;
	r->base = xstrndup(api_base, n);
	n = strlen("Authorization: Bot ") + strlen(token) + 1;
	r->auth = xmalloc(n);
	snprintf(r->auth, n, "Authorization: Bot %s", token);
	log_redact(r->token_hint, sizeof r->token_hint, token);
	r->rl = rl_new(REST_GLOBAL_PER_SEC);
	rest_tune(r, NULL);
	r->timer = xmalloc(sizeof *r->timer);
	uv_timer_init(net_loop_uv(loop), r->timer);
	r->timer->data = r;
	r->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)r ^ 0x9e3779b97f4a7c15ULL;
	log_info("Discord REST client ready", "api=%s token=%s", log_q(r->base), r->token_hint);
	*out = r;
	return SB_OK;
}

void rest_tune(struct rest *r, const struct rest_tuning *t)
{
	static const struct rest_tuning none;

	if (!t)
		t = &none;
	r->tune.timeout_ms = t->timeout_ms > 0 ? t->timeout_ms : NET_HTTP_DEFAULT_TIMEOUT_MS;
	r->tune.backoff_ms = t->backoff_ms ? t->backoff_ms : 500;
	r->tune.max_attempts = t->max_attempts > 0 ? t->max_attempts : 5;
	r->tune.max_body = t->max_body ? t->max_body : REST_MAX_BODY;
}

/* --- lists ------------------------------------------------------------------ */

static void rest_list_unlink(struct rest_list *l, struct rest_req *q)
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

/* Inserts by seq: a request coming back for a retry takes its old place. */
static void rest_list_insert(struct rest_list *l, struct rest_req *q)
{
	struct rest_req *after = l->tail;

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

static void rest_req_free(struct rest_req *q)
{
	free(q->method);
	free(q->path);
	free(q->body);
	free(q->ctype);
	free(q);
}

/* --- the pump ---------------------------------------------------------------- */

static void rest_pump(struct rest *r);

static void rest_timer_cb(uv_timer_t *t)
{
	struct rest *r = t->data;

	if (r)
		rest_pump(r);
}

/* Runs the pump on the next loop turn rather than now: callers may be deep
 * in a callback of the HTTP client or of the caller's own code. */
static void rest_kick(struct rest *r)
{
	r->kicked = 1;
	uv_timer_start(r->timer, rest_timer_cb, 0, 0);
}

static void rest_free_now(struct rest *r);

/* Hands the result to the caller and frees the request. Returns 1 when the
 * caller freed the client from its callback (it is gone now). */
static int rest_finish(struct rest_req *q, const struct rest_result *res)
{
	struct rest *r = q->r;

	if (q->cb) {
		r->in_cb++;
		q->cb(q->ud, res);
		r->in_cb--;
	}
	rest_req_free(q);
	if (r->free_pending && !r->in_cb) {
		rest_free_now(r);
		return 1;
	}
	return 0;
}

static int rest_fail_now(struct rest_req *q, const char *why)
{
	struct rest_result res = {0, 0, 0, why, NULL, q->attempts};

	if (q->refused) /* method and path were not kept: they may be anything */
		log_warn("Discord request refused", "reason=%s", log_q(why));
	else
		log_warn("Discord request failed", "method=%s route=%s reason=%s", q->method,
		         log_q(q->route), log_q(why));
	return rest_finish(q, &res);
}

static void rest_http_done(void *ud, const struct net_http_resp *resp);

/* Sends q now. Returns 1 when the client is gone (a failure's callback
 * freed it). */
static int rest_send(struct rest *r, struct rest_req *q, uint64_t now)
{
	const char *headers[4];
	char url[REST_MAX_URL + 1];
	struct net_http_req hr;
	int nh = 0;

	headers[nh++] = r->auth;
	headers[nh++] = REST_USER_AGENT;
	if (q->body)
		headers[nh++] = q->ctype;
	headers[nh] = NULL;
	snprintf(url, sizeof url, "%s%s", r->base, q->path);
	memset(&hr, 0, sizeof hr);
	hr.method = q->method;
	hr.url = url;
	hr.headers = headers;
	hr.body = q->body;
	hr.body_len = q->body_len;
	hr.max_body = r->tune.max_body;
	hr.timeout_ms = r->tune.timeout_ms;

	rest_list_unlink(&r->queue, q);
	rl_sent(r->rl, q->route, q->exempt, now);
	q->attempts++;
	q->sent_at = now;
	r->stats.requests++;
	if (q->attempts > 1)
		r->stats.retries++;
	q->h = net_http_send(r->loop, &hr, rest_http_done, q);
	if (!q->h) {
		struct rl_answer none = {0};

		none.body_retry_after = -1;
		none.body_global = -1;
		rl_done(r->rl, q->route, &none, now, NULL, NULL);
		r->stats.by_class[0]++;
		return rest_fail_now(q, "the HTTP client refused the request");
	}
	rest_list_insert(&r->flying, q);
	return 0;
}

static void rest_pump(struct rest *r)
{
	uint64_t now = net_loop_now_ms(r->loop);
	uint64_t next = RL_BUSY;
	struct rest_req *q, *nx;

	r->kicked = 0;
	for (q = r->queue.head; q; q = nx) {
		uint64_t w;

		/* a callback below may only add requests at the tail or defer
		 * a free, so the next pointer stays valid */
		nx = q->next;
		if (q->refused) {
			rest_list_unlink(&r->queue, q);
			if (rest_fail_now(q, q->refused))
				return;
			continue;
		}
		w = rl_wait(r->rl, q->route, q->exempt, now);
		if (w == 0) {
			if (rest_send(r, q, now))
				return;
			continue;
		}
		if (!q->waited) {
			q->waited = 1;
			r->stats.rate_limit_waits++;
		}
		if (w < next)
			next = w;
	}
	if (!r->kicked && next != RL_BUSY)
		uv_timer_start(r->timer, rest_timer_cb, next, 0);
}

/* --- answers ----------------------------------------------------------------- */

static uint64_t rest_rand(struct rest *r)
{
	r->rng ^= r->rng << 13; /* xorshift64: jitter needs no more */
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

/* Exponential backoff with jitter (base, 2 base, 4 base, ... plus up to
 * half again), held on the request's limiter so that later requests on
 * the same bucket wait behind the retry. */
static uint64_t rest_backoff(struct rest *r, struct rest_req *q, uint64_t now)
{
	uint64_t ms = r->tune.backoff_ms;

	for (int i = 1; i < q->failures && ms < REST_MAX_BACKOFF_MS; i++)
		ms *= 2;
	if (ms > REST_MAX_BACKOFF_MS)
		ms = REST_MAX_BACKOFF_MS;
	ms += rest_rand(r) % (ms / 2 + 1);
	rl_hold(r->rl, q->route, now + ms);
	return ms;
}

/* The rate-limit headers and body fields of an answer; values point into
 * the caller's hdr buffers or json. */
struct rest_hdrs {
	char bucket[80], limit[24], remaining[24], reset_after[32], retry_after[32], global[16],
	    scope[16];
};

static void rest_answer(const struct net_http_resp *resp, const cJSON *json, struct rest_hdrs *hb,
                        struct rl_answer *a)
{
	const cJSON *ra = cJSON_GetObjectItemCaseSensitive(json, "retry_after");
	const cJSON *gl = cJSON_GetObjectItemCaseSensitive(json, "global");

	memset(a, 0, sizeof *a);
	a->status = resp->failed ? 0 : resp->status;
	a->bucket = net_http_header(resp, "X-RateLimit-Bucket", hb->bucket, sizeof hb->bucket);
	a->limit = net_http_header(resp, "X-RateLimit-Limit", hb->limit, sizeof hb->limit);
	a->remaining =
	    net_http_header(resp, "X-RateLimit-Remaining", hb->remaining, sizeof hb->remaining);
	a->reset_after = net_http_header(resp, "X-RateLimit-Reset-After", hb->reset_after,
	                                 sizeof hb->reset_after);
	a->retry_after_hdr =
	    net_http_header(resp, "Retry-After", hb->retry_after, sizeof hb->retry_after);
	a->global_hdr = net_http_header(resp, "X-RateLimit-Global", hb->global, sizeof hb->global);
	a->scope = net_http_header(resp, "X-RateLimit-Scope", hb->scope, sizeof hb->scope);
	a->body_retry_after = cJSON_IsNumber(ra) && ra->valuedouble >= 0 ? ra->valuedouble : -1;
	a->body_global = cJSON_IsBool(gl) ? cJSON_IsTrue(gl) : -1;
}

static void rest_log_429(const struct rest_req *q, const struct rl_answer *a, uint64_t wait,
                         int global, int ban)
{
	if (ban)
		log_error("Discord answered 429 without rate-limit headers: probably a Cloudflare "
		          "ban for too many invalid requests; pausing every request",
		          "route=%s wait_ms=%llu", log_q(q->route), (unsigned long long)wait);
	else if (global)
		log_warn("Discord's global rate limit was hit; pausing all but interaction "
		         "callbacks",
		         "route=%s wait_ms=%llu", log_q(q->route), (unsigned long long)wait);
	else
		log_warn("Discord rate limited a request; it will be resent",
		         "route=%s wait_ms=%llu scope=%s", log_q(q->route),
		         (unsigned long long)wait, log_q(a->scope ? a->scope : "user"));
}

/* Final non-2xx answers, logged readably (Discord's own message). */
static void rest_log_final(const struct rest_req *q, long status, int code, const char *msg)
{
	if (status == 401)
		log_error("Discord refused the bot token (401): check the token in the config",
		          "method=%s route=%s", q->method, log_q(q->route));
	else
		log_warn("Discord request failed", "method=%s route=%s status=%ld code=%d error=%s",
		         q->method, log_q(q->route), status, code, log_q(msg));
}

/* Puts q back in the queue for another attempt. */
static void rest_requeue(struct rest *r, struct rest_req *q)
{
	rest_list_insert(&r->queue, q);
	rest_kick(r);
}

/* Worth another try: 5xx answers and transfers that got no answer (an
 * oversized body would only come back oversized). */
static int rest_transient(const struct net_http_resp *resp)
{
	if (resp->failed)
		return !resp->too_big;
	return resp->status >= 500;
}

static void rest_http_done(void *ud, const struct net_http_resp *resp)
{
	struct rest_req *q = ud;
	struct rest *r = q->r;
	uint64_t now = net_loop_now_ms(r->loop);
	struct rest_hdrs hb;
	struct rl_answer a;
	cJSON *json = NULL;
	int global = 0, ban = 0;
	uint64_t wait;
	char msg[REST_ERR_TEXT];

	q->h = NULL;
	rest_list_unlink(&r->flying, q);
	if (!resp->failed && resp->body_len)
		json = rest_json_parse(resp->body, resp->body_len);
	rest_answer(resp, json, &hb, &a);
	wait = rl_done(r->rl, q->route, &a, now, &global, &ban);
	if (r->queue.n)
		rest_kick(r); /* its limiter is free: whoever waited behind it may go */
	r->stats.invalid = rl_invalid(r->rl);
	if (resp->failed || resp->status < 100 || resp->status > 599)
		r->stats.by_class[0]++;
	else {
		r->stats.by_class[resp->status / 100]++;
		r->stats.by_status[resp->status - 100]++;
	}
	log_debug("Discord request", "method=%s route=%s status=%ld attempt=%d ms=%llu%s%s",
	          q->method, log_q(q->route), a.status, q->attempts,
	          (unsigned long long)(now - q->sent_at), resp->failed ? " error=" : "",
	          resp->failed ? log_q(resp->error) : "");

	if (!resp->failed && resp->status == 429) {
		r->stats.rate_limited++;
		rest_log_429(q, &a, wait, global, ban);
		if (++q->limited < REST_MAX_LIMITED) {
			cJSON_Delete(json);
			rest_requeue(r, q);
			return;
		}
	} else if (rest_transient(resp)) {
		if (++q->failures < r->tune.max_attempts) {
			uint64_t ms = rest_backoff(r, q, now);

			log_info("Discord request will be retried",
			         "method=%s route=%s status=%ld "
			         "attempt=%d retry_ms=%llu",
			         q->method, log_q(q->route), a.status, q->attempts,
			         (unsigned long long)ms);
			cJSON_Delete(json);
			rest_requeue(r, q);
			return;
		}
	}

	struct rest_result res;

	memset(&res, 0, sizeof res);
	res.status = a.status;
	res.ok = a.status >= 200 && a.status < 300;
	res.json = json;
	res.attempts = q->attempts;
	res.message = "";
	if (resp->failed) {
		snprintf(msg, sizeof msg, "%s", resp->error);
		res.message = msg;
		log_warn("Discord request failed", "method=%s route=%s attempts=%d error=%s",
		         q->method, log_q(q->route), q->attempts, log_q(msg));
	} else if (!res.ok) {
		res.code = rest_error_text(resp->body, resp->body_len, msg, sizeof msg);
		res.message = msg;
		rest_log_final(q, a.status, res.code, msg);
	}
	rest_finish(q, &res);
	/* the client may be gone now: only locals below */
	cJSON_Delete(json);
}

/* --- requests ----------------------------------------------------------------- */

static const char *rest_check(const char *method, const char *path)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
	int known = 0;

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (method && strcmp(method, methods[i]) == 0)
			known = 1;
	if (!known)
		return "unknown HTTP method";
	if (!path || path[0] != '/')
		return "the path must start with '/'";
	if (strlen(path) > REST_MAX_URL / 2)
		return "the path is too long";
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return "the path has spaces or control characters";
	return NULL;
}

/* A media type fit for a header line: printable ASCII, no line breaks. */
static int rest_ctype_ok(const char *t)
{
	if (!t || !*t || strlen(t) > 200)
		return 0;
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

void rest_request_body(struct rest *r, const char *method, const char *path,
                       const char *content_type, const void *body, size_t len, rest_cb cb, void *ud)
{
	struct rest_req *q;

	if (r->free_pending)
		return; /* the client is going away */
	q = xcalloc(1, sizeof *q);
	q->r = r;
	q->seq = ++r->seq;
	q->cb = cb;
	q->ud = ud;
	q->refused = rest_check(method, path);
	if (!q->refused && body && !rest_ctype_ok(content_type))
		q->refused = "the content type is empty, too long or not printable ASCII";
	q->method = xstrdup(method && !q->refused ? method : "GET");
	q->path = xstrdup(path && !q->refused ? path : "/");
	if (body && !q->refused) {
		size_t n = strlen("Content-Type: ") + strlen(content_type) + 1;

		/* Kept whole: every retry sends these very bytes. */
		q->body = xmalloc(len + 1);
		memcpy(q->body, body, len);
		q->body[len] = '\0';
		q->body_len = len;
		q->ctype = xmalloc(n);
		snprintf(q->ctype, n, "Content-Type: %s", content_type);
	}
	rl_route_key(q->method, q->path, q->route, sizeof q->route, &q->exempt);
	rest_list_insert(&r->queue, q);
	rest_kick(r);
}

void rest_request(struct rest *r, const char *method, const char *path, const char *json_body,
                  rest_cb cb, void *ud)
{
	rest_request_body(r, method, path, "application/json", json_body,
	                  json_body ? strlen(json_body) : 0, cb, ud);
}

size_t rest_pending(const struct rest *r)
{
	return r->queue.n + r->flying.n;
}

void rest_get_stats(const struct rest *r, struct rest_stats *out)
{
	*out = r->stats;
	out->invalid = rl_invalid(r->rl);
}

/* --- teardown ------------------------------------------------------------------ */

static void rest_timer_closed(uv_handle_t *h)
{
	free(h);
}

static void rest_free_now(struct rest *r)
{
	while (r->flying.head) {
		struct rest_req *q = r->flying.head;

		rest_list_unlink(&r->flying, q);
		net_http_cancel(q->h); /* a no-op for one whose callback runs now */
		rest_req_free(q);
	}
	while (r->queue.head) {
		struct rest_req *q = r->queue.head;

		rest_list_unlink(&r->queue, q);
		rest_req_free(q);
	}
	uv_timer_stop(r->timer);
	r->timer->data = NULL;
	uv_close((uv_handle_t *)r->timer, rest_timer_closed);
	rl_free(r->rl);
	free(r->base);
	free(r->auth);
	free(r);
}

void rest_free(struct rest *r)
{
	if (!r)
		return;
	if (r->in_cb) {
		r->free_pending = 1; /* freed once the running callback returns */
		return;
	}
	rest_free_now(r);
}
