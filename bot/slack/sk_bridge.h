/* Between the core and Slack: Socket Mode envelopes in, core events out;
 * core actions in, Web API calls out. Nothing here decides anything about
 * a study round.
 *
 * Every envelope is acked after the store commit of the loop turn it was
 * handled in (chat/chat_loop.h), well inside Slack's 3 s, and the ack
 * carries the reply where Slack takes one: a slash command's answer, a
 * form's validation error shown under its input. Other replies are
 * private messages (chat.postEphemeral; in a DM, a plain message), forms
 * open with views.open on the event's trigger_id, posts and DMs go by
 * chat.postMessage and are reported to the core's outbox.
 *
 * Admins (SPEC §6): workspace admins and owners (users.info, cached for
 * a while) and the user ids of [slack] admins. An admin subcommand or a
 * submitted form waits for that answer before the core sees it.
 *
 * Ownership: sk_bridge_new() borrows the loop, Socket Mode client, Web API
 * client, core, store and config for the bridge's life; sk_bridge_free()
 * releases what it made. Envelopes handed in are borrowed for the call. */
#ifndef SB_SLACK_SK_BRIDGE_H
#define SB_SLACK_SK_BRIDGE_H

#include "config.h"
#include "core/core.h"
#include "net/loop.h"
#include "slack/sm.h"
#include "slack/webapi.h"
#include "util/metrics.h"

struct sk_bridge;

struct sk_bridge_stats {
	unsigned long envelopes, events, ignored, replies, posts, failed_sends, homes,
	    member_lookups;
	/* From an envelope read off the socket to its ack handed to the
	 * socket: the bot's share of Slack's 3 s, commit included. */
	struct metrics_hist ack_latency;
};

enum sb_rc sk_bridge_new(struct sk_bridge **out, struct net_loop *loop, struct sm *sm,
                         struct webapi *api, struct core *core, struct store *st,
                         const struct config *cfg);
void sk_bridge_free(struct sk_bridge *b);
/* The bot's own user id (auth.test), so its messages are not taken as
 * answers. Copied. */
void sk_bridge_set_self(struct sk_bridge *b, const char *team_id, const char *bot_user);
/* An envelope from Socket Mode (not hello or disconnect). */
void sk_bridge_envelope(struct sk_bridge *b, int conn, const struct sm_envelope *e);
void sk_bridge_get_stats(const struct sk_bridge *b, struct sk_bridge_stats *out);

#endif
