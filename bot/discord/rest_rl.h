/* Discord's rate limits as data, without sockets or clocks of its own: the
 * REST client asks it when a request may go and tells it what came back.
 * Pure and deterministic (time is passed in), so unit tests drive it.
 *
 * A route key is METHOD + path with ids replaced, except the major
 * parameter (channel, guild, webhook id+token, interaction id+token), e.g.
 * "POST /channels/123/messages" and "PATCH /channels/123/messages/:id".
 * Tokens in a path (webhook and interaction tokens, or any long opaque
 * segment) are replaced by "#" and a 64-bit hash of the token, so a route
 * key still tells two tokens apart but is safe to log.
 *
 * Until a route's bucket is learned from X-RateLimit-Bucket, the route is
 * its own bucket. Each (bucket, major parameter) pair is a limiter that
 * allows one request in flight, so requests on it keep their order. The
 * global limit (per second, sliding window) and a global 429 pause every
 * route but interaction callbacks, which Discord exempts; a 429 without any
 * rate-limit header (a Cloudflare ban) pauses everything.
 *
 * Ownership: rl_new() returns a table freed with rl_free(); strings passed
 * in are copied or only read during the call. */
#ifndef SB_DISCORD_REST_RL_H
#define SB_DISCORD_REST_RL_H

#include <stddef.h>
#include <stdint.h>

#define RL_KEY_MAX     256              /* route keys longer than this are cut */
#define RL_BUSY        UINT64_MAX       /* rl_wait: wait for a completion */
#define RL_BAN_MS      (60 * 1000)      /* least pause after a ban-shaped 429 */
#define RL_IDLE_MS     (10 * 60 * 1000) /* idle limiters are forgotten after this */
#define RL_MAX_WAIT_MS (3600 * 1000)    /* header values past this are clamped */

struct rl;
/* global_per_sec: proactive global limit; 0 turns it off. */
struct rl *rl_new(unsigned global_per_sec);
void rl_free(struct rl *t);

/* Writes the route key of METHOD PATH into out (query string and fragment
 * dropped; cut to outsz, which should be RL_KEY_MAX) and sets *exempt when
 * the route is exempt from the global limit (interaction callbacks).
 * Returns out. */
char *rl_route_key(const char *method, const char *path, char *out, size_t outsz, int *exempt);

/* May a request on route_key go at now_ms? 0: yes (the caller must then
 * call rl_sent and, when the answer or failure comes, rl_done). RL_BUSY:
 * the limiter has a request in flight; wait for its rl_done. Otherwise the
 * ms to wait: the longest of an exhausted bucket's reset, a 429's
 * retry_after, a hold, a global pause or ban and the global limit. */
uint64_t rl_wait(struct rl *t, const char *route_key, int exempt, uint64_t now_ms);
void rl_sent(struct rl *t, const char *route_key, int exempt, uint64_t now_ms);

/* Keeps route_key's limiter closed until until_ms (backoff after a 5xx or
 * a transfer failure, so later requests on it do not overtake the retry). */
void rl_hold(struct rl *t, const char *route_key, uint64_t until_ms);

/* What came back. Header values as strings (NULL when absent); status 0
 * for a transfer that got no answer. */
struct rl_answer {
	long status;
	const char *bucket, *limit, *remaining, *reset_after, *retry_after_hdr, *global_hdr, *scope;
	double body_retry_after; /* seconds; < 0 when absent */
	int body_global;         /* 1 true, 0 false, -1 when absent */
};

/* Ends the request rl_sent() started and learns from its answer. Returns
 * the ms to wait before the request is retried when status is 429 (from
 * retry_after in the body, else Retry-After, else the bucket's reset, else
 * one second; at least RL_BAN_MS for a ban), else 0. *global_429 is set
 * when the 429 was global (X-RateLimit-Global, scope "global" or body
 * "global": true); *ban_shaped when a 429 came without any X-RateLimit-*
 * header (and no body "global": true). Either pointer may be NULL. */
uint64_t rl_done(struct rl *t, const char *route_key, const struct rl_answer *a, uint64_t now_ms,
                 int *global_429, int *ban_shaped);

/* Answers that count towards Discord's invalid request limit (401, 403 and
 * 429 but those with X-RateLimit-Scope: shared). */
unsigned long rl_invalid(const struct rl *t);
/* Limiters and learned routes currently kept (for tests and metrics). */
size_t rl_limiters(const struct rl *t);

#endif
