/* Discord's HTTP API (REST v10) on the loop's curl multi handle (SPEC §7).
 *
 * Every request carries `Authorization: Bot TOKEN`, `User-Agent: DiscordBot
 * (URL, VERSION)` and, with a body, its `Content-Type` (application/json,
 * or the caller's, e.g. multipart/form-data for files).
 * Rate limits are data (rest_rl.h): buckets learned from X-RateLimit-Bucket
 * plus the route's major parameter, one request in flight per bucket, the
 * global limit, 429 `retry_after`. 5xx answers and transfer failures are
 * retried with backoff; 4xx answers (but 429) are final. Requests reach
 * Discord in the order they were queued within a bucket.
 *
 * A retry sends the very same body, so a created message carrying `nonce`
 * and `enforce_nonce: true` is never posted twice (the caller puts those in
 * the body; see rest_message_body helpers in the renderer).
 *
 * Ownership: rest_new() returns a client freed with rest_free(); the token is
 * copied and never logged (redacted to its last 4 characters). Method,
 * path, content type and body are copied by rest_request() and
 * rest_request_body(). The result handed to a callback, its JSON included,
 * is borrowed for the callback's duration. After rest_free() no callback
 * runs; rest_free() may be called with requests in flight (they are
 * cancelled) and from a callback (the client is then freed once that
 * callback returns).
 *
 * Logs: one debug line per attempt (method, route, status, attempts); the
 * route is the rate-limit route key, in which webhook and interaction
 * tokens are replaced by a hash, so no token reaches the log. */
#ifndef SB_DISCORD_REST_H
#define SB_DISCORD_REST_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "net/loop.h"
#include "util/rc.h"

#define REST_MAX_BODY (4 * 1024 * 1024) /* a response past this is an error */

struct rest;

struct rest_result {
	long status;         /* final HTTP status; 0 when no answer came */
	int ok;              /* 2xx */
	int code;            /* Discord's JSON error code (e.g. 50035), 0 if none */
	const char *message; /* Discord's or the transport's message; "" on success */
	const cJSON *json;   /* the parsed response body, or NULL */
	int attempts;        /* how many times it was sent */
};

typedef void (*rest_cb)(void *ud, const struct rest_result *res);

/* api_base: e.g. "https://discord.com/api/v10" (no trailing slash needed).
 * Plain http:// is accepted only for loopback hosts (tests); anything else
 * is refused with SB_ERR_INVALID and a logged reason. */
enum sb_rc rest_new(struct rest **out, struct net_loop *loop, const char *api_base,
                    const char *token);
void rest_free(struct rest *r);

/* Knobs for tests and for the operator; 0 keeps a field's default. */
struct rest_tuning {
	long timeout_ms;     /* one attempt, whole transfer; default 15 s */
	unsigned backoff_ms; /* first retry delay after a 5xx or transfer failure; 500 */
	int max_attempts;    /* sends before a 5xx or transfer failure is final; 5 */
	size_t max_body;     /* response body cap; REST_MAX_BODY */
};
void rest_tune(struct rest *r, const struct rest_tuning *t);

/* Queues METHOD PATH (path relative to api_base, starting with '/', ids
 * filled in, query allowed) with an optional JSON body. cb may be NULL:
 * failures are then logged. Retries: a 429 is resent after its
 * retry_after (up to 10 times); 5xx answers and transfer failures up to
 * max_attempts sends with growing, jittered delays. A request refused here
 * (unknown method, bad path) fails through cb on a later loop turn, never
 * from inside rest_request(). */
void rest_request(struct rest *r, const char *method, const char *path, const char *json_body,
                  rest_cb cb, void *ud);

/* The same with a body of any bytes and its media type, e.g.
 * "multipart/form-data; boundary=B" for files (body may hold NULs: len
 * counts). Rate limits, retries and order are rest_request()'s; a retry
 * sends the identical bytes, so a nonce in the body still dedupes. A
 * content type that is empty or not printable ASCII is refused through cb. */
void rest_request_body(struct rest *r, const char *method, const char *path,
                       const char *content_type, const void *body, size_t len, rest_cb cb,
                       void *ud);

/* Requests queued, waiting for a bucket, or in flight. */
size_t rest_pending(const struct rest *r);

struct rest_stats {
	unsigned long requests;         /* sent, retries included */
	unsigned long by_class[6];      /* [0] transport failures, [1..5] 1xx..5xx answers */
	unsigned long rate_limited;     /* 429 answers */
	unsigned long rate_limit_waits; /* requests that waited for a bucket or the global limit */
	unsigned long retries;
	unsigned long invalid; /* 401, 403 and non-shared 429 answers (Discord bans IPs
	                          past 10,000 of these in 10 minutes) */
	/* Answers by exact HTTP status, [status - 100] for 100..599 (/metrics). */
	unsigned long by_status[500];
};
void rest_get_stats(const struct rest *r, struct rest_stats *out);

/* Parses a Discord error body ({"code":…,"message":…,"errors":{…}}) into
 * one readable line: "Invalid Form Body (50035): content: Must be 2000 or
 * fewer in length." Writes at most outsz bytes (always NUL-terminated) and
 * returns Discord's code, or 0 when the body is not such an object (out
 * then holds a short, printable excerpt of the body). Pure; fuzzed. */
int rest_error_text(const char *body, size_t len, char *out, size_t outsz);

#endif
