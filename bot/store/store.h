/* The store: everything studybot must remember (SPEC §5, §8).
 *
 * The core talks to the store only through these calls, so a second backend
 * (PostgreSQL for several processes) can sit behind the same names; one test
 * suite (tests/unit/test_store.c) holds every backend to the same behaviour.
 * store_open() picks the backend from the URL.
 *
 * Rules every backend keeps:
 * - Member text only ever reaches the database as a bound parameter.
 * - Every call that writes is atomic on its own; store_begin()/store_commit()
 *   group calls into one transaction (they nest: an inner pair is a
 *   savepoint, so one failed event can be undone alone inside a batch).
 * - Whatever a member is told has been recorded is committed before the
 *   caller tells them (the core commits, then releases its actions).
 *
 * Ownership: struct store is opaque, store_close() frees it. Structs with
 * fixed arrays are filled in place by the caller's storage. Arrays returned
 * through an out-pointer (…**out, size_t *n) are the caller's: free() them,
 * or the named *_free() when their elements own strings. Strings passed in
 * are borrowed for the call only.
 *
 * Errors: SB_ERR_NOTFOUND when a looked-up row does not exist, SB_ERR_INVALID
 * when a write breaks a uniqueness rule, SB_ERR_IO for anything the database
 * refused; store_errmsg() then says what happened, for the log. */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bank.h"
#include "core/schedule.h"
#include "util/rc.h"

#define ST_ID_MAX     64  /* platform ids, question ids */
#define ST_NAME_MAX   100 /* display names (characters are cut by the caller) */
#define ST_SLOT_MAX   24
#define ST_TOPICS_MAX 512

struct store;

/* url: a file path for SQLite (created if missing), ":memory:" for a
 * private in-memory database. Migrates the schema to the current version.
 * On failure writes a reason into err. */
enum sb_rc store_open(const char *url, struct store **out, char *err, size_t errsz);
void store_close(struct store *s);
/* Last error of this handle, for the log; never NULL. */
const char *store_errmsg(const struct store *s);
/* The schema version the database is at (SQLite: PRAGMA user_version). */
int store_schema_version(struct store *s);

enum sb_rc store_begin(struct store *s);
/* A failed commit undoes its own level itself: do not roll back after it. */
enum sb_rc store_commit(struct store *s);
void store_rollback(struct store *s);

/* --- members ---------------------------------------------------------- */

struct st_member {
	int64_t id;
	char ext_id[ST_ID_MAX + 1]; /* the platform's user id */
	char name[4 * ST_NAME_MAX + 1];
};

/* Finds or creates the member with this platform id; name (may be NULL)
 * updates the display name. */
enum sb_rc store_member(struct store *s, const char *ext_id, const char *name, int64_t *id);
enum sb_rc store_member_get(struct store *s, int64_t id, struct st_member *out);
enum sb_rc store_member_by_ext(struct store *s, const char *ext_id, struct st_member *out);

/* --- channels ---------------------------------------------------------- */

struct st_channel {
	int64_t id;
	char ext_id[ST_ID_MAX + 1];
	char workspace[ST_ID_MAX + 1]; /* guild / team id; "" when unknown */
	char name[4 * ST_NAME_MAX + 1];
	struct schedule schedule;
	char timezone[65];
	char topics[ST_TOPICS_MAX + 1]; /* comma-separated slugs; "" = every topic */
	int diff_min, diff_max;
	long answer_window, review_window, remind_before; /* seconds */
	int answer_mode;                                  /* enum cfg_answer_mode */
	bool paused;
	int64_t created_at;
};

/* Inserts or updates the channel with c->ext_id (every setting except
 * paused, which only store_channel_set_paused() changes); sets c->id. */
enum sb_rc store_channel_put(struct store *s, struct st_channel *c);
enum sb_rc store_channel_get(struct store *s, const char *ext_id, struct st_channel *out);
enum sb_rc store_channel_by_id(struct store *s, int64_t id, struct st_channel *out);
/* Every channel, by id. */
enum sb_rc store_channels(struct store *s, struct st_channel **out, size_t *n);
enum sb_rc store_channel_set_paused(struct store *s, int64_t id, bool paused);

/* --- questions ---------------------------------------------------------- */

/* Records every bank question (id, topic, difficulty, content hash); a
 * changed hash is updated, a question gone from the bank is marked retired
 * (its rounds keep pointing at it). */
enum sb_rc store_questions_sync(struct store *s, const struct bank *b, int64_t now);

/* A question an admin added from chat: it belongs to one workspace. Lists
 * are newline-separated. */
struct st_question {
	char qid[ST_ID_MAX + 1];
	char workspace[ST_ID_MAX + 1];
	char topic[ST_ID_MAX + 1];
	int difficulty;
	char *prompt, *body, *answer, *hints, *key_points, *choices; /* owned */
	int correct;                                                 /* -1: not multiple choice */
	int64_t added_by;                                            /* member id */
	int64_t created_at;
};
/* SB_ERR_INVALID when qid is taken (by the bank or another added question). */
enum sb_rc store_question_add(struct store *s, const struct st_question *q);
/* Every question added in this workspace; workspace NULL: in every one. */
enum sb_rc store_questions_added(struct store *s, const char *workspace, struct st_question **out,
                                 size_t *n);
void store_questions_free(struct st_question *q, size_t n);

/* When each question was last asked in a channel (never-asked ones are
 * absent): what rotation needs. */
struct st_usage {
	char qid[ST_ID_MAX + 1];
	int64_t last_asked;
};
enum sb_rc store_question_usage(struct store *s, int64_t channel_id, struct st_usage **out,
                                size_t *n);

/* --- rounds ------------------------------------------------------------- */

enum round_state {
	ROUND_OPEN = 1,    /* taking answers until deadline */
	ROUND_REVIEW = 2,  /* revealed; taking ratings until review_end */
	ROUND_CLOSED = 3,  /* results posted */
	ROUND_SKIPPED = 4, /* an admin skipped it: nothing is scored */
};

struct st_round {
	int64_t id, channel_id;
	char slot[ST_SLOT_MAX + 1]; /* local date "2026-11-24", "2026-11-24#2" for extra posts */
	char qid[ST_ID_MAX + 1];
	int state;
	int64_t scheduled_at, deadline, review_end;
	bool reminded;
	char message_id[ST_ID_MAX + 1]; /* the question's message once posted, else "" */
};

/* Creates the round (sets r->id). SB_ERR_INVALID when the channel already
 * has a round in that slot: that uniqueness is what stops a double post. */
enum sb_rc store_round_create(struct store *s, struct st_round *r);
enum sb_rc store_round_get(struct store *s, int64_t id, struct st_round *out);
enum sb_rc store_round_by_slot(struct store *s, int64_t channel_id, const char *slot,
                               struct st_round *out);
/* The channel's round with the latest scheduled_at (any state). */
enum sb_rc store_round_latest(struct store *s, int64_t channel_id, struct st_round *out);
/* The round whose question message (or its thread) has this id. */
enum sb_rc store_round_by_message(struct store *s, const char *message_id, struct st_round *out);
/* Every round that is OPEN or REVIEW. */
enum sb_rc store_rounds_active(struct store *s, struct st_round **out, size_t *n);
/* Writes state, reminded, deadline, review_end and message_id. */
enum sb_rc store_round_update(struct store *s, const struct st_round *r);

/* --- answers, hints, ratings ---------------------------------------------- */

struct st_answer {
	int64_t id, round_id, member_id;
	char *text; /* owned; NULL for a multiple-choice pick */
	int choice; /* -1 unless multiple choice */
	bool late;
	int edits;
	int64_t created_at, updated_at;
	int label;   /* 1 = "Answer A" …, set at reveal; 0 before */
	int kp_hits; /* key points covered, set at reveal */
};

/* One answer per member per round: inserts, or replaces text/choice/late/
 * updated_at and counts an edit. Sets a->id and *created. */
enum sb_rc store_answer_put(struct store *s, struct st_answer *a, bool *created);
enum sb_rc store_answer_get(struct store *s, int64_t round_id, int64_t member_id,
                            struct st_answer *out);
enum sb_rc store_answer_by_id(struct store *s, int64_t id, struct st_answer *out);
/* A round's answers in the order they were first given. */
enum sb_rc store_answers(struct store *s, int64_t round_id, struct st_answer **out, size_t *n);
enum sb_rc store_answer_set_label(struct store *s, int64_t id, int label, int kp_hits);
void store_answer_clear(struct st_answer *a);
void store_answers_free(struct st_answer *a, size_t n);

/* Hints are numbered 1, 2, … per member and round. */
enum sb_rc store_hints_taken(struct store *s, int64_t round_id, int64_t member_id, int *n);
enum sb_rc store_hint_take(struct store *s, int64_t round_id, int64_t member_id, int n,
                           int64_t now);

/* One rating per rater per answer: a new one replaces the old (*replaced). */
enum sb_rc store_rating_put(struct store *s, int64_t answer_id, int64_t rater_id, int stars,
                            int64_t now, bool *replaced);
/* Per answer of the round, in answer order: ratings so far and review
 * assignments handed out. */
struct st_rating_sum {
	int64_t answer_id, member_id;
	int count, assigned;
	double avg; /* 0 when count == 0 */
};
enum sb_rc store_rating_summary(struct store *s, int64_t round_id, struct st_rating_sum **out,
                                size_t *n);
/* Ratings this member gave in the round. */
enum sb_rc store_ratings_given(struct store *s, int64_t round_id, int64_t rater_id, int *n);
enum sb_rc store_review_assign(struct store *s, int64_t round_id, int64_t member_id,
                               int64_t answer_id, int64_t now);

/* --- points ------------------------------------------------------------- */

/* An append-only ledger: totals are sums of rows, never stored alone. */
struct st_ledger {
	int64_t member_id, channel_id;
	int64_t round_id; /* 0: not tied to a round */
	int points;
	const char *reason; /* "answer", "streak", "key_points", "mcq", "hint", "peer", "review" */
	const char *topic;  /* the question's topic; "" when none */
	int64_t at;
};
/* Appends e and adds its points to the running totals each leaderboard reads:
 * one per period key (e.g. "all", "d2026-11-24", "w2026-11-23", "m2026-11",
 * computed by the caller in the channel's zone) for all topics and for
 * e->topic. */
enum sb_rc store_ledger_add(struct store *s, const struct st_ledger *e, const char *const *periods,
                            size_t nperiods);

struct st_rank {
	int64_t member_id;
	char name[4 * ST_NAME_MAX + 1];
	long points;
	int64_t reached_at; /* when the member reached this total: ties go to the earlier */
	long rank;          /* 1-based; 0 = not ranked */
};
/* The top `limit` (≤ 100) of a channel for a period key and topic ("" =
 * all), into top[]; and the caller's own rank into *me (rank 0 when the
 * caller has no points there). Ties: earlier reached_at first, then lower
 * member id. */
enum sb_rc store_leaderboard(struct store *s, int64_t channel_id, const char *period,
                             const char *topic, int limit, int64_t caller, struct st_rank *top,
                             size_t *ntop, struct st_rank *me);

struct st_reason {
	char reason[32];
	long points, rows;
};
/* A member's points in a channel grouped by reason, largest first. */
enum sb_rc store_points_by_reason(struct store *s, int64_t channel_id, int64_t member_id,
                                  struct st_reason *out, size_t max, size_t *n);

/* Per topic: answers given on time and their average rating. */
struct st_topic_stat {
	char topic[ST_ID_MAX + 1];
	long answered, rated;
	double avg; /* over rated answers; 0 when none */
};
enum sb_rc store_topic_stats(struct store *s, int64_t channel_id, int64_t member_id,
                             struct st_topic_stat **out, size_t *n);

/* The best-rated answers of rounds scheduled in [from, to), best first. */
struct st_best {
	int64_t answer_id, round_id, member_id;
	char qid[ST_ID_MAX + 1];
	char name[4 * ST_NAME_MAX + 1];
	double avg;
	int count;
};
enum sb_rc store_best_answers(struct store *s, int64_t channel_id, int64_t from, int64_t to,
                              int limit, struct st_best *out, size_t *n);

/* --- streaks, reminders, practice cards --------------------------------- */

struct st_streak {
	int64_t member_id, channel_id;
	int current, best, freezes;
	int64_t last_round_id;
};
/* A member with no streak row reads as all zeros (SB_OK). */
enum sb_rc store_streak_get(struct store *s, int64_t member_id, int64_t channel_id,
                            struct st_streak *out);
enum sb_rc store_streak_put(struct store *s, const struct st_streak *st);
/* Every streak row of a channel, longest current first. */
enum sb_rc store_streaks(struct store *s, int64_t channel_id, struct st_streak **out, size_t *n);

enum sb_rc store_remind_set(struct store *s, int64_t member_id, int64_t channel_id, bool on);
/* Members opted in for a channel, by id. */
enum sb_rc store_remind_members(struct store *s, int64_t channel_id, int64_t **out, size_t *n);

struct st_card {
	int64_t member_id;
	char qid[ST_ID_MAX + 1];
	double ef;
	int reps, interval_days;
	int64_t due;
	int last_q;
};
enum sb_rc store_card_get(struct store *s, int64_t member_id, const char *qid, struct st_card *out);
enum sb_rc store_card_put(struct store *s, const struct st_card *c);
/* The member's card that is due (due ≤ now) and weakest (lowest ef, then
 * most overdue). SB_ERR_NOTFOUND when none is due. */
enum sb_rc store_card_due(struct store *s, int64_t member_id, int64_t now, struct st_card *out);

/* --- durable posting -------------------------------------------------------- */

/* A message recorded before it is sent (SPEC §8): after a crash, pending
 * rows are sent again with the same nonce, so the platform drops a copy. */
struct st_outbox {
	int64_t id, channel_id, round_id;
	char kind[16]; /* "question", "reveal", "results", "recap", "dm" */
	char nonce[33];
	char *payload; /* owned; the rendered message as JSON */
	int64_t created_at;
};
enum sb_rc store_outbox_add(struct store *s, struct st_outbox *o);
/* Marks a row sent; message_id (may be NULL) is what the platform returned. */
enum sb_rc store_outbox_done(struct store *s, int64_t id, const char *message_id, int64_t now);
enum sb_rc store_outbox_pending(struct store *s, struct st_outbox **out, size_t *n);
void store_outbox_free(struct st_outbox *o, size_t n);

/* Something that must happen once per channel and key (a weekly recap):
 * *first is true the first time only. */
enum sb_rc store_once(struct store *s, int64_t channel_id, const char *key, int64_t now,
                      bool *first);

/* --- export and forget-me ----------------------------------------------------- */

/* Calls row() for each row of a channel's table, with a header row first.
 * table: "answers", "ratings" or "ledger". Stops at row()'s first error. */
typedef enum sb_rc (*store_row_fn)(void *ud, int ncols, const char *const *cols);
enum sb_rc store_export(struct store *s, int64_t channel_id, const char *table, store_row_fn row,
                        void *ud);

/* Deletes the member's answers (with the ratings on them), ratings given,
 * hints, assignments, ledger rows and totals, streaks, reminders and cards,
 * and blanks the stored name. */
enum sb_rc store_forget_member(struct store *s, int64_t member_id);

#endif
