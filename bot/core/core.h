/* The study-round core (SPEC §5, §6): platform-free, socket-free.
 *
 * A platform feeds it normalized events (core_handle) and the time
 * (core_tick), and carries out the actions it queues. The clock is always
 * passed in, so tests drive days of rounds in microseconds.
 *
 * Every event and tick runs in one store transaction. Its actions are only
 * handed out (core_take_actions) after that transaction committed: a member
 * is never told something is recorded before it is. A platform that handles
 * many events per loop turn may wrap them in core_batch_begin()/_end(): one
 * commit for the lot, each event still undone alone if it fails.
 *
 * Posts and private messages go through the store's outbox: the platform
 * reports each delivery with core_delivered(); after a crash,
 * core_resend_pending() queues what was never confirmed, same nonce.
 *
 * Ownership: the core borrows the store, the bank and the config scoring
 * for its lifetime; it owns its tz cache, added-question bank and queued
 * actions; core_free() releases them. */
#ifndef SB_CORE_H
#define SB_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "chat/chat.h"
#include "config.h"
#include "core/bank.h"
#include "store/store.h"
#include "util/tz.h"

#define CORE_MAX_ZONES 64

/* What the core recorded since start, for /metrics: only what was
 * committed (an event undone is not counted). */
struct core_stats {
	unsigned long rounds;  /* questions posted */
	unsigned long answers; /* first answers of a member to a round (edits are not counted) */
	unsigned long ratings; /* first ratings of an answer by a member (changes are not) */
};

struct core {
	struct store *st;
	const struct bank *bank;
	struct bank added; /* questions admins added from chat (every workspace) */
	struct core_added {
		char qid[ST_ID_MAX + 1], workspace[ST_ID_MAX + 1];
	} * added_ws;
	size_t nadded;
	struct cfg_scoring scoring;
	size_t answer_max;    /* characters: the platform's text-input cap (4000, 3000) */
	const char *platform; /* "discord", "slack", "console": for the export's file names */
	struct actions out;
	size_t committed; /* out[0, committed) may be handed out */
	int batch;        /* depth of core_batch_begin() */
	struct {
		char *name;
		struct tz *tz;
	} zones[CORE_MAX_ZONES];
	size_t nzones;
	unsigned long nonce_seq;
	int64_t nonce_salt;
	struct core_stats stats, stats_tx; /* committed; counted in the open transaction */
};

enum sb_rc core_init(struct core *c, struct store *st, const struct bank *b,
                     const struct cfg_scoring *scoring, size_t answer_max, int64_t now);
void core_free(struct core *c);

/* Writes the config file's channels to the store (chat-made ones stay). */
enum sb_rc core_apply_config(struct core *c, const struct config *cfg, const char *workspace);

enum sb_rc core_handle(struct core *c, const struct event *ev, int64_t now);
/* Posts due questions, reminders, reveals, results and weekly recaps. */
enum sb_rc core_tick(struct core *c, int64_t now);
/* When core_tick next has something to do (never earlier than now + 1). */
int64_t core_next_wake(struct core *c, int64_t now);
/* The platform delivered an outbox action; message_id may be NULL. */
enum sb_rc core_delivered(struct core *c, const struct action *act, const char *message_id,
                          int64_t now);
/* Queues every outbox row not yet confirmed (call once at start). */
enum sb_rc core_resend_pending(struct core *c);

/* Posts a round in the channel now, asking qid (NULL: the rotation's pick),
 * as /study post does. SB_ERR_NOTFOUND for an unknown channel or question. */
enum sb_rc core_post_now(struct core *c, const char *channel, const char *qid, int64_t now);

void core_batch_begin(struct core *c);
enum sb_rc core_batch_end(struct core *c);

/* Moves the committed actions into *out (which the caller frees with
 * actions_free); returns how many. */
size_t core_take_actions(struct core *c, struct actions *out);

void core_get_stats(const struct core *c, struct core_stats *out);

/* A member's home page (Slack's App Home): one message per study channel
 * of the workspace (NULL: every channel) with the member's points and
 * streak, the next question's time and this week's top 10; or one message
 * saying how to start when there is none. Fills out[0..*n) (at most max),
 * which the caller frees with chat_msg_free(). Reads only. */
enum sb_rc core_home(struct core *c, const char *workspace, const char *user, int64_t now,
                     struct chat_msg *out, size_t max, size_t *n);

/* Period keys for a ledger row at t in zone z: "all", "dYYYY-MM-DD",
 * "wYYYY-MM-DD" (that week's Monday) and "mYYYY-MM". keys[i] holds 16. */
void core_period_keys(const struct tz *z, int64_t t, char keys[4][16]);
/* The key of a named period ("day", "week", "month", "all") at now; false
 * for an unknown name. */
bool core_period_key(const struct tz *z, const char *period, int64_t now, char key[16]);

#endif
