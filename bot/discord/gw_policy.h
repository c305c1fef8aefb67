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

/* Reconnect delay for the attempt-th consecutive failure (0 = first):
 * grows from about 1 s to 60 s, each with ±25 % jitter drawn from rnd in
 * [0,1). */
uint64_t gw_backoff_ms(unsigned attempt, double rnd);
/* First heartbeat: interval × jitter, jitter in [0,1) (Discord docs). */
uint64_t gw_first_beat_ms(uint32_t interval_ms, double rnd);

#endif
