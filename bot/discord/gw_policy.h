/* Gateway policy as data (STYLE 7): what a close code means, how fast to
 * reconnect, how many sends a connection may make. Pure; time is passed in.
 *
 * Ownership: nothing allocated; the limiter is embedded by its owner. */
#ifndef SB_DISCORD_GW_POLICY_H
#define SB_DISCORD_GW_POLICY_H

#include <stddef.h>
#include <stdint.h>

enum gw_close_class {
	GW_CLOSE_RESUME,      /* reconnect and RESUME the session */
	GW_CLOSE_NEW_SESSION, /* reconnect and IDENTIFY anew */
	GW_CLOSE_FATAL,       /* stop: exit 3, with what to fix */
};

struct gw_close_info {
	int code;
	enum gw_close_class cls;
	int exit_code;    /* for fatal codes: 3 (SPEC: the platform refused the session as
	                     configured, never retried); 0 for the others */
	const char *name; /* Discord's name, e.g. "Disallowed intent(s)" */
	const char *fix;  /* for fatal codes: what the operator must do, one sentence */
};

/* Every close code, Discord's (4000–4014) and websocket ones (1000, 1001,
 * 1006, …); unknown codes resume. Returns a pointer into a static table,
 * never NULL. */
const struct gw_close_info *gw_close_lookup(int code);
/* "resume", "new_session" or "fatal", for logs; static. */
const char *gw_close_class_name(enum gw_close_class cls);

/* Sliding-window send limiter: Discord allows 120 gateway sends per 60 s
 * per connection. `reserve` sends are kept for heartbeats, which may
 * always use the full window. */
#define GW_SEND_LIMIT     120
#define GW_SEND_WINDOW_MS 60000
struct gw_limiter {
	uint64_t at[GW_SEND_LIMIT]; /* ring of send times */
	size_t head, n;
	unsigned reserve;
};
void gw_limiter_init(struct gw_limiter *l, unsigned reserve);
/* 0 when a send may go now (and is then recorded by gw_limiter_note), else
 * the ms to wait. */
uint64_t gw_limiter_wait(const struct gw_limiter *l, int heartbeat, uint64_t now_ms);
void gw_limiter_note(struct gw_limiter *l, uint64_t now_ms);
void gw_limiter_clear(struct gw_limiter *l);

/* When a shard may IDENTIFY (Discord docs, Gateway > Sharding and Session
 * Start Limit): shards whose ids share `id % max_concurrency` share one
 * rate-limit key, and each key identifies at most once per 5 s; all shards
 * of a bot draw on one budget of session starts that refills to `total`
 * `reset_after` ms after it was read. One gate serves all the shards of a
 * process, so shards that reconnect together still identify in turn.
 * Owned by whoever owns the shards; they borrow it. */
#define GW_IDENTIFY_SPACING_MS 5000
#define GW_IDGATE_KEYS         64
struct gw_idgate {
	int max_concurrency;
	uint64_t last[GW_IDGATE_KEYS]; /* ms + 1 of each key's last identify; 0 = never */
	int total, remaining;
	uint64_t reset_at; /* ms; 0 = not known */
};
/* remaining/total/reset_after_ms as GET /gateway/bot gave them (total 0:
 * unknown, then a refill allows one start at a time). */
void gw_idgate_init(struct gw_idgate *g, int max_concurrency, int total, int remaining,
                    uint64_t reset_after_ms, uint64_t now_ms);
/* 0 when shard_id may identify now (the start is then counted), else the
 * ms to wait; *budget is set when the wait is for the session budget. */
uint64_t gw_idgate_take(struct gw_idgate *g, int shard_id, uint64_t now_ms, int *budget);

/* Reconnect delay for the attempt-th consecutive failure (0 = first):
 * grows from about 1 s to 60 s, each with ±25 % jitter drawn from rnd in
 * [0,1). */
uint64_t gw_backoff_ms(unsigned attempt, double rnd);
/* First heartbeat: interval × jitter, jitter in [0,1) (Discord docs). */
uint64_t gw_first_beat_ms(uint32_t interval_ms, double rnd);

#endif
