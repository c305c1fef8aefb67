/* Request queue, pump and lifecycle of an HTTP API client (reqq.h). */
#include "net/reqq.h"

#include "net/ws_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"
#include "util/mem.h"

/* --- checks ------------------------------------------------------------------ */

int reqq_url_ok(const char *url, size_t max_len, const char **why)
{
	const char *host;
	char name[64];
	size_t hn;

	if (strlen(url) > max_len) {
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
	/* The host alone: "[::1]" keeps its brackets, a port is cut off. */
	hn = host[0] == '[' ? strcspn(host, "]/?#") + (host[strcspn(host, "]/?#")] == ']')
	                    : strcspn(host, ":/?#");
	if (hn < sizeof name) {
		memcpy(name, host, hn);
		name[hn] = '\0';
		if (net_host_is_loopback(name))
			return 1;
	}
	*why = "plain http:// is allowed only to a loopback host";
	return 0;
}

static int reqq_token_ok(const char *token)
{
	if (!token || !*token)
		return 0;
	for (const char *p = token; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0; /* would break the header line */
	return 1;
}

enum sb_rc reqq_check(const char *platform, const char *base, size_t max_len, const char *token)
{
	const char *why = NULL;
	char msg[128];

	if (!base || !reqq_url_ok(base, max_len, &why)) {
		snprintf(msg, sizeof msg, "refusing the %s API URL", platform);
		log_error(msg, "url=%s reason=%s", log_q(base ? base : ""),
		          log_q(why ? why : "no URL"));
		return SB_ERR_INVALID;
	}
	if (!reqq_token_ok(token)) {
		snprintf(msg, sizeof msg,
		         "the %s bot token is empty or has spaces or control characters", platform);
		log_error(msg, NULL);
		return SB_ERR_INVALID;
	}
	return SB_OK;
}

/* --- lists ------------------------------------------------------------------- */

void reqq_unlink(struct reqq_list *l, struct reqq_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
	l->n--;
}

/* Inserts by seq: a request coming back for a retry takes its old place. */
static void reqq_insert(struct reqq_list *l, struct reqq_node *n)
{
	struct reqq_node *after = l->tail;

	while (after && after->seq > n->seq)
		after = after->prev;
	n->prev = after;
	n->next = after ? after->next : l->head;
	if (n->next)
		n->next->prev = n;
	else
		l->tail = n;
	if (after)
		after->next = n;
	else
		l->head = n;
	l->n++;
}

size_t reqq_pending(const struct reqq *c)
{
	return c->queue.n + c->flying.n;
}

/* --- the pump ---------------------------------------------------------------- */

static void reqq_pump(struct reqq *c);

static void reqq_timer_cb(uv_timer_t *t)
{
	struct reqq *c = t->data;

	if (c)
		reqq_pump(c);
}

void reqq_kick(struct reqq *c)
{
	c->kicked = 1;
	uv_timer_start(c->timer, reqq_timer_cb, 0, 0);
}

static void reqq_pump(struct reqq *c)
{
	uint64_t now = net_loop_now_ms(c->loop);
	uint64_t next = REQQ_HELD;
	struct reqq_node *n, *nx;

	c->kicked = 0;
	for (n = c->queue.head; n; n = nx) {
		uint64_t wait;

		/* a callback below may only add requests at the tail or defer
		 * a free, so the next pointer stays valid */
		nx = n->next;
		if (n->refused) {
			reqq_unlink(&c->queue, n);
			if (c->ops->refuse(n))
				return;
			continue;
		}
		wait = c->ops->wait(c, n, now);
		if (wait == 0) {
			if (c->ops->send(c, n, now))
				return;
			continue;
		}
		if (wait < next)
			next = wait;
	}
	if (!c->kicked && next != REQQ_HELD)
		uv_timer_start(c->timer, reqq_timer_cb, next, 0);
}

void reqq_push(struct reqq *c, struct reqq_node *n)
{
	n->c = c;
	n->seq = ++c->seq;
	reqq_insert(&c->queue, n);
	reqq_kick(c);
}

void reqq_requeue(struct reqq *c, struct reqq_node *n)
{
	reqq_insert(&c->queue, n);
	reqq_kick(c);
}

static void reqq_http_done(void *ud, const struct net_http_resp *resp)
{
	struct reqq_node *n = ud;
	struct reqq *c = n->c;

	n->h = NULL;
	reqq_unlink(&c->flying, n);
	c->ops->answer(n, resp);
}

int reqq_send(struct reqq *c, struct reqq_node *n, const struct net_http_req *hr, uint64_t now)
{
	reqq_unlink(&c->queue, n);
	n->attempts++;
	n->sent_at = now;
	n->h = net_http_send(c->loop, hr, reqq_http_done, n);
	if (!n->h)
		return -1;
	reqq_insert(&c->flying, n);
	return 0;
}

int reqq_finish(struct reqq_node *n, const void *res)
{
	struct reqq *c = n->c;

	c->in_cb++;
	c->ops->deliver(n, res);
	c->in_cb--;
	c->ops->node_free(n);
	if (c->free_pending && !c->in_cb) {
		c->ops->free_now(c);
		return 1;
	}
	return 0;
}

/* --- answers ----------------------------------------------------------------- */

static uint64_t reqq_rand(struct reqq *c)
{
	c->rng ^= c->rng << 13; /* xorshift64: jitter needs no more */
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

uint64_t reqq_backoff(struct reqq *c, unsigned base_ms, int failures)
{
	uint64_t ms = base_ms;

	for (int i = 1; i < failures && ms < REQQ_MAX_BACKOFF_MS; i++)
		ms *= 2;
	if (ms > REQQ_MAX_BACKOFF_MS)
		ms = REQQ_MAX_BACKOFF_MS;
	return ms + reqq_rand(c) % (ms / 2 + 1);
}

int reqq_transient(const struct net_http_resp *resp)
{
	if (resp->failed)
		return !resp->too_big;
	return resp->status >= 500;
}

int reqq_status_class(const struct net_http_resp *resp)
{
	if (resp->failed || resp->status < 100 || resp->status > 599)
		return 0;
	return (int)(resp->status / 100);
}

cJSON *reqq_json_parse(const char *body, size_t len)
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

/* --- life -------------------------------------------------------------------- */

void reqq_init(struct reqq *c, struct net_loop *loop, const struct reqq_ops *ops, const char *base,
               const char *auth_scheme, const char *token)
{
	size_t n;

	c->loop = loop;
	c->ops = ops;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	c->base = xstrndup(base, n);
	n = strlen("Authorization: ") + strlen(auth_scheme) + 1 + strlen(token) + 1;
	c->auth = xmalloc(n);
	snprintf(c->auth, n, "Authorization: %s %s", auth_scheme, token);
	log_redact(c->token_hint, sizeof c->token_hint, token);
	c->timer = xmalloc(sizeof *c->timer);
	uv_timer_init(net_loop_uv(loop), c->timer);
	c->timer->data = c;
	c->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)c ^ 0x9e3779b97f4a7c15ULL;
}

static void reqq_timer_closed(uv_handle_t *h)
{
	free(h);
}

void reqq_fini(struct reqq *c)
{
	while (c->flying.head) {
		struct reqq_node *n = c->flying.head;

		reqq_unlink(&c->flying, n);
		net_http_cancel(n->h); /* a no-op for one whose callback runs now */
		c->ops->node_free(n);
	}
	while (c->queue.head) {
		struct reqq_node *n = c->queue.head;

		reqq_unlink(&c->queue, n);
		c->ops->node_free(n);
	}
	uv_timer_stop(c->timer);
	c->timer->data = NULL;
	uv_close((uv_handle_t *)c->timer, reqq_timer_closed);
	free(c->base);
	free(c->auth);
}

void reqq_free(struct reqq *c)
{
	if (c->in_cb) {
		c->free_pending = 1; /* freed once the running callback returns */
		return;
	}
	c->ops->free_now(c);
}
