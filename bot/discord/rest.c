/* Discord's REST API on the loop's HTTP client (rest.h). Requests wait in
 * one queue in the order they were made (net/reqq.h: queue, pump, timer,
 * lifecycle, backoff); the pump sends every request the rate-limit table
 * (rest_rl.h) lets go. Answers go back to the table, and 429s, 5xx
 * answers and transfer failures put the request back in the queue at its
 * old place, so it still goes before later requests on its bucket.
 *
 * Ownership: the client embeds its struct reqq (which owns the queue, the
 * in-flight list and the timer) and owns its rate-limit table; a request
 * owns copies of its method, path, body and content type. */
#include "discord/rest.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discord/rest_rl.h"
#include "net/http.h"
#include "net/reqq.h"
#include "util/log.h"
#include "util/mem.h"

#ifndef STUDYBOT_VERSION
#define STUDYBOT_VERSION "0"
#endif

#define REST_USER_AGENT                                                                            \
	"User-Agent: DiscordBot (https://github.com/studybot/studybot, " STUDYBOT_VERSION ")"
#define REST_GLOBAL_PER_SEC 50
#define REST_MAX_LIMITED    10 /* 429s one request takes before it fails */
#define REST_MAX_URL        2048
#define REST_ERR_TEXT       512
#define REST_ERR_MAX_DEPTH  16 /* nesting of Discord's "errors" object we follow */
#define REST_ERR_MAX_ITEMS  8  /* field errors listed in one line */
#define REST_EXCERPT        120

struct rest_req {
	struct reqq_node n; /* first: the queue hands it back as this request */
	char *method, *path, *body;
	size_t body_len;
	char *ctype; /* "Content-Type: ..." header line when there is a body */
	char route[RL_KEY_MAX];
	int exempt;
	rest_cb cb;
	void *ud;
};

struct rest {
	struct reqq c; /* first: the queue hands it back as this client */
	struct rl *rl;
	struct rest_tuning tune;
	struct rest_stats stats;
};

static struct rest_req *rest_req_of(struct reqq_node *n)
{
	return (struct rest_req *)n;
}

static struct rest *rest_of(struct reqq *c)
{
	return (struct rest *)c;
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
	root = reqq_json_parse(body, len);
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

static const struct reqq_ops rest_ops;

enum sb_rc rest_new(struct rest **out, struct net_loop *loop, const char *api_base,
                    const char *token)
{
	struct rest *r;

	*out = NULL;
	if (reqq_check("Discord", api_base, REST_MAX_URL / 2, token) != SB_OK)
		return SB_ERR_INVALID;
	r = xcalloc(1, sizeof *r);
	reqq_init(&r->c, loop, &rest_ops, api_base, "Bot", token);
	r->rl = rl_new(REST_GLOBAL_PER_SEC);
	rest_tune(r, NULL);
	log_info("Discord REST client ready", "api=%s token=%s", log_q(r->c.base), r->c.token_hint);
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

/* --- requests in the queue ---------------------------------------------------- */

static void rest_node_free(struct reqq_node *n)
{
	struct rest_req *q = rest_req_of(n);

	free(q->method);
	free(q->path);
	free(q->body);
	free(q->ctype);
	free(q);
}

static void rest_deliver(struct reqq_node *n, const void *res)
{
	struct rest_req *q = rest_req_of(n);

	if (q->cb)
		q->cb(q->ud, res);
}

static int rest_fail_now(struct rest_req *q, const char *why)
{
	struct rest_result res = {0, 0, 0, why, NULL, q->n.attempts};

	if (q->n.refused) /* method and path were not kept: they may be anything */
		log_warn("Discord request refused", "reason=%s", log_q(why));
	else
		log_warn("Discord request failed", "method=%s route=%s reason=%s", q->method,
		         log_q(q->route), log_q(why));
	return reqq_finish(&q->n, &res);
}

static int rest_refuse(struct reqq_node *n)
{
	return rest_fail_now(rest_req_of(n), n->refused);
}

/* Sends q now. Returns 1 when the client is gone (a failure's callback
 * freed it). */
static int rest_send(struct reqq *c, struct reqq_node *n, uint64_t now)
{
	struct rest *r = rest_of(c);
	struct rest_req *q = rest_req_of(n);
	const char *headers[4];
	char url[REST_MAX_URL + 1];
	struct net_http_req hr;
	int nh = 0;

	headers[nh++] = c->auth;
	headers[nh++] = REST_USER_AGENT;
	if (q->body)
		headers[nh++] = q->ctype;
	headers[nh] = NULL;
	snprintf(url, sizeof url, "%s%s", c->base, q->path);
	memset(&hr, 0, sizeof hr);
	hr.method = q->method;
	hr.url = url;
	hr.headers = headers;
	hr.body = q->body;
	hr.body_len = q->body_len;
	hr.max_body = r->tune.max_body;
	hr.timeout_ms = r->tune.timeout_ms;

	rl_sent(r->rl, q->route, q->exempt, now);
	r->stats.requests++;
	if (n->attempts > 0)
		r->stats.retries++;
	if (reqq_send(c, n, &hr, now) != 0) {
		struct rl_answer none = {0};

		none.body_retry_after = -1;
		none.body_global = -1;
		rl_done(r->rl, q->route, &none, now, NULL, NULL);
		r->stats.by_class[0]++;
		return rest_fail_now(q, "the HTTP client refused the request");
	}
	return 0;
}

static uint64_t rest_wait(struct reqq *c, struct reqq_node *n, uint64_t now)
{
	struct rest *r = rest_of(c);
	struct rest_req *q = rest_req_of(n);
	uint64_t w = rl_wait(r->rl, q->route, q->exempt, now);

	if (w != 0 && !n->waited) {
		n->waited = 1;
		r->stats.rate_limit_waits++;
	}
	return w;
}

/* --- answers ----------------------------------------------------------------- */

/* Backoff held on the request's limiter, so that later requests on the
 * same bucket wait behind the retry. */
static uint64_t rest_backoff(struct rest *r, struct rest_req *q, uint64_t now)
{
	uint64_t ms = reqq_backoff(&r->c, r->tune.backoff_ms, q->n.failures);

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

static void rest_answered(struct reqq_node *n, const struct net_http_resp *resp)
{
	struct rest_req *q = rest_req_of(n);
	struct rest *r = rest_of(n->c);
	uint64_t now = net_loop_now_ms(r->c.loop);
	struct rest_hdrs hb;
	struct rl_answer a;
	cJSON *json = NULL;
	int global = 0, ban = 0, cls;
	uint64_t wait;
	char msg[REST_ERR_TEXT];

	if (!resp->failed && resp->body_len)
		json = reqq_json_parse(resp->body, resp->body_len);
	rest_answer(resp, json, &hb, &a);
	wait = rl_done(r->rl, q->route, &a, now, &global, &ban);
	if (r->c.queue.n)
		reqq_kick(&r->c); /* its limiter is free: whoever waited behind it may go */
	r->stats.invalid = rl_invalid(r->rl);
	cls = reqq_status_class(resp);
	r->stats.by_class[cls]++;
	if (cls)
		r->stats.by_status[resp->status - 100]++;
	log_debug("Discord request", "method=%s route=%s status=%ld attempt=%d ms=%llu%s%s",
	          q->method, log_q(q->route), a.status, n->attempts,
	          (unsigned long long)(now - n->sent_at), resp->failed ? " error=" : "",
	          resp->failed ? log_q(resp->error) : "");

	if (!resp->failed && resp->status == 429) {
		r->stats.rate_limited++;
		rest_log_429(q, &a, wait, global, ban);
		if (++n->limited < REST_MAX_LIMITED) {
			cJSON_Delete(json);
			reqq_requeue(&r->c, n);
			return;
		}
	} else if (reqq_transient(resp)) {
		if (++n->failures < r->tune.max_attempts) {
			uint64_t ms = rest_backoff(r, q, now);

			log_info("Discord request will be retried",
			         "method=%s route=%s status=%ld "
			         "attempt=%d retry_ms=%llu",
			         q->method, log_q(q->route), a.status, n->attempts,
			         (unsigned long long)ms);
			cJSON_Delete(json);
			reqq_requeue(&r->c, n);
			return;
		}
	}

	struct rest_result res;

	memset(&res, 0, sizeof res);
	res.status = a.status;
	res.ok = a.status >= 200 && a.status < 300;
	res.json = json;
	res.attempts = n->attempts;
	res.message = "";
	if (resp->failed) {
		snprintf(msg, sizeof msg, "%s", resp->error);
		res.message = msg;
		log_warn("Discord request failed", "method=%s route=%s attempts=%d error=%s",
		         q->method, log_q(q->route), n->attempts, log_q(msg));
	} else if (!res.ok) {
		res.code = rest_error_text(resp->body, resp->body_len, msg, sizeof msg);
		res.message = msg;
		rest_log_final(q, a.status, res.code, msg);
	}
	reqq_finish(n, &res);
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
	const char *refused;

	if (r->c.free_pending)
		return; /* the client is going away */
	q = xcalloc(1, sizeof *q);
	q->cb = cb;
	q->ud = ud;
	refused = rest_check(method, path);
	if (!refused && body && !rest_ctype_ok(content_type))
		refused = "the content type is empty, too long or not printable ASCII";
	q->n.refused = refused;
	q->method = xstrdup(method && !refused ? method : "GET");
	q->path = xstrdup(path && !refused ? path : "/");
	if (body && !refused) {
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
	reqq_push(&r->c, &q->n);
}

void rest_request(struct rest *r, const char *method, const char *path, const char *json_body,
                  rest_cb cb, void *ud)
{
	rest_request_body(r, method, path, "application/json", json_body,
	                  json_body ? strlen(json_body) : 0, cb, ud);
}

size_t rest_pending(const struct rest *r)
{
	return reqq_pending(&r->c);
}

void rest_get_stats(const struct rest *r, struct rest_stats *out)
{
	*out = r->stats;
	out->invalid = rl_invalid(r->rl);
}

/* --- teardown ------------------------------------------------------------------ */

static void rest_free_now(struct reqq *c)
{
	struct rest *r = rest_of(c);

	reqq_fini(c);
	rl_free(r->rl);
	free(r);
}

static const struct reqq_ops rest_ops = {
    .wait = rest_wait,
    .send = rest_send,
    .refuse = rest_refuse,
    .answer = rest_answered,
    .deliver = rest_deliver,
    .node_free = rest_node_free,
    .free_now = rest_free_now,
};

void rest_free(struct rest *r)
{
	if (r)
		reqq_free(&r->c);
}
