/* Between the core and Discord: gateway dispatches in, core events out;
 * core actions in, REST calls out. The core never sees Discord; this file
 * never decides anything about a study round.
 *
 * Events handled in one loop turn share one store commit (core batches):
 * the batch ends in a uv_check handle, after the turn's I/O, and only then
 * are the turn's replies and posts sent — nothing is confirmed to a member
 * before it is committed (SPEC §8).
 *
 * Ownership: dc_bridge_new() borrows the loop, REST client, core, store and
 * config for the bridge's life; dc_bridge_free() releases what it made
 * (timers, pending sends; their callbacks are cancelled with the REST
 * client, which the caller frees after the bridge). */
#ifndef SB_DISCORD_DC_BRIDGE_H
#define SB_DISCORD_DC_BRIDGE_H

#include "config.h"
#include "core/core.h"
#include "discord/gw_payload.h"
#include "discord/rest.h"
#include "net/loop.h"

struct dc_bridge;

struct dc_bridge_stats {
	unsigned long interactions, messages, ignored, replies, posts, failed_sends;
};

enum sb_rc dc_bridge_new(struct dc_bridge **out, struct net_loop *loop, struct rest *rest,
                         struct core *core, struct store *st);
void dc_bridge_free(struct dc_bridge *b);

/* READY: registers the /study command for the application. */
void dc_bridge_ready(struct dc_bridge *b, uint64_t application_id);
/* Any dispatch other than READY/RESUMED. */
void dc_bridge_dispatch(struct dc_bridge *b, const char *t, struct gw_span d);
void dc_bridge_get_stats(const struct dc_bridge *b, struct dc_bridge_stats *out);

#endif
