/* The request machinery an HTTP API client needs on the loop, whatever the
 * platform: one queue kept in the order requests were made (a retry takes
 * its old place back), an in-flight list, a pump run by one timer, the
 * lifecycle that lets a caller free the client from inside a callback,
 * jittered exponential backoff, and the checks a base URL and a token must
 * pass. Each platform keeps its own decisions (rate limits or pacing, what
 * an answer means, error text) and plugs them in through struct reqq_ops.
 *
 * Ownership: a client embeds struct reqq and its requests embed struct
 * reqq_node; the client allocates both. reqq_init() copies the base URL and
 * builds the Authorization header line from the token (never logged:
 * token_hint holds the redacted form). reqq_fini() cancels the requests in
 * flight, hands every request to ops->node_free, closes the timer (freed in
 * its close callback) and frees the URL and header copies; the client then
 * frees its own state and itself. The result given to reqq_finish() is
 * borrowed for the callback's duration. */
#ifndef SB_NET_REQQ_H
#define SB_NET_REQQ_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "net/http.h"
#include "net/loop.h"
#include "util/rc.h"

#define REQQ_MAX_BACKOFF_MS 30000      /* longest delay between retries of a failure */
#define REQQ_HELD           UINT64_MAX /* ops->wait: woken by another request's event */

struct reqq;

struct reqq_node {
	struct reqq_node *prev, *next; /* in the queue or the in-flight list */
	struct reqq *c;
	uint64_t seq;        /* queue order */
	const char *refused; /* why the request was refused; fails on a later turn */
	struct net_http *h;  /* while in flight */
	int attempts;        /* sends */
	int failures;        /* 5xx answers and transfer failures */
	int limited;         /* 429 (or the platform's equivalent) answers */
	int waited;          /* counted once in the client's wait statistics */
	uint64_t sent_at;
};

struct reqq_list {
	struct reqq_node *head, *tail;
	size_t n;
};

struct reqq_ops {
	/* How long n must still wait (0: send it now; REQQ_HELD: until another
	 * request's send or answer kicks the pump). */
	uint64_t (*wait)(struct reqq *c, struct reqq_node *n, uint64_t now);
	/* Sends n (with reqq_send). Returns 1 when the client is gone. */
	int (*send)(struct reqq *c, struct reqq_node *n, uint64_t now);
	/* Fails n, already unlinked, for n->refused (through reqq_finish).
	 * Returns 1 when the client is gone. */
	int (*refuse)(struct reqq_node *n);
	/* The answer to n, already out of the in-flight list. */
	void (*answer)(struct reqq_node *n, const struct net_http_resp *resp);
	/* Calls the caller's callback of n with the client's result type. */
	void (*deliver)(struct reqq_node *n, const void *res);
	void (*node_free)(struct reqq_node *n);
	/* The client's own teardown; it calls reqq_fini. */
	void (*free_now)(struct reqq *c);
};

struct reqq {
	struct net_loop *loop;
	const struct reqq_ops *ops;
	char *base; /* without trailing '/' */
	char *auth; /* "Authorization: SCHEME TOKEN" */
	char token_hint[16];
	struct reqq_list queue;  /* waiting, by seq */
	struct reqq_list flying; /* in flight */
	uv_timer_t *timer;
	int kicked; /* the timer is due now */
	uint64_t seq, rng;
	int in_cb;        /* a caller's callback is running */
	int free_pending; /* the client was freed from it */
};

/* https:// anywhere; http:// only to a loopback host, so that neither a
 * token nor a member's data crosses a network in the clear. On refusal
 * sets *why to a sentence for the log. */
int reqq_url_ok(const char *url, size_t max_len, const char **why);
/* A client's base URL (reqq_url_ok, up to max_len) and token (not empty,
 * nothing that would break a header line). A refusal is logged naming the
 * platform (e.g. "Discord") and returns SB_ERR_INVALID. */
enum sb_rc reqq_check(const char *platform, const char *base, size_t max_len, const char *token);

/* base and token must have passed reqq_check. */
void reqq_init(struct reqq *c, struct net_loop *loop, const struct reqq_ops *ops, const char *base,
               const char *auth_scheme, const char *token);
void reqq_fini(struct reqq *c);
/* Frees the client through ops->free_now, or once the running callback
 * returns when called from one. */
void reqq_free(struct reqq *c);

/* Runs the pump on the next loop turn: callers may be deep in a callback
 * of the HTTP client or of their own. */
void reqq_kick(struct reqq *c);
/* Queues a new request (n->c set, seq given) and kicks the pump. */
void reqq_push(struct reqq *c, struct reqq_node *n);
/* Puts n back in the queue at its old place for another attempt. */
void reqq_requeue(struct reqq *c, struct reqq_node *n);
void reqq_unlink(struct reqq_list *l, struct reqq_node *n);
size_t reqq_pending(const struct reqq *c);

/* Takes n out of the queue and sends it. Returns 0 when it is in flight,
 * -1 when the HTTP client refused it (n is then in no list). */
int reqq_send(struct reqq *c, struct reqq_node *n, const struct net_http_req *hr, uint64_t now);
/* Delivers res through ops->deliver and frees n. Returns 1 when the
 * caller freed the client from its callback (it is gone now). */
int reqq_finish(struct reqq_node *n, const void *res);

/* Jittered exponential backoff: base, 2 base, 4 base… (capped) plus up to
 * half again, so clients hit by one outage do not return in step. */
uint64_t reqq_backoff(struct reqq *c, unsigned base_ms, int failures);
/* Worth another try: 5xx answers and transfers that got no answer (an
 * oversized body would only come back oversized). */
int reqq_transient(const struct net_http_resp *resp);
/* 0 for a transport failure (or a status out of range), else 1..5. */
int reqq_status_class(const struct net_http_resp *resp);

/* Parses a whole body as JSON: text after the value (but white space)
 * makes it not JSON. Returns a new tree (cJSON_Delete) or NULL. */
cJSON *reqq_json_parse(const char *body, size_t len);

#endif
