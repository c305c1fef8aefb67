/* Shared by the core's own files (core.c, round.c, interact.c, study.c);
 * nothing outside core/ includes this. */
#ifndef SB_CORE_INT_H
#define SB_CORE_INT_H

#include "core/core.h"

#define DAY 86400

/* The zone of a channel, loaded once; UTC when the name is unusable. */
const struct tz *core_zone(struct core *c, const char *name);
/* A question of the bank, or one an admin added in this workspace. */
const struct bank_question *core_question(struct core *c, const char *qid);
/* Whether an added question belongs to this workspace. */
bool core_added_in_workspace(struct core *c, const char *qid, const char *workspace);
/* Loads the added questions into c->added (after an add or at start). */
enum sb_rc core_load_added(struct core *c);
/* The member behind an event (created on first sight, name refreshed). */
enum sb_rc core_member(struct core *c, const struct event *ev, int64_t *id);

/* Runs fn in one transaction; its actions are released only on commit. */
enum sb_rc core_run(struct core *c, enum sb_rc (*fn)(struct core *, const void *, int64_t),
                    const void *arg, int64_t now);

/* A private reply to the event being handled. */
struct action *core_reply(struct core *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))); /* gcc/clang: checks the format */
/* A private reply to a form that finds fault with its input `input`
 * (struct action's invalid_input): nothing was saved. */
struct action *core_invalid(struct core *c, const char *input, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records act (already filled: POST or DM) in the outbox and queues it. */
enum sb_rc core_send(struct core *c, struct action *act, int64_t channel_id, int64_t round_id,
                     const char *kind, int64_t now);
/* A new POST/DM action, not yet recorded: fill it, then core_send() it. */
struct action *core_new_post(struct core *c, const struct st_channel *ch, const char *thread_of);
struct action *core_new_dm(struct core *c, const struct st_channel *ch, const char *user);
/* Drops a built action that will not be sent (the last one queued). */
void core_drop_last(struct core *c);

/* "Tue 24 Nov, 19:00 (Europe/Berlin)" */
void core_fmt_time(struct core *c, const char *zone, int64_t t, char *out, size_t n);
/* "3h 20m" */
void core_fmt_left(int64_t secs, char *out, size_t n);
/* "A", "B", … "Z", "AA", … */
void core_label(int label, char *out, size_t n);
const char *core_difficulty_name(int d);

/* A ledger row with its period keys in the channel's zone. */
enum sb_rc core_points(struct core *c, const struct st_channel *ch, int64_t member_id,
                       int64_t round_id, int points, const char *reason, const char *topic,
                       int64_t now);

/* round.c */
enum sb_rc round_post(struct core *c, const struct st_channel *ch, const char *slot,
                      int64_t scheduled_at, int64_t now, struct st_round *out);
/* The channel's local date of t, "YYYY-MM-DD". */
void round_slot(struct core *c, const struct st_channel *ch, int64_t t, char slot[16]);
/* A slot for a round posted now: the day's own if it is free (the
 * scheduled post then counts as done), else "DAY#2", "DAY#3"…;
 * SB_ERR_TOOBIG after 99 in a day. */
enum sb_rc round_free_slot(struct core *c, const struct st_channel *ch, int64_t now,
                           char slot[ST_SLOT_MAX + 1]);
/* The latest scheduled instant ≤ now for the channel, or INT64_MIN. */
int64_t round_last_slot(struct core *c, const struct st_channel *ch, int64_t now);
int64_t round_next_slot(struct core *c, const struct st_channel *ch, int64_t now);
/* Builds the question message of a round. */
void round_question_msg(struct core *c, const struct st_channel *ch, const struct st_round *r,
                        const struct bank_question *q, struct chat_msg *m);

/* Grades a member's card for a question (SM-2), creating it if new. */
enum sb_rc core_card_review(struct core *c, int64_t member, const char *qid, int quality,
                            int64_t now);

/* interact.c */
enum sb_rc core_on_button(struct core *c, const struct event *ev, int64_t now);
enum sb_rc core_on_form(struct core *c, const struct event *ev, int64_t now);
enum sb_rc core_on_message(struct core *c, const struct event *ev, int64_t now);
/* Opens the answer form for a round (the Answer button and /study answer). */
enum sb_rc core_answer_form(struct core *c, const struct event *ev, const struct st_round *r,
                            int64_t now);

/* study.c: the /study commands */
enum sb_rc core_on_command(struct core *c, const struct event *ev, int64_t now);
/* The top 10 of a channel for a period key and topic, plus the caller's
 * rank when caller is non-zero; nothing is written when nobody scored. */
enum sb_rc core_leaderboard_text(struct core *c, const struct st_channel *ch, const char *period,
                                 const char *topic, int64_t caller, struct buf *out);
enum sb_rc round_tick(struct core *c, int64_t now);

#endif
