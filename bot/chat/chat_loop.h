/* The core on the event loop, for any platform: events handled in one loop
 * turn share one store commit (core batches), the batch ends in a uv_check
 * handle after the turn's I/O, and only then are the turn's replies and
 * posts handed to the platform — nothing is confirmed to a member before it
 * is committed (SPEC §8). Scheduled work (posts, reveals, reminders) runs
 * from one timer set to the core's next wake.
 *
 * Ownership: chat_loop_new() borrows the loop, core and store for its
 * life. chat_loop_free() ends an open batch (its actions still reach the
 * platform), then releases its handles; no callback runs after it. */
#ifndef SB_CHAT_CHAT_LOOP_H
#define SB_CHAT_CHAT_LOOP_H

#include "core/core.h"
#include "net/loop.h"

struct chat_loop_ops {
	/* Carry out one committed action: a post or DM (ACT_POST, ACT_DM),
	 * or the answer to an event (ACT_REPLY, ACT_FORM). Each may take the
	 * action's contents (and zero *act); what it leaves is freed after. */
	void (*post)(void *ud, struct action *act);
	void (*reply)(void *ud, struct action *act);
	/* After a batch's or a tick's actions were handed out. commit_failed:
	 * the batch was rolled back, so none of its events were recorded and
	 * the platform should say so to whoever is still waiting. */
	void (*flushed)(void *ud, int commit_failed);
};

struct chat_loop;

/* Resends what a crash left in the outbox, then looks for due work at
 * once (a round whose time came while the bot was down is posted now). */
enum sb_rc chat_loop_new(struct chat_loop **out, struct net_loop *loop, struct core *core,
                         struct store *st, const struct chat_loop_ops *ops, void *ud);
void chat_loop_free(struct chat_loop *cl);
/* Opens this turn's batch if none is open: call before core_handle(). */
void chat_loop_begin(struct chat_loop *cl);
/* Ends the open batch now (commit, hand out its actions). */
void chat_loop_end(struct chat_loop *cl);

#endif
