/* Gateway policy tables and arithmetic. Sources: Discord's docs, "Opcodes
 * and Status Codes" (gateway close event codes and whether to reconnect)
 * and "Gateway" (disconnections, heartbeating, rate limiting). */
#include "discord/gw_policy.h"

#include <string.h>

/* How each close is handled, and why where the docs leave a choice:
 *  - Discord's "reconnect: false" codes (4004, 4010-4014) are fatal; the
 *    product exits 3 on all of them (SPEC: "4004 and the other fatal ones:
 *    stop, exit 3, no loop"): each one means Discord refused the session as
 *    configured, and retrying cannot change that.
 *  - 4007 and 4009: the docs say "reconnect and start a new session".
 *  - 4003: the docs say we sent a payload before identifying "or this
 *    session has been invalidated": there is no session to resume.
 *  - 4000, 4001, 4002, 4005, 4008: reconnect: true and nothing says the
 *    session ended, so resume. For 4005 (a second IDENTIFY) the first one
 *    made a valid session; resuming keeps its events and spends nothing of
 *    the daily IDENTIFY budget, and if Discord disagrees it answers with
 *    op 9, after which we identify anyway.
 *  - 1000/1001: per the docs, a close with these invalidates the session,
 *    so whoever sent them, the next connection identifies anew.
 *  - 1006 (the socket dropped without a close frame), other websocket codes,
 *    and unknown ones (4006 included: it is a voice close code, not a
 *    gateway one): the session lives on for a few minutes, so resume. A
 *    resume that is refused costs one op 9, never a lost session. */
static const struct gw_close_info gw_close_table[] = {
    {1000, GW_CLOSE_NEW_SESSION, 0, "Normal closure", NULL},
    {1001, GW_CLOSE_NEW_SESSION, 0, "Going away", NULL},
    {1006, GW_CLOSE_RESUME, 0, "Connection dropped without a close frame", NULL},
    {4000, GW_CLOSE_RESUME, 0, "Unknown error", NULL},
    {4001, GW_CLOSE_RESUME, 0, "Unknown opcode", NULL},
    {4002, GW_CLOSE_RESUME, 0, "Decode error", NULL},
    {4003, GW_CLOSE_NEW_SESSION, 0, "Not authenticated", NULL},
    {4004, GW_CLOSE_FATAL, 3, "Authentication failed",
     "The bot token in the environment variable named by [discord] token_env is wrong or was "
     "reset: copy the current token from the Discord Developer Portal (Bot → Reset Token) into "
     "that variable and start again."},
    {4005, GW_CLOSE_RESUME, 0, "Already authenticated", NULL},
    {4007, GW_CLOSE_NEW_SESSION, 0, "Invalid seq", NULL},
    {4008, GW_CLOSE_RESUME, 0, "Rate limited", NULL},
    {4009, GW_CLOSE_NEW_SESSION, 0, "Session timed out", NULL},
    {4010, GW_CLOSE_FATAL, 3, "Invalid shard",
     "Discord refused the shard: set [discord] shard = ID/COUNT with 0 <= ID < COUNT and COUNT "
     "as GET /gateway/bot recommends, or set shard = auto."},
    {4011, GW_CLOSE_FATAL, 3, "Sharding required",
     "The bot is in too many guilds for one connection: set [discord] shard = auto (or run one "
     "process per shard with shard = ID/COUNT and a shared PostgreSQL database)."},
    {4012, GW_CLOSE_FATAL, 3, "Invalid API version",
     "Discord no longer accepts the gateway version this build speaks (v10): upgrade studybot."},
    {4013, GW_CLOSE_FATAL, 3, "Invalid intent(s)",
     "Discord refused the intents bitfield studybot sent as invalid: no setting fixes this; "
     "upgrade studybot, or report it with this log line."},
    {4014, GW_CLOSE_FATAL, 3, "Disallowed intent(s)",
     "Enable the Message Content privileged intent for the bot in the Discord Developer Portal "
     "(Bot → Privileged Gateway Intents), or set answer_mode = modal on every channel."},
};

/* Codes outside the table: the connection dropped for a reason Discord did
 * not name, and the session is presumed alive. */
static const struct gw_close_info gw_close_unknown = {0, GW_CLOSE_RESUME, 0, "Unknown close code",
                                                      NULL};

const struct gw_close_info *gw_close_lookup(int code)
{
	for (size_t i = 0; i < sizeof gw_close_table / sizeof gw_close_table[0]; i++)
		if (gw_close_table[i].code == code)
			return &gw_close_table[i];
	return &gw_close_unknown;
}

const char *gw_close_class_name(enum gw_close_class cls)
{
	switch (cls) {
	case GW_CLOSE_RESUME:
		return "resume";
	case GW_CLOSE_NEW_SESSION:
		return "new_session";
	case GW_CLOSE_FATAL:
		return "fatal";
	}
	return "unknown";
}

/* The send limiter: a ring of the last GW_SEND_LIMIT send times, oldest at
 * head. Heartbeats may fill the whole window; anything else stops
 * `reserve` short of it, so a burst of messages can never make the next
 * heartbeat late (a late heartbeat gets the connection dropped as a zombie,
 * an extra send gets it closed with 4008). */

static uint64_t gwl_at(const struct gw_limiter *l, size_t i)
{
	return l->at[(l->head + i) % GW_SEND_LIMIT];
}

static int gwl_live(uint64_t at, uint64_t now_ms)
{
	/* A time after now (a clock that stepped back) counts as in the window. */
	return at > now_ms || now_ms - at < GW_SEND_WINDOW_MS;
}

void gw_limiter_init(struct gw_limiter *l, unsigned reserve)
{
	gw_limiter_clear(l);
	/* Non-heartbeat sends must always have at least one slot. */
	l->reserve = reserve < GW_SEND_LIMIT ? reserve : GW_SEND_LIMIT - 1;
}

void gw_limiter_clear(struct gw_limiter *l)
{
	for (size_t i = 0; i < GW_SEND_LIMIT; i++)
		l->at[i] = 0;
	l->head = 0;
	l->n = 0;
}

uint64_t gw_limiter_wait(const struct gw_limiter *l, int heartbeat, uint64_t now_ms)
{
	size_t limit = heartbeat ? GW_SEND_LIMIT : GW_SEND_LIMIT - l->reserve;
	size_t first = 0; /* oldest send still in the window */
	while (first < l->n && !gwl_live(gwl_at(l, first), now_ms))
		first++;
	size_t in_window = l->n - first;
	if (in_window < limit)
		return 0;
	/* Wait until enough of the oldest ones have left the window that this
	 * send is the limit-th one in it. */
	uint64_t at = gwl_at(l, first + (in_window - limit));
	return at > now_ms ? GW_SEND_WINDOW_MS : at + GW_SEND_WINDOW_MS - now_ms;
}

void gw_limiter_note(struct gw_limiter *l, uint64_t now_ms)
{
	while (l->n > 0 && !gwl_live(gwl_at(l, 0), now_ms)) {
		l->head = (l->head + 1) % GW_SEND_LIMIT;
		l->n--;
	}
	if (l->n == GW_SEND_LIMIT) { /* a send past the limit: keep the newest */
		l->head = (l->head + 1) % GW_SEND_LIMIT;
		l->n--;
	}
	l->at[(l->head + l->n) % GW_SEND_LIMIT] = now_ms;
	l->n++;
}

/* Backoff: 1 s doubling to a 60 s cap, then ×[0.75, 1.25) so that many
 * bots dropped at once do not come back at once. The jitter is applied
 * after the cap, so waits at the cap spread over 45-75 s rather than
 * piling up at exactly 60 s. */
#define GW_BACKOFF_BASE_MS 1000u
#define GW_BACKOFF_MAX_MS  60000u

static double gw_unit(double rnd)
{
	return rnd >= 0.0 && rnd < 1.0 ? rnd : 0.5; /* NaN and out-of-range: the middle */
}

uint64_t gw_backoff_ms(unsigned attempt, double rnd)
{
	uint64_t base = GW_BACKOFF_MAX_MS;
	if (attempt < 6) /* 1000 << 6 already passes the cap */
		base = GW_BACKOFF_BASE_MS << attempt;
	if (base > GW_BACKOFF_MAX_MS)
		base = GW_BACKOFF_MAX_MS;
	return (uint64_t)((double)base * (0.75 + 0.5 * gw_unit(rnd)));
}

uint64_t gw_first_beat_ms(uint32_t interval_ms, double rnd)
{
	return (uint64_t)((double)interval_ms * gw_unit(rnd));
}

void gw_idgate_init(struct gw_idgate *g, int max_concurrency, int total, int remaining,
                    uint64_t reset_after_ms, uint64_t now_ms)
{
	memset(g, 0, sizeof *g);
	g->max_concurrency = max_concurrency > 0 ? max_concurrency : 1;
	g->total = total > 0 ? total : 0;
	g->remaining = remaining;
	g->reset_at = reset_after_ms ? now_ms + reset_after_ms : 0;
}

uint64_t gw_idgate_take(struct gw_idgate *g, int shard_id, uint64_t now_ms, int *budget)
{
	unsigned key =
	    (unsigned)(shard_id < 0 ? 0 : shard_id) % (unsigned)g->max_concurrency % GW_IDGATE_KEYS;
	*budget = 0;
	if (g->reset_at && now_ms >= g->reset_at) {
		/* The window Discord gave has passed: the budget is full again,
		 * for the next window (Discord's windows are a day long). When
		 * the total is unknown, allow one start at a time. */
		g->remaining = g->total > 0 ? g->total : (g->remaining > 0 ? g->remaining : 1);
		g->reset_at = g->total > 0 ? now_ms + 24ull * 3600 * 1000 : 0;
	}
	if (g->remaining <= 0 && g->reset_at > now_ms) {
		*budget = 1;
		return g->reset_at - now_ms;
	}
	if (g->last[key] && now_ms + 1 - g->last[key] < GW_IDENTIFY_SPACING_MS)
		return GW_IDENTIFY_SPACING_MS - (now_ms + 1 - g->last[key]);
	g->last[key] = now_ms + 1;
	g->remaining--;
	return 0;
}
