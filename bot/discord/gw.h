/* One Discord gateway connection (one shard), on libwebsockets running on
 * the loop (SPEC §7; Discord docs, Gateway). It connects, says IDENTIFY or
 * RESUME, keeps the heartbeat, reconnects by the close-code table in
 * gw_policy.h, and hands every dispatch it receives to its owner exactly
 * once and in order. Policy is data (gw_policy.h); envelope decoding is in
 * gw_payload.h, compression in gw_inflate.h.
 *
 * Ownership: gw_new() returns a connection freed with gw_free(); every
 * string in struct gw_config is copied (the token is never logged). The
 * spans handed to the handlers point into the connection's buffers and are
 * valid during the call only. Handlers may call gw_close() but must not
 * call gw_free() from inside a handler. */
#ifndef SB_DISCORD_GW_H
#define SB_DISCORD_GW_H

#include <stddef.h>
#include <stdint.h>

#include "discord/gw_payload.h"
#include "discord/gw_policy.h"
#include "net/loop.h"
#include "util/rc.h"

#define GW_MAX_MESSAGE (4u * 1024 * 1024) /* a reassembled (inflated) payload */

/* Gateway intents (Discord docs, Gateway > Gateway Intents). */
#define GW_INTENT_GUILDS          (1u << 0)
#define GW_INTENT_GUILD_MESSAGES  (1u << 9)
#define GW_INTENT_MESSAGE_CONTENT (1u << 15)

struct gw_config {
	const char *token;
	const char *url; /* from GET /gateway/bot: "wss://…" (ws:// only on loopback) */
	int compress;    /* 1: compress=zlib-stream */
	uint32_t intents;
	int shard_id, shard_count; /* shard_count 0: none sent */
	/* Shared by all shards of the process (borrowed; outlives the gw).
	 * NULL: a gate of its own, from the session_start_limit below. */
	struct gw_idgate *gate;
	/* session_start_limit from GET /gateway/bot, when gate is NULL */
	int sl_remaining;
	uint64_t sl_reset_after_ms;
	size_t max_message; /* 0: GW_MAX_MESSAGE */
};

struct gw_handlers {
	/* READY (a new session) or RESUMED. */
	void (*ready)(void *ud, const struct gw_ready *r, int resumed);
	/* Any other dispatch, in sequence order, never twice. */
	void (*dispatch)(void *ud, const char *t, struct gw_span d);
	/* A fatal close: the connection will not come back. The owner stops
	 * the loop with info->exit_code. */
	void (*fatal)(void *ud, const struct gw_close_info *info);
	/* After gw_close() finished. */
	void (*closed)(void *ud);
};

struct gw;

struct gw_stats {
	unsigned long events, connects, reconnects, resumes, identifies, zombies, heartbeats,
	    malformed, oversized;
	unsigned long last_latency_ms;
	int ready;
};

/* The websocket protocol array net_loop_new() needs (static, ended by a
 * zeroed entry). */
const struct lws_protocols *gw_protocols(void);

enum sb_rc gw_new(struct gw **out, struct net_loop *loop, const struct gw_config *cfg,
                  const struct gw_handlers *h, void *ud);
/* Connects (and reconnects as policy says) until gw_close() or a fatal close. */
void gw_start(struct gw *g);
/* Closes politely (1000: the session ends) and calls handlers->closed. */
void gw_close(struct gw *g);
void gw_free(struct gw *g);
/* Asks for other intents from now on. Discord fixes a session's intents at
 * IDENTIFY, so a change ends the session (close 1000) and identifies anew;
 * events in between are not replayed. */
void gw_change_intents(struct gw *g, uint32_t intents);
uint32_t gw_intents(const struct gw *g);
void gw_get_stats(const struct gw *g, struct gw_stats *out);

#endif
