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
 * (timers, pending sends, the command registrar; their callbacks are
 * cancelled with the REST client, which the caller frees after the
 * bridge). */
#ifndef SB_DISCORD_DC_BRIDGE_H
#define SB_DISCORD_DC_BRIDGE_H

#include "config.h"
#include "core/core.h"
#include "discord/gw_payload.h"
#include "util/metrics.h"
#include "discord/rest.h"
#include "net/loop.h"

struct dc_bridge;

struct dc_bridge_stats {
	unsigned long interactions, messages, ignored, replies, posts, failed_sends;
	/* From an interaction read off the gateway to its first response
	 * (reply, form or deferral) handed to the REST client: the bot's own
	 * share of Discord's 3 s, commit included. */
	struct metrics_hist reply_latency;
};

enum sb_rc dc_bridge_new(struct dc_bridge **out, struct net_loop *loop, struct rest *rest,
                         struct core *core, struct store *st);
void dc_bridge_free(struct dc_bridge *b);

/* Where /study is registered (SPEC §6: "guild scope for configured guilds,
 * so they appear at once; global otherwise"). Discord lists a guild command
 * and a global command of the same name side by side, so no server may get
 * both; and a guild command is available at once, a global one may take a
 * while. The rule, per process start:
 *
 * - A server ("guild") that holds a study channel — a channel of the config
 *   file or one set up with /study setup, found in the server's GUILD_CREATE
 *   (its channels and active threads) or by the guild id stored with the
 *   channel — gets the command with one bulk overwrite of its own list
 *   (PUT /applications/{app}/guilds/{guild}/commands), once per process:
 *   not again on a resume or a repeated GUILD_CREATE. A server the bot joins
 *   later gets it when its GUILD_CREATE shows a study channel.
 * - Once the servers of every shard's READY have arrived (or 30 s after the
 *   first READY, as an unavailable server may never arrive) and none holds
 *   a study channel — none configured yet (a fresh install to be set up
 *   from chat), or only ids of servers the bot is not in — the global list
 *   is overwritten instead (PUT /applications/{app}/commands), so that
 *   /study setup can be run anywhere. A process that runs only some of the
 *   shards (shard = ID/COUNT) cannot tell that another process holds the
 *   channels, so it falls back to global only when no channel is configured
 *   at all.
 * - With the first server registered, a global /study left by an earlier
 *   start (set up from chat, then restarted) is deleted, so that server does
 *   not list /study twice. Servers without a study channel then have no
 *   /study, which is the rule above.
 *
 * The guild id found for a file channel is written to its stored channel,
 * so the core knows the server of every channel. */
struct dc_ready_info {
	uint64_t application_id; /* 0: unknown (nothing is registered) */
	int shard;               /* index among this process's shards */
	int nshards;             /* shards this process runs */
	int all_shards;          /* this process runs every shard of the bot */
	size_t guilds;           /* servers named in READY */
};
/* READY of a new session (not RESUMED) on one shard. */
void dc_bridge_ready(struct dc_bridge *b, const struct dc_ready_info *r);
/* Any dispatch other than READY/RESUMED (GUILD_CREATE included). */
void dc_bridge_dispatch(struct dc_bridge *b, const char *t, struct gw_span d);
void dc_bridge_get_stats(const struct dc_bridge *b, struct dc_bridge_stats *out);
/* fn runs after a commit that included a /study setup (channels changed). */
void dc_bridge_on_setup(struct dc_bridge *b, void (*fn)(void *ud), void *ud);

#endif
