/* The SQLite backend of store.h.
 *
 * One connection per handle, used from one thread. Every statement is
 * prepared once and kept for the life of the handle; each use resets it and
 * drops its bindings before returning, so no statement holds a read
 * snapshot (which would pin the WAL) or a borrowed string between calls.
 * The schema is at the top of this file. */
#include "store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* --- schema ---------------------------------------------------------------
 *
 * Migration steps, in order: step i takes the database from version i to
 * i + 1 (PRAGMA user_version), each in its own transaction. Steps already
 * shipped are never edited: a change is a new step at the end.
 *
 * Time columns are unix seconds. Foreign keys point at rows that are never
 * deleted (members keep their row when forgotten, rounds and channels stay)
 * except answers, whose ratings and review assignments cascade with them. */
static const char *const store_migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE member ("
    " id INTEGER PRIMARY KEY,"
    " ext_id TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL DEFAULT '');"

    "CREATE TABLE channel ("
    " id INTEGER PRIMARY KEY,"
    " ext_id TEXT NOT NULL UNIQUE,"
    " workspace TEXT NOT NULL DEFAULT '',"
    " name TEXT NOT NULL DEFAULT '',"
    " schedule TEXT NOT NULL,"
    " timezone TEXT NOT NULL,"
    " topics TEXT NOT NULL DEFAULT '',"
    " diff_min INTEGER NOT NULL,"
    " diff_max INTEGER NOT NULL,"
    " answer_window INTEGER NOT NULL,"
    " review_window INTEGER NOT NULL,"
    " remind_before INTEGER NOT NULL,"
    " answer_mode INTEGER NOT NULL,"
    " paused INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL);"

    /* Bank questions carry only what rotation and change detection need;
     * their text lives in the bank. Added ones carry their text here. */
    "CREATE TABLE question ("
    " id INTEGER PRIMARY KEY,"
    " qid TEXT NOT NULL UNIQUE,"
    " origin TEXT NOT NULL CHECK (origin IN ('bank', 'added')),"
    " workspace TEXT NOT NULL DEFAULT '',"
    " topic TEXT NOT NULL,"
    " difficulty INTEGER NOT NULL,"
    " hash TEXT NOT NULL DEFAULT '',"
    " retired INTEGER NOT NULL DEFAULT 0,"
    " prompt TEXT, body TEXT, answer TEXT, hints TEXT, key_points TEXT, choices TEXT,"
    " correct INTEGER NOT NULL DEFAULT -1,"
    " added_by INTEGER REFERENCES member (id),"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX question_added ON question (workspace, id) WHERE origin = 'added';"

    /* qid is deliberately not a foreign key: a round must outlive any
     * change to the bank, and the bank is synced, not owned, here. */
    "CREATE TABLE round ("
    " id INTEGER PRIMARY KEY,"
    " channel_id INTEGER NOT NULL REFERENCES channel (id),"
    " slot TEXT NOT NULL,"
    " qid TEXT NOT NULL,"
    " state INTEGER NOT NULL,"
    " scheduled_at INTEGER NOT NULL,"
    " deadline INTEGER NOT NULL,"
    " review_end INTEGER NOT NULL,"
    " reminded INTEGER NOT NULL DEFAULT 0,"
    " message_id TEXT NOT NULL DEFAULT '',"
    " UNIQUE (channel_id, slot));"
    "CREATE INDEX round_state ON round (state);"
    "CREATE INDEX round_message ON round (message_id) WHERE message_id <> '';"
    "CREATE INDEX round_time ON round (channel_id, scheduled_at);"

    "CREATE TABLE answer ("
    " id INTEGER PRIMARY KEY,"
    " round_id INTEGER NOT NULL REFERENCES round (id),"
    " member_id INTEGER NOT NULL REFERENCES member (id),"
    " text TEXT,"
    " choice INTEGER NOT NULL DEFAULT -1,"
    " late INTEGER NOT NULL DEFAULT 0,"
    " edits INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " label INTEGER NOT NULL DEFAULT 0,"
    " kp_hits INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (round_id, member_id));"
    "CREATE INDEX answer_member ON answer (member_id);"

    "CREATE TABLE hint ("
    " round_id INTEGER NOT NULL REFERENCES round (id),"
    " member_id INTEGER NOT NULL REFERENCES member (id),"
    " n INTEGER NOT NULL CHECK (n >= 1),"
    " at INTEGER NOT NULL,"
    " PRIMARY KEY (round_id, member_id, n)) WITHOUT ROWID;"

    "CREATE TABLE rating ("
    " answer_id INTEGER NOT NULL REFERENCES answer (id) ON DELETE CASCADE,"
    " rater_id INTEGER NOT NULL REFERENCES member (id),"
    " stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),"
    " at INTEGER NOT NULL,"
    " PRIMARY KEY (answer_id, rater_id)) WITHOUT ROWID;"
    "CREATE INDEX rating_rater ON rating (rater_id);"

    "CREATE TABLE review_assignment ("
    " round_id INTEGER NOT NULL REFERENCES round (id),"
    " member_id INTEGER NOT NULL REFERENCES member (id),"
    " answer_id INTEGER NOT NULL REFERENCES answer (id) ON DELETE CASCADE,"
    " at INTEGER NOT NULL,"
    " PRIMARY KEY (round_id, member_id, answer_id)) WITHOUT ROWID;"
    /* The cascade from answer looks rows up by answer_id. */
    "CREATE INDEX review_assignment_answer ON review_assignment (answer_id);"

    "CREATE TABLE ledger ("
    " id INTEGER PRIMARY KEY,"
    " member_id INTEGER NOT NULL REFERENCES member (id),"
    " channel_id INTEGER NOT NULL REFERENCES channel (id),"
    " round_id INTEGER REFERENCES round (id),"
    " points INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " topic TEXT NOT NULL DEFAULT '',"
    " at INTEGER NOT NULL);"
    "CREATE INDEX ledger_member ON ledger (member_id, channel_id, reason, points);"
    /* Rows are explained, never corrected: a correction is a new row. Rows
     * are only deleted when their member asks to be forgotten. */
    "CREATE TRIGGER ledger_append_only BEFORE UPDATE ON ledger"
    " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"

    /* Running totals of the ledger, one row per period key, topic ('' =
     * all) and member: a leaderboard reads score_board in order instead of
     * summing the ledger. */
    "CREATE TABLE score ("
    " channel_id INTEGER NOT NULL REFERENCES channel (id),"
    " period TEXT NOT NULL,"
    " topic TEXT NOT NULL,"
    " member_id INTEGER NOT NULL REFERENCES member (id),"
    " points INTEGER NOT NULL,"
    " reached_at INTEGER NOT NULL,"
    " PRIMARY KEY (channel_id, period, topic, member_id)) WITHOUT ROWID;"
    "CREATE INDEX score_board ON score"
    " (channel_id, period, topic, points DESC, reached_at, member_id);"
    "CREATE INDEX score_member ON score (member_id);"
    /* How many members of a board hold each total, kept by triggers on
     * score: a rank is then a sum over the (few) distinct totals above the
     * caller's plus a count among the members tied with them, instead of a
     * count over every member above them. Rows at zero are dropped. */
    "CREATE TABLE score_count ("
    " channel_id INTEGER NOT NULL,"
    " period TEXT NOT NULL,"
    " topic TEXT NOT NULL,"
    " points INTEGER NOT NULL,"
    " members INTEGER NOT NULL,"
    " PRIMARY KEY (channel_id, period, topic, points)) WITHOUT ROWID;"
    "CREATE TRIGGER score_count_insert AFTER INSERT ON score BEGIN"
    " INSERT INTO score_count VALUES (NEW.channel_id, NEW.period, NEW.topic, NEW.points, 1)"
    "  ON CONFLICT DO UPDATE SET members = members + 1;"
    " END;"
    "CREATE TRIGGER score_count_update AFTER UPDATE OF points ON score"
    " WHEN OLD.points <> NEW.points BEGIN"
    " UPDATE score_count SET members = members - 1 WHERE channel_id = OLD.channel_id"
    "  AND period = OLD.period AND topic = OLD.topic AND points = OLD.points;"
    " DELETE FROM score_count WHERE channel_id = OLD.channel_id AND period = OLD.period"
    "  AND topic = OLD.topic AND points = OLD.points AND members <= 0;"
    " INSERT INTO score_count VALUES (NEW.channel_id, NEW.period, NEW.topic, NEW.points, 1)"
    "  ON CONFLICT DO UPDATE SET members = members + 1;"
    " END;"
    "CREATE TRIGGER score_count_delete AFTER DELETE ON score BEGIN"
    " UPDATE score_count SET members = members - 1 WHERE channel_id = OLD.channel_id"
    "  AND period = OLD.period AND topic = OLD.topic AND points = OLD.points;"
    " DELETE FROM score_count WHERE channel_id = OLD.channel_id AND period = OLD.period"
    "  AND topic = OLD.topic AND points = OLD.points AND members <= 0;"
    " END;"

    "CREATE TABLE streak ("
    " member_id INTEGER NOT NULL REFERENCES member (id),"
    " channel_id INTEGER NOT NULL REFERENCES channel (id),"
    " current INTEGER NOT NULL,"
    " best INTEGER NOT NULL,"
    " freezes INTEGER NOT NULL,"
    " last_round_id INTEGER REFERENCES round (id),"
    " PRIMARY KEY (channel_id, member_id)) WITHOUT ROWID;"

    "CREATE TABLE remind ("
    " member_id INTEGER NOT NULL REFERENCES member (id),"
    " channel_id INTEGER NOT NULL REFERENCES channel (id),"
    " PRIMARY KEY (channel_id, member_id)) WITHOUT ROWID;"

    "CREATE TABLE card ("
    " member_id INTEGER NOT NULL REFERENCES member (id),"
    " qid TEXT NOT NULL,"
    " ef REAL NOT NULL,"
    " reps INTEGER NOT NULL,"
    " interval_days INTEGER NOT NULL,"
    " due INTEGER NOT NULL,"
    " last_q INTEGER NOT NULL,"
    " PRIMARY KEY (member_id, qid)) WITHOUT ROWID;"

    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " channel_id INTEGER REFERENCES channel (id),"
    " round_id INTEGER REFERENCES round (id),"
    " kind TEXT NOT NULL,"
    " nonce TEXT NOT NULL UNIQUE,"
    " payload TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " sent_at INTEGER,"
    " message_id TEXT);"
    "CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;"

    "CREATE TABLE once_key ("
    " channel_id INTEGER NOT NULL REFERENCES channel (id),"
    " key TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " PRIMARY KEY (channel_id, key)) WITHOUT ROWID;",
};
#define STORE_SCHEMA_VERSION ((int)(sizeof store_migrations / sizeof store_migrations[0]))

/* Column lists shared by the statements that read whole rows, so each
 * row reader has one order to follow. */
#define CHANNEL_COLS                                                                               \
	"id, ext_id, workspace, name, schedule, timezone, topics, diff_min, diff_max, "            \
	"answer_window, review_window, remind_before, answer_mode, paused, created_at"
#define ROUND_COLS                                                                                 \
	"id, channel_id, slot, qid, state, scheduled_at, deadline, review_end, reminded, "         \
	"message_id"
#define ANSWER_COLS                                                                                \
	"id, round_id, member_id, text, choice, late, edits, created_at, updated_at, label, "      \
	"kp_hits"

enum q {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_USER_VERSION,
	Q_MEMBER_FIND,
	Q_MEMBER_UPSERT,
	Q_MEMBER_GET,
	Q_MEMBER_BY_EXT,
	Q_CHANNEL_PUT,
	Q_CHANNEL_GET,
	Q_CHANNEL_BY_ID,
	Q_CHANNELS,
	Q_CHANNEL_PAUSE,
	Q_QUESTION_SYNC,
	Q_QUESTION_BANK_LIVE,
	Q_QUESTION_RETIRE,
	Q_QUESTION_ADD,
	Q_QUESTIONS_ADDED,
	Q_QUESTION_USAGE,
	Q_ROUND_CREATE,
	Q_ROUND_GET,
	Q_ROUND_BY_SLOT,
	Q_ROUND_LATEST,
	Q_ROUND_BY_MESSAGE,
	Q_ROUNDS_ACTIVE,
	Q_ROUND_UPDATE,
	Q_ANSWER_PUT,
	Q_ANSWER_GET,
	Q_ANSWER_BY_ID,
	Q_ANSWERS,
	Q_ANSWER_LABEL,
	Q_HINTS_TAKEN,
	Q_HINT_TAKE,
	Q_RATING_FIND,
	Q_RATING_PUT,
	Q_RATING_SUMMARY,
	Q_RATINGS_GIVEN,
	Q_REVIEW_ASSIGN,
	Q_LEDGER_ADD,
	Q_SCORE_ADD,
	Q_BOARD_TOP,
	Q_BOARD_ME,
	Q_BOARD_RANK,
	Q_POINTS_BY_REASON,
	Q_TOPIC_STATS,
	Q_BEST_ANSWERS,
	Q_STREAK_GET,
	Q_STREAK_PUT,
	Q_STREAKS,
	Q_REMIND_ON,
	Q_REMIND_OFF,
	Q_REMIND_MEMBERS,
	Q_CARD_GET,
	Q_CARD_PUT,
	Q_CARD_DUE,
	Q_OUTBOX_ADD,
	Q_OUTBOX_DONE,
	Q_OUTBOX_PENDING,
	Q_ONCE,
	Q_EXPORT_ANSWERS,
	Q_EXPORT_RATINGS,
	Q_EXPORT_LEDGER,
	Q_FORGET_RATINGS_GIVEN,
	Q_FORGET_ASSIGNMENTS,
	Q_FORGET_ANSWERS,
	Q_FORGET_HINTS,
	Q_FORGET_LEDGER,
	Q_FORGET_SCORES,
	Q_FORGET_STREAKS,
	Q_FORGET_REMINDERS,
	Q_FORGET_CARDS,
	Q_FORGET_NAME,
	Q__COUNT
};

static const char *const sql_text[Q__COUNT] = {
    /* IMMEDIATE takes the write lock up front: a deferred transaction that
     * reads first and writes later can fail with SQLITE_BUSY half-way, when
     * the busy handler can no longer help. */
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_USER_VERSION] = "PRAGMA user_version",

    [Q_MEMBER_FIND] = "SELECT id, name FROM member WHERE ext_id = ?1",
    [Q_MEMBER_UPSERT] = "INSERT INTO member (ext_id, name) VALUES (?1, coalesce(?2, '')) "
                        "ON CONFLICT (ext_id) DO UPDATE SET name = coalesce(?2, name) "
                        "RETURNING id",
    [Q_MEMBER_GET] = "SELECT id, ext_id, name FROM member WHERE id = ?1",
    [Q_MEMBER_BY_EXT] = "SELECT id, ext_id, name FROM member WHERE ext_id = ?1",

    [Q_CHANNEL_PUT] =
        "INSERT INTO channel (ext_id, workspace, name, schedule, timezone, topics, diff_min, "
        "diff_max, answer_window, review_window, remind_before, answer_mode, paused, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
        "ON CONFLICT (ext_id) DO UPDATE SET workspace = excluded.workspace, "
        "name = excluded.name, schedule = excluded.schedule, timezone = excluded.timezone, "
        "topics = excluded.topics, diff_min = excluded.diff_min, diff_max = excluded.diff_max, "
        "answer_window = excluded.answer_window, review_window = excluded.review_window, "
        "remind_before = excluded.remind_before, answer_mode = excluded.answer_mode "
        "RETURNING id, paused, created_at",
    [Q_CHANNEL_GET] = "SELECT " CHANNEL_COLS " FROM channel WHERE ext_id = ?1",
    [Q_CHANNEL_BY_ID] = "SELECT " CHANNEL_COLS " FROM channel WHERE id = ?1",
    [Q_CHANNELS] = "SELECT " CHANNEL_COLS " FROM channel ORDER BY id",
    [Q_CHANNEL_PAUSE] = "UPDATE channel SET paused = ?2 WHERE id = ?1",

    /* The WHERE leaves unchanged rows unwritten, so a restart with the same
     * bank writes nothing; an added question that took the id first keeps
     * it (origin = 'added' never matches). */
    [Q_QUESTION_SYNC] =
        "INSERT INTO question (qid, origin, workspace, topic, difficulty, hash, retired, "
        "correct, created_at) VALUES (?1, 'bank', '', ?2, ?3, ?4, 0, -1, ?5) "
        "ON CONFLICT (qid) DO UPDATE SET topic = excluded.topic, "
        "difficulty = excluded.difficulty, hash = excluded.hash, retired = 0 "
        "WHERE origin = 'bank' AND (topic IS NOT excluded.topic OR "
        "difficulty IS NOT excluded.difficulty OR hash IS NOT excluded.hash OR retired <> 0)",
    [Q_QUESTION_BANK_LIVE] = "SELECT qid FROM question WHERE origin = 'bank' AND retired = 0",
    [Q_QUESTION_RETIRE] = "UPDATE question SET retired = 1 WHERE qid = ?1 AND origin = 'bank'",
    [Q_QUESTION_ADD] =
        "INSERT INTO question (qid, origin, workspace, topic, difficulty, hash, retired, prompt, "
        "body, answer, hints, key_points, choices, correct, added_by, created_at) "
        "VALUES (?1, 'added', ?2, ?3, ?4, '', 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [Q_QUESTIONS_ADDED] =
        "SELECT qid, workspace, topic, difficulty, prompt, body, answer, hints, key_points, "
        "choices, correct, coalesce(added_by, 0), created_at FROM question "
        "WHERE origin = 'added' AND (?1 IS NULL OR workspace = ?1) ORDER BY id",
    [Q_QUESTION_USAGE] = "SELECT qid, max(scheduled_at) FROM round "
                         "WHERE channel_id = ?1 AND state <> 4 GROUP BY qid ORDER BY qid",

    [Q_ROUND_CREATE] = "INSERT INTO round (channel_id, slot, qid, state, scheduled_at, deadline, "
                       "review_end, reminded, message_id) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_ROUND_GET] = "SELECT " ROUND_COLS " FROM round WHERE id = ?1",
    [Q_ROUND_BY_SLOT] = "SELECT " ROUND_COLS " FROM round WHERE channel_id = ?1 AND slot = ?2",
    [Q_ROUND_LATEST] = "SELECT " ROUND_COLS " FROM round WHERE channel_id = ?1 "
                       "ORDER BY scheduled_at DESC, id DESC LIMIT 1",
    /* The repeated condition lets the planner use the partial index. */
    [Q_ROUND_BY_MESSAGE] = "SELECT " ROUND_COLS " FROM round "
                           "WHERE message_id = ?1 AND message_id <> '' ORDER BY id DESC LIMIT 1",
    [Q_ROUNDS_ACTIVE] = "SELECT " ROUND_COLS " FROM round WHERE state IN (1, 2) ORDER BY id",
    [Q_ROUND_UPDATE] = "UPDATE round SET state = ?2, reminded = ?3, deadline = ?4, "
                       "review_end = ?5, message_id = ?6 WHERE id = ?1",

    /* One statement, so a single answer is atomic without a transaction;
     * edits = 0 in what comes back means the row is new. */
    [Q_ANSWER_PUT] =
        "INSERT INTO answer (round_id, member_id, text, choice, late, edits, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7) "
        "ON CONFLICT (round_id, member_id) DO UPDATE SET text = excluded.text, "
        "choice = excluded.choice, late = excluded.late, updated_at = excluded.updated_at, "
        "edits = edits + 1 RETURNING id, edits, created_at",
    [Q_ANSWER_GET] = "SELECT " ANSWER_COLS " FROM answer WHERE round_id = ?1 AND member_id = ?2",
    [Q_ANSWER_BY_ID] = "SELECT " ANSWER_COLS " FROM answer WHERE id = ?1",
    /* Row ids only grow (a reused id is still above every live one), so id
     * order is the order the answers were first given. */
    [Q_ANSWERS] = "SELECT " ANSWER_COLS " FROM answer WHERE round_id = ?1 ORDER BY id",
    [Q_ANSWER_LABEL] = "UPDATE answer SET label = ?2, kp_hits = ?3 WHERE id = ?1",

    [Q_HINTS_TAKEN] = "SELECT coalesce(max(n), 0) FROM hint WHERE round_id = ?1 AND member_id = ?2",
    [Q_HINT_TAKE] = "INSERT INTO hint (round_id, member_id, n, at) VALUES (?1, ?2, ?3, ?4)",

    [Q_RATING_FIND] = "SELECT 1 FROM rating WHERE answer_id = ?1 AND rater_id = ?2",
    [Q_RATING_PUT] = "INSERT INTO rating (answer_id, rater_id, stars, at) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT (answer_id, rater_id) DO UPDATE SET stars = excluded.stars, "
                     "at = excluded.at",
    [Q_RATING_SUMMARY] =
        "SELECT a.id, a.member_id, "
        "(SELECT count(*) FROM rating t WHERE t.answer_id = a.id), "
        "(SELECT count(*) FROM review_assignment v WHERE v.answer_id = a.id), "
        "(SELECT coalesce(avg(t.stars), 0) FROM rating t WHERE t.answer_id = a.id) "
        "FROM answer a WHERE a.round_id = ?1 ORDER BY a.id",
    [Q_RATINGS_GIVEN] = "SELECT count(*) FROM rating t JOIN answer a ON a.id = t.answer_id "
                        "WHERE a.round_id = ?1 AND t.rater_id = ?2",
    [Q_REVIEW_ASSIGN] = "INSERT INTO review_assignment (round_id, member_id, answer_id, at) "
                        "VALUES (?1, ?2, ?3, ?4)",

    [Q_LEDGER_ADD] = "INSERT INTO ledger (member_id, channel_id, round_id, points, reason, topic, "
                     "at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* A zero entry leaves reached_at alone: the member did not reach a new
     * total, so they keep their place among equals. */
    [Q_SCORE_ADD] =
        "INSERT INTO score (channel_id, period, topic, member_id, points, reached_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (channel_id, period, topic, member_id) DO UPDATE SET "
        "points = points + excluded.points, "
        "reached_at = CASE WHEN excluded.points <> 0 THEN excluded.reached_at ELSE reached_at END",
    /* CROSS JOIN pins score as the outer loop, so rows come out of
     * score_board already in order and the scan stops after ?4 rows. */
    [Q_BOARD_TOP] = "SELECT s.member_id, m.name, s.points, s.reached_at "
                    "FROM score AS s CROSS JOIN member AS m ON m.id = s.member_id "
                    "WHERE s.channel_id = ?1 AND s.period = ?2 AND s.topic = ?3 "
                    "ORDER BY s.points DESC, s.reached_at, s.member_id LIMIT ?4",
    [Q_BOARD_ME] = "SELECT m.name, s.points, s.reached_at FROM member AS m "
                   "LEFT JOIN score AS s ON s.channel_id = ?1 AND s.period = ?2 AND "
                   "s.topic = ?3 AND s.member_id = m.id WHERE m.id = ?4",
    /* Members ahead of the caller: all who hold a larger total (summed
     * from score_count), plus those with the same total who reached it
     * first (one short range of score_board). */
    [Q_BOARD_RANK] =
        "SELECT (SELECT coalesce(sum(members), 0) FROM score_count WHERE channel_id = ?1 "
        "AND period = ?2 AND topic = ?3 AND points > ?4) + "
        "(SELECT count(*) FROM score WHERE channel_id = ?1 AND period = ?2 AND topic = ?3 "
        "AND points = ?4 AND (reached_at, member_id) < (?5, ?6))",
    [Q_POINTS_BY_REASON] = "SELECT reason, sum(points), count(*) FROM ledger "
                           "WHERE member_id = ?2 AND channel_id = ?1 GROUP BY reason "
                           "ORDER BY sum(points) DESC, reason LIMIT ?3",
    [Q_TOPIC_STATS] =
        "SELECT topic, count(*), count(av), coalesce(avg(av), 0) FROM ("
        "SELECT q.topic AS topic, "
        "(SELECT avg(t.stars) FROM rating t WHERE t.answer_id = a.id) AS av "
        "FROM answer a JOIN round r ON r.id = a.round_id JOIN question q ON q.qid = r.qid "
        "WHERE a.member_id = ?2 AND r.channel_id = ?1 AND a.late = 0"
        ") GROUP BY topic ORDER BY topic",
    [Q_BEST_ANSWERS] =
        "SELECT a.id, a.round_id, a.member_id, r.qid, m.name, avg(t.stars) AS av, count(*) AS n "
        "FROM round r JOIN answer a ON a.round_id = r.id "
        "JOIN rating t ON t.answer_id = a.id JOIN member m ON m.id = a.member_id "
        "WHERE r.channel_id = ?1 AND r.scheduled_at >= ?2 AND r.scheduled_at < ?3 "
        "GROUP BY a.id ORDER BY av DESC, n DESC, a.id LIMIT ?4",

    [Q_STREAK_GET] = "SELECT current, best, freezes, coalesce(last_round_id, 0) FROM streak "
                     "WHERE channel_id = ?2 AND member_id = ?1",
    [Q_STREAK_PUT] =
        "INSERT INTO streak (member_id, channel_id, current, best, freezes, last_round_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (channel_id, member_id) DO UPDATE SET "
        "current = excluded.current, best = excluded.best, freezes = excluded.freezes, "
        "last_round_id = excluded.last_round_id",
    [Q_STREAKS] = "SELECT member_id, channel_id, current, best, freezes, "
                  "coalesce(last_round_id, 0) FROM streak WHERE channel_id = ?1 "
                  "ORDER BY current DESC, best DESC, member_id",

    [Q_REMIND_ON] = "INSERT INTO remind (member_id, channel_id) VALUES (?1, ?2) "
                    "ON CONFLICT DO NOTHING",
    [Q_REMIND_OFF] = "DELETE FROM remind WHERE member_id = ?1 AND channel_id = ?2",
    [Q_REMIND_MEMBERS] = "SELECT member_id FROM remind WHERE channel_id = ?1 ORDER BY member_id",

    [Q_CARD_GET] = "SELECT ef, reps, interval_days, due, last_q FROM card "
                   "WHERE member_id = ?1 AND qid = ?2",
    [Q_CARD_PUT] =
        "INSERT INTO card (member_id, qid, ef, reps, interval_days, due, last_q) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (member_id, qid) DO UPDATE SET "
        "ef = excluded.ef, reps = excluded.reps, interval_days = excluded.interval_days, "
        "due = excluded.due, last_q = excluded.last_q",
    [Q_CARD_DUE] = "SELECT qid, ef, reps, interval_days, due, last_q FROM card "
                   "WHERE member_id = ?1 AND due <= ?2 ORDER BY ef, due, qid LIMIT 1",

    [Q_OUTBOX_ADD] = "INSERT INTO outbox (channel_id, round_id, kind, nonce, payload, created_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_OUTBOX_DONE] = "UPDATE outbox SET sent_at = ?2, message_id = ?3 WHERE id = ?1",
    [Q_OUTBOX_PENDING] = "SELECT id, coalesce(channel_id, 0), coalesce(round_id, 0), kind, "
                         "nonce, payload, created_at FROM outbox WHERE sent_at IS NULL "
                         "ORDER BY id",

    [Q_ONCE] = "INSERT INTO once_key (channel_id, key, at) VALUES (?1, ?2, ?3) "
               "ON CONFLICT DO NOTHING",

    [Q_EXPORT_ANSWERS] =
        "SELECT r.slot, r.qid, m.ext_id, m.name, "
        "CASE WHEN a.text IS NULL THEN 'choice ' || (a.choice + 1) ELSE a.text END, "
        "a.late, a.edits, strftime('%Y-%m-%dT%H:%M:%SZ', a.updated_at, 'unixepoch'), "
        "coalesce((SELECT printf('%.2f', avg(t.stars)) FROM rating t "
        "WHERE t.answer_id = a.id HAVING count(*) > 0), ''), "
        "(SELECT count(*) FROM rating t WHERE t.answer_id = a.id) "
        "FROM round r JOIN answer a ON a.round_id = r.id JOIN member m ON m.id = a.member_id "
        "WHERE r.channel_id = ?1 ORDER BY r.scheduled_at, r.id, a.id",
    [Q_EXPORT_RATINGS] =
        "SELECT r.slot, r.qid, a.label, au.ext_id, ra.ext_id, t.stars, "
        "strftime('%Y-%m-%dT%H:%M:%SZ', t.at, 'unixepoch') "
        "FROM round r JOIN answer a ON a.round_id = r.id JOIN rating t ON t.answer_id = a.id "
        "JOIN member au ON au.id = a.member_id JOIN member ra ON ra.id = t.rater_id "
        "WHERE r.channel_id = ?1 ORDER BY r.scheduled_at, r.id, a.id, t.at, t.rater_id",
    [Q_EXPORT_LEDGER] =
        "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', l.at, 'unixepoch'), m.ext_id, m.name, l.points, "
        "l.reason, l.topic, "
        "coalesce(r.slot, '') FROM ledger l JOIN member m ON m.id = l.member_id "
        "LEFT JOIN round r ON r.id = l.round_id WHERE l.channel_id = ?1 ORDER BY l.id",

    [Q_FORGET_RATINGS_GIVEN] = "DELETE FROM rating WHERE rater_id = ?1",
    [Q_FORGET_ASSIGNMENTS] = "DELETE FROM review_assignment WHERE member_id = ?1",
    /* Ratings and assignments on these answers go with them (ON DELETE
     * CASCADE). */
    [Q_FORGET_ANSWERS] = "DELETE FROM answer WHERE member_id = ?1",
    [Q_FORGET_HINTS] = "DELETE FROM hint WHERE member_id = ?1",
    [Q_FORGET_LEDGER] = "DELETE FROM ledger WHERE member_id = ?1",
    [Q_FORGET_SCORES] = "DELETE FROM score WHERE member_id = ?1",
    [Q_FORGET_STREAKS] = "DELETE FROM streak WHERE member_id = ?1",
    [Q_FORGET_REMINDERS] = "DELETE FROM remind WHERE member_id = ?1",
    [Q_FORGET_CARDS] = "DELETE FROM card WHERE member_id = ?1",
    /* The row stays: questions and other members' rows keep pointing at it. */
    [Q_FORGET_NAME] = "UPDATE member SET name = '' WHERE id = ?1",
};

/* Savepoint names cannot be bound, so each nesting level has its own
 * statements, prepared the first time that depth is reached. */
struct savepoint {
	sqlite3_stmt *save, *release, *undo;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[Q__COUNT];
	struct savepoint *sp; /* sp[i] serves depth i + 1 */
	size_t nsp;
	int depth; /* open levels: 0 = none, 1 = BEGIN, 2.. = savepoints */
	char err[512];
};

/* --- errors and statement plumbing --------------------------------------- */

static void seterr(struct store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))); /* gcc/clang: checks the format */

static void seterr(struct store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
}

/* Records SQLite's last error under ctx and maps it onto store.h's codes:
 * a broken rule is the caller's input (INVALID), a dangling reference is a
 * row that does not exist (NOTFOUND), anything else the database's. */
static enum sb_rc fail(struct store *s, const char *ctx)
{
	int code = sqlite3_extended_errcode(s->db);
	seterr(s, "%s: %s", ctx, sqlite3_errmsg(s->db));
	switch (code) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return SB_ERR_INVALID;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return SB_ERR_NOTFOUND;
	default:
		return SB_ERR_IO;
	}
}

static enum sb_rc notfound(struct store *s, const char *ctx)
{
	seterr(s, "%s: not found", ctx);
	return SB_ERR_NOTFOUND;
}

static sqlite3_stmt *prepare(struct store *s, const char *sql, const char *ctx)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		fail(s, ctx);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* The cached statement q, ready for bindings; NULL (error recorded) if it
 * cannot be prepared. */
static sqlite3_stmt *stmt(struct store *s, enum q q, const char *ctx)
{
	if (!s->st[q])
		s->st[q] = prepare(s, sql_text[q], ctx);
	return s->st[q];
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Bindings below are SQLITE_STATIC: the strings are the caller's, borrowed
 * for the call, and done() drops them before the call returns. Their
 * results are OR-ed by callers: any non-zero means a binding failed. */
static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, v);
}

/* 0 stands for "none" in store.h's structs; the database says NULL, which
 * is what lets a foreign key column be empty. */
static int bind_id_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

static enum sb_rc failed(struct store *s, sqlite3_stmt *st, const char *ctx)
{
	enum sb_rc rc = fail(s, ctx);
	done(st);
	return rc;
}

/* Steps st to its end, ignoring rows (RETURNING ones included: a write
 * is only committed, and its errors only known, once st is done). */
static enum sb_rc finish(struct store *s, sqlite3_stmt *st, const char *ctx)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	enum sb_rc r = rc == SQLITE_DONE ? SB_OK : fail(s, ctx);
	done(st);
	return r;
}

/* Steps to the first row: SB_OK with a row to read, SB_ERR_NOTFOUND when
 * there is none (st is then already reset), another error otherwise. */
static enum sb_rc first_row(struct store *s, sqlite3_stmt *st, const char *ctx)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return SB_OK;
	enum sb_rc r = rc == SQLITE_DONE ? notfound(s, ctx) : fail(s, ctx);
	done(st);
	return r;
}

/* first_row() for statements that always return a row (RETURNING, count):
 * none at all is the database's failure, not a missing row. */
static enum sb_rc must_row(struct store *s, sqlite3_stmt *st, const char *ctx)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return SB_OK;
	enum sb_rc r = SB_ERR_IO;
	if (rc == SQLITE_DONE)
		seterr(s, "%s: the database returned no row", ctx);
	else
		r = fail(s, ctx);
	done(st);
	return r;
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(dst, dstsz, "%s", t ? (const char *)t : "");
}

/* Returns new; "" for NULL, so readers never meet a NULL string. */
static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 8;
	return xrealloc(p, *cap * size);
}

/* Steps st to its end, one row of `size` bytes (zeroed, then fill()ed) per
 * result row, into a new array (*rows, *n; NULL and 0 when empty). On
 * failure the rows so far go to drop (NULL: free) and *rows stays NULL. */
static enum sb_rc collect(struct store *s, sqlite3_stmt *st, const char *ctx, size_t size,
                          enum sb_rc (*fill)(struct store *, sqlite3_stmt *, void *, const char *),
                          void (*drop)(void *, size_t), void **rows, size_t *n)
{
	char *v = NULL;
	size_t cnt = 0, cap = 0;
	enum sb_rc rc = SB_OK;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		v = grow(v, &cap, cnt, size);
		memset(v + cnt * size, 0, size);
		rc = fill(s, st, v + cnt * size, ctx);
		if (rc)
			break;
		cnt++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = fail(s, ctx);
	done(st);
	if (rc) {
		if (drop)
			drop(v, cnt);
		else
			free(v);
		return rc;
	}
	*rows = v;
	*n = cnt;
	return SB_OK;
}

/* The typed free functions, in the shape collect() calls. */
static void drop_questions(void *v, size_t n)
{
	store_questions_free(v, n);
}

static void drop_answers(void *v, size_t n)
{
	store_answers_free(v, n);
}

static void drop_outbox(void *v, size_t n)
{
	store_outbox_free(v, n);
}

/* --- open, close, transactions --------------------------------------------- */

const char *store_errmsg(const struct store *s)
{
	return s ? s->err : "no store";
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *st = stmt(s, Q_USER_VERSION, "store_schema_version");
	if (!st || first_row(s, st, "store_schema_version") != SB_OK)
		return -1;
	int v = sqlite3_column_int(st, 0);
	done(st);
	return v;
}

static enum sb_rc exec_fixed(struct store *s, const char *sql, const char *ctx)
{
	/* Only fixed text of this file goes through here, never member text. */
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, ctx);
	return SB_OK;
}

/* The schema version, refusing one this build does not know: its tables
 * may mean something else now, and writing to them could lose data. */
static enum sb_rc known_version(struct store *s, int *version)
{
	int v = store_schema_version(s);
	if (v < 0)
		return SB_ERR_IO;
	if (v > STORE_SCHEMA_VERSION) {
		seterr(s,
		       "the database is at schema version %d, newer than this studybot knows "
		       "(%d): run a newer studybot, or restore a backup made for this one",
		       v, STORE_SCHEMA_VERSION);
		return SB_ERR_INVALID;
	}
	*version = v;
	return SB_OK;
}

/* Brings the schema to STORE_SCHEMA_VERSION, one transaction per step, so
 * a crash leaves the database at some whole version. */
static enum sb_rc migrate(struct store *s)
{
	for (;;) {
		int v;
		enum sb_rc rc = known_version(s, &v);
		if (rc)
			return rc;
		if (v == STORE_SCHEMA_VERSION)
			return SB_OK;
		rc = exec_fixed(s, "BEGIN IMMEDIATE", "migrate");
		if (rc)
			return rc;
		/* Another process may have migrated while we waited for the lock. */
		if (store_schema_version(s) == v) {
			char ctx[64], set[64];
			snprintf(ctx, sizeof ctx, "migrating to schema version %d", v + 1);
			snprintf(set, sizeof set, "PRAGMA user_version = %d", v + 1);
			rc = exec_fixed(s, store_migrations[v], ctx);
			if (!rc)
				rc = exec_fixed(s, set, ctx);
		}
		if (!rc)
			rc = exec_fixed(s, "COMMIT", "migrate");
		if (rc) {
			if (!sqlite3_get_autocommit(s->db))
				sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
}

static enum sb_rc configure(struct store *s, bool in_memory)
{
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	/* Refuses writes to the schema tables and the like, which no code here
	 * needs and a stray statement could use to corrupt the file. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	enum sb_rc rc = exec_fixed(s, "PRAGMA foreign_keys = ON", "store_open");
	if (rc)
		return rc;
	/* Before anything below changes the file (the journal mode sticks). */
	int version;
	rc = known_version(s, &version);
	if (rc)
		return rc;
	if (!in_memory) {
		/* WAL: readers never block the writer, and a commit is one append
		 * plus one sync. */
		sqlite3_stmt *st = prepare(s, "PRAGMA journal_mode = WAL", "store_open");
		if (!st)
			return SB_ERR_IO;
		rc = first_row(s, st, "store_open: journal_mode");
		if (!rc) {
			const unsigned char *mode = sqlite3_column_text(st, 0);
			if (!mode || strcmp((const char *)mode, "wal") != 0) {
				seterr(s,
				       "store_open: the database would not switch to WAL (mode %s)",
				       mode ? (const char *)mode : "unknown");
				rc = SB_ERR_IO;
			}
		}
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	/* A cap, not an allocation (pages are cached as they are read): the
	 * default 2 MiB cannot hold a large channel's leaderboard indexes, and
	 * a big batch spills dirty pages to the WAL over and over. */
	rc = exec_fixed(s, "PRAGMA cache_size = -65536", "store_open");
	if (rc)
		return rc;
	/* Every write inside a savepoint (each event of a batch, each write
	 * that is atomic on its own inside a caller's transaction) first saves
	 * the pages it changes to a statement journal; kept on disk that is a
	 * write call per page, for data that is thrown away at the release. */
	rc = exec_fixed(s, "PRAGMA temp_store = MEMORY", "store_open");
	if (rc)
		return rc;
	/* FULL syncs the WAL on every commit: what a member has been told is
	 * recorded survives a power cut, not only a crash. */
	return exec_fixed(s, "PRAGMA synchronous = FULL", "store_open");
}

enum sb_rc store_open(const char *url, struct store **out, char *err, size_t errsz)
{
	*out = NULL;
	if (!url || !*url) {
		snprintf(err, errsz, "no database given (a file path, or :memory:)");
		return SB_ERR_INVALID;
	}
	if (strstr(url, "://")) {
		snprintf(err, errsz,
		         "%s: this build stores in SQLite only (give a file path, or :memory:)",
		         url);
		return SB_ERR_INVALID;
	}
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(url, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", url, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return SB_ERR_IO;
	}
	struct store *s = xcalloc(1, sizeof *s);
	s->db = db;
	enum sb_rc r = configure(s, strcmp(url, ":memory:") == 0);
	if (!r)
		r = migrate(s);
	if (r) {
		snprintf(err, errsz, "%s: %s", url, s->err);
		store_close(s);
		return r;
	}
	*out = s;
	return SB_OK;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (size_t i = 0; i < s->nsp; i++) {
		sqlite3_finalize(s->sp[i].save);
		sqlite3_finalize(s->sp[i].release);
		sqlite3_finalize(s->sp[i].undo);
	}
	free(s->sp);
	/* An open transaction is rolled back here, as after a crash. */
	sqlite3_close(s->db);
	free(s);
}

/* The statements of nesting level depth (>= 2), prepared on first use. */
static struct savepoint *savepoint(struct store *s, int depth)
{
	size_t i = (size_t)depth - 2;
	if (i >= s->nsp) {
		s->sp = xrealloc(s->sp, (i + 1) * sizeof *s->sp);
		memset(s->sp + s->nsp, 0, (i + 1 - s->nsp) * sizeof *s->sp);
		s->nsp = i + 1;
	}
	struct savepoint *p = &s->sp[i];
	if (!p->save) {
		char sql[64];
		snprintf(sql, sizeof sql, "SAVEPOINT s%d", depth - 1);
		p->save = prepare(s, sql, "store_begin");
		snprintf(sql, sizeof sql, "RELEASE s%d", depth - 1);
		p->release = prepare(s, sql, "store_begin");
		snprintf(sql, sizeof sql, "ROLLBACK TO s%d", depth - 1);
		p->undo = prepare(s, sql, "store_begin");
		if (!p->save || !p->release || !p->undo) {
			sqlite3_finalize(p->save);
			sqlite3_finalize(p->release);
			sqlite3_finalize(p->undo);
			memset(p, 0, sizeof *p);
			return NULL;
		}
	}
	return p;
}

/* SQLite ends the whole transaction by itself after some errors (a full
 * disk, I/O); the levels this handle counts are then gone. */
static bool tx_lost(struct store *s)
{
	return s->depth > 0 && sqlite3_get_autocommit(s->db);
}

enum sb_rc store_begin(struct store *s)
{
	if (tx_lost(s)) {
		seterr(s, "store_begin: the enclosing transaction was rolled back by the database");
		return SB_ERR_IO;
	}
	sqlite3_stmt *st;
	if (s->depth == 0) {
		st = stmt(s, Q_BEGIN, "store_begin");
	} else {
		struct savepoint *p = savepoint(s, s->depth + 1);
		st = p ? p->save : NULL;
	}
	if (!st)
		return SB_ERR_IO;
	enum sb_rc rc = finish(s, st, "store_begin");
	if (!rc)
		s->depth++;
	return rc;
}

/* A failed commit undoes its level, so the caller never has to roll back
 * after it (and must not: that would undo the level around it). */
enum sb_rc store_commit(struct store *s)
{
	if (s->depth == 0) {
		seterr(s, "store_commit: no transaction is open");
		return SB_ERR_USAGE;
	}
	if (tx_lost(s)) {
		s->depth--;
		seterr(s, "store_commit: the transaction was rolled back by the database");
		return SB_ERR_IO;
	}
	enum sb_rc rc;
	if (s->depth == 1) {
		sqlite3_stmt *st = stmt(s, Q_COMMIT, "store_commit");
		rc = st ? finish(s, st, "store_commit") : SB_ERR_IO;
		if (rc && !sqlite3_get_autocommit(s->db)) {
			sqlite3_stmt *rb = stmt(s, Q_ROLLBACK, "store_commit");
			if (rb) {
				sqlite3_step(rb);
				done(rb);
			}
		}
	} else {
		struct savepoint *p = &s->sp[s->depth - 2];
		rc = finish(s, p->release, "store_commit");
		if (rc) {
			sqlite3_step(p->undo);
			done(p->undo);
			sqlite3_step(p->release);
			done(p->release);
		}
	}
	s->depth--;
	return rc;
}

void store_rollback(struct store *s)
{
	if (s->depth == 0)
		return;
	if (tx_lost(s)) {
		s->depth--;
		return;
	}
	/* The error that led here stays in s->err: it is what the log needs. */
	if (s->depth == 1) {
		sqlite3_stmt *st = s->st[Q_ROLLBACK];
		if (!st) {
			char keep[sizeof s->err];
			memcpy(keep, s->err, sizeof keep);
			st = stmt(s, Q_ROLLBACK, "store_rollback");
			memcpy(s->err, keep, sizeof keep);
		}
		if (st) {
			sqlite3_step(st);
			done(st);
		} else {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		}
	} else {
		/* ROLLBACK TO keeps the savepoint open; RELEASE ends it. */
		struct savepoint *p = &s->sp[s->depth - 2];
		sqlite3_step(p->undo);
		done(p->undo);
		sqlite3_step(p->release);
		done(p->release);
	}
	s->depth--;
}

/* Ends an internal transaction opened by store_begin(): commits on SB_OK,
 * rolls back otherwise; returns the first error. */
static enum sb_rc tx_end(struct store *s, enum sb_rc rc)
{
	if (rc) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

/* --- members --------------------------------------------------------------- */

enum sb_rc store_member(struct store *s, const char *ext_id, const char *name, int64_t *id)
{
	static const char ctx[] = "store_member";
	if (!ext_id || !*ext_id) {
		seterr(s, "%s: empty platform id", ctx);
		return SB_ERR_INVALID;
	}
	/* Most calls find the member unchanged: a read, and no write. */
	sqlite3_stmt *st = stmt(s, Q_MEMBER_FIND, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_text(st, 1, ext_id))
		return failed(s, st, ctx);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *old = sqlite3_column_text(st, 1);
		if (!name || (old && strcmp((const char *)old, name) == 0)) {
			*id = sqlite3_column_int64(st, 0);
			done(st);
			return SB_OK;
		}
	} else if (rc != SQLITE_DONE) {
		return failed(s, st, ctx);
	}
	done(st);

	st = stmt(s, Q_MEMBER_UPSERT, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_text(st, 1, ext_id) | bind_text(st, 2, name))
		return failed(s, st, ctx);
	enum sb_rc r = must_row(s, st, ctx);
	if (r)
		return r;
	*id = sqlite3_column_int64(st, 0);
	return finish(s, st, ctx);
}

static enum sb_rc read_member(struct store *s, sqlite3_stmt *st, struct st_member *out,
                              const char *ctx)
{
	memset(out, 0, sizeof *out);
	enum sb_rc rc = first_row(s, st, ctx);
	if (rc)
		return rc;
	out->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, out->ext_id, sizeof out->ext_id);
	col_copy(st, 2, out->name, sizeof out->name);
	done(st);
	return SB_OK;
}

enum sb_rc store_member_get(struct store *s, int64_t id, struct st_member *out)
{
	sqlite3_stmt *st = stmt(s, Q_MEMBER_GET, "store_member_get");
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, id))
		return failed(s, st, "store_member_get");
	return read_member(s, st, out, "store_member_get");
}

enum sb_rc store_member_by_ext(struct store *s, const char *ext_id, struct st_member *out)
{
	sqlite3_stmt *st = stmt(s, Q_MEMBER_BY_EXT, "store_member_by_ext");
	if (!st)
		return SB_ERR_IO;
	if (bind_text(st, 1, ext_id))
		return failed(s, st, "store_member_by_ext");
	return read_member(s, st, out, "store_member_by_ext");
}

/* --- channels -------------------------------------------------------------- */

static enum sb_rc read_channel(struct store *s, sqlite3_stmt *st, struct st_channel *c,
                               const char *ctx)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, c->ext_id, sizeof c->ext_id);
	col_copy(st, 2, c->workspace, sizeof c->workspace);
	col_copy(st, 3, c->name, sizeof c->name);
	char sched[128], why[128];
	col_copy(st, 4, sched, sizeof sched);
	if (!sched_parse(sched, &c->schedule, why, sizeof why)) {
		seterr(s, "%s: channel %s has a bad stored schedule '%s': %s", ctx, c->ext_id,
		       sched, why);
		return SB_ERR_IO;
	}
	col_copy(st, 5, c->timezone, sizeof c->timezone);
	col_copy(st, 6, c->topics, sizeof c->topics);
	c->diff_min = sqlite3_column_int(st, 7);
	c->diff_max = sqlite3_column_int(st, 8);
	c->answer_window = (long)sqlite3_column_int64(st, 9);
	c->review_window = (long)sqlite3_column_int64(st, 10);
	c->remind_before = (long)sqlite3_column_int64(st, 11);
	c->answer_mode = sqlite3_column_int(st, 12);
	c->paused = sqlite3_column_int(st, 13) != 0;
	c->created_at = sqlite3_column_int64(st, 14);
	return SB_OK;
}

enum sb_rc store_channel_put(struct store *s, struct st_channel *c)
{
	static const char ctx[] = "store_channel_put";
	sqlite3_stmt *st = stmt(s, Q_CHANNEL_PUT, ctx);
	if (!st)
		return SB_ERR_IO;
	char sched[128];
	sched_format(&c->schedule, sched, sizeof sched);
	if (bind_text(st, 1, c->ext_id) | bind_text(st, 2, c->workspace) |
	    bind_text(st, 3, c->name) | bind_text(st, 4, sched) | bind_text(st, 5, c->timezone) |
	    bind_text(st, 6, c->topics) | sqlite3_bind_int(st, 7, c->diff_min) |
	    sqlite3_bind_int(st, 8, c->diff_max) | bind_i64(st, 9, c->answer_window) |
	    bind_i64(st, 10, c->review_window) | bind_i64(st, 11, c->remind_before) |
	    sqlite3_bind_int(st, 12, c->answer_mode) | sqlite3_bind_int(st, 13, c->paused) |
	    bind_i64(st, 14, c->created_at))
		return failed(s, st, ctx);
	enum sb_rc rc = must_row(s, st, ctx);
	if (rc)
		return rc;
	/* Hand back what is stored: an existing channel keeps its pause and
	 * its first creation time. */
	c->id = sqlite3_column_int64(st, 0);
	c->paused = sqlite3_column_int(st, 1) != 0;
	c->created_at = sqlite3_column_int64(st, 2);
	return finish(s, st, ctx);
}

static enum sb_rc channel_one(struct store *s, sqlite3_stmt *st, struct st_channel *out,
                              const char *ctx)
{
	enum sb_rc rc = first_row(s, st, ctx);
	if (rc) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	rc = read_channel(s, st, out, ctx);
	done(st);
	return rc;
}

enum sb_rc store_channel_get(struct store *s, const char *ext_id, struct st_channel *out)
{
	static const char ctx[] = "store_channel_get";
	sqlite3_stmt *st = stmt(s, Q_CHANNEL_GET, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_text(st, 1, ext_id))
		return failed(s, st, ctx);
	return channel_one(s, st, out, ctx);
}

enum sb_rc store_channel_by_id(struct store *s, int64_t id, struct st_channel *out)
{
	static const char ctx[] = "store_channel_by_id";
	sqlite3_stmt *st = stmt(s, Q_CHANNEL_BY_ID, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, id))
		return failed(s, st, ctx);
	return channel_one(s, st, out, ctx);
}

static enum sb_rc row_channels(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	return read_channel(s, st, row, ctx);
}

enum sb_rc store_channels(struct store *s, struct st_channel **out, size_t *n)
{
	static const char ctx[] = "store_channels";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_CHANNELS, ctx);
	if (!st)
		return SB_ERR_IO;
	void *rows = NULL;
	enum sb_rc rc = collect(s, st, ctx, sizeof **out, row_channels, NULL, &rows, n);
	*out = rows;
	return rc;
}

enum sb_rc store_channel_set_paused(struct store *s, int64_t id, bool paused)
{
	static const char ctx[] = "store_channel_set_paused";
	sqlite3_stmt *st = stmt(s, Q_CHANNEL_PAUSE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, id) | sqlite3_bind_int(st, 2, paused))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = notfound(s, ctx);
	return rc;
}

/* --- questions ------------------------------------------------------------- */

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Marks retired every live bank question whose id b no longer has. The ids
 * are collected first: changing rows under a running SELECT of the same
 * table is something SQLite allows but does not define the order of. */
static enum sb_rc retire_missing(struct store *s, const struct bank *b)
{
	static const char ctx[] = "store_questions_sync";
	const char **ids = xcalloc(b->nq, sizeof *ids);
	for (size_t i = 0; i < b->nq; i++)
		ids[i] = b->q[i].id;
	if (b->nq > 1)
		qsort(ids, b->nq, sizeof *ids, cmp_str_ptr);

	char **gone = NULL;
	size_t ngone = 0, cap = 0;
	enum sb_rc rc = SB_OK;
	sqlite3_stmt *st = stmt(s, Q_QUESTION_BANK_LIVE, ctx);
	if (!st) {
		rc = SB_ERR_IO;
	} else {
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			const char *qid = (const char *)sqlite3_column_text(st, 0);
			if (!qid || (b->nq && bsearch(&qid, ids, b->nq, sizeof *ids, cmp_str_ptr)))
				continue;
			gone = grow(gone, &cap, ngone, sizeof *gone);
			gone[ngone++] = xstrdup(qid);
		}
		if (step != SQLITE_DONE)
			rc = fail(s, ctx);
		done(st);
	}
	for (size_t i = 0; i < ngone && !rc; i++) {
		st = stmt(s, Q_QUESTION_RETIRE, ctx);
		if (!st)
			rc = SB_ERR_IO;
		else if (bind_text(st, 1, gone[i]))
			rc = failed(s, st, ctx);
		else
			rc = finish(s, st, ctx);
	}
	for (size_t i = 0; i < ngone; i++)
		free(gone[i]);
	free(gone);
	free(ids);
	return rc;
}

enum sb_rc store_questions_sync(struct store *s, const struct bank *b, int64_t now)
{
	static const char ctx[] = "store_questions_sync";
	enum sb_rc rc = store_begin(s);
	if (rc)
		return rc;
	for (size_t i = 0; i < b->nq && !rc; i++) {
		const struct bank_question *q = &b->q[i];
		sqlite3_stmt *st = stmt(s, Q_QUESTION_SYNC, ctx);
		if (!st) {
			rc = SB_ERR_IO;
			break;
		}
		if (bind_text(st, 1, q->id) | bind_text(st, 2, q->topic ? q->topic : "") |
		    sqlite3_bind_int(st, 3, q->difficulty) | bind_text(st, 4, q->hash) |
		    bind_i64(st, 5, now))
			rc = failed(s, st, ctx);
		else
			rc = finish(s, st, ctx);
	}
	if (!rc)
		rc = retire_missing(s, b);
	return tx_end(s, rc);
}

enum sb_rc store_question_add(struct store *s, const struct st_question *q)
{
	static const char ctx[] = "store_question_add";
	sqlite3_stmt *st = stmt(s, Q_QUESTION_ADD, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_text(st, 1, q->qid) | bind_text(st, 2, q->workspace) | bind_text(st, 3, q->topic) |
	    sqlite3_bind_int(st, 4, q->difficulty) | bind_text(st, 5, q->prompt) |
	    bind_text(st, 6, q->body) | bind_text(st, 7, q->answer) | bind_text(st, 8, q->hints) |
	    bind_text(st, 9, q->key_points) | bind_text(st, 10, q->choices) |
	    sqlite3_bind_int(st, 11, q->correct) | bind_id_or_null(st, 12, q->added_by) |
	    bind_i64(st, 13, q->created_at))
		return failed(s, st, ctx);
	return finish(s, st, ctx);
}

void store_questions_free(struct st_question *q, size_t n)
{
	if (!q)
		return;
	for (size_t i = 0; i < n; i++) {
		free(q[i].prompt);
		free(q[i].body);
		free(q[i].answer);
		free(q[i].hints);
		free(q[i].key_points);
		free(q[i].choices);
	}
	free(q);
}

static enum sb_rc row_questions_added(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	struct st_question *q = row;
	col_copy(st, 0, q->qid, sizeof q->qid);
	col_copy(st, 1, q->workspace, sizeof q->workspace);
	col_copy(st, 2, q->topic, sizeof q->topic);
	q->difficulty = sqlite3_column_int(st, 3);
	q->prompt = col_dup(st, 4);
	q->body = col_dup(st, 5);
	q->answer = col_dup(st, 6);
	q->hints = col_dup(st, 7);
	q->key_points = col_dup(st, 8);
	q->choices = col_dup(st, 9);
	q->correct = sqlite3_column_int(st, 10);
	q->added_by = sqlite3_column_int64(st, 11);
	q->created_at = sqlite3_column_int64(st, 12);
	return SB_OK;
}

enum sb_rc store_questions_added(struct store *s, const char *workspace, struct st_question **out,
                                 size_t *n)
{
	static const char ctx[] = "store_questions_added";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_QUESTIONS_ADDED, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_text(st, 1, workspace)) /* NULL binds NULL: every workspace */
		return failed(s, st, ctx);
	void *rows = NULL;
	enum sb_rc rc =
	    collect(s, st, ctx, sizeof **out, row_questions_added, drop_questions, &rows, n);
	*out = rows;
	return rc;
}

static enum sb_rc row_question_usage(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	struct st_usage *u = row;
	col_copy(st, 0, u->qid, sizeof u->qid);
	u->last_asked = sqlite3_column_int64(st, 1);
	return SB_OK;
}

enum sb_rc store_question_usage(struct store *s, int64_t channel_id, struct st_usage **out,
                                size_t *n)
{
	static const char ctx[] = "store_question_usage";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_QUESTION_USAGE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id))
		return failed(s, st, ctx);
	void *rows = NULL;
	enum sb_rc rc = collect(s, st, ctx, sizeof **out, row_question_usage, NULL, &rows, n);
	*out = rows;
	return rc;
}

/* --- rounds ---------------------------------------------------------------- */

static void read_round(sqlite3_stmt *st, struct st_round *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->channel_id = sqlite3_column_int64(st, 1);
	col_copy(st, 2, r->slot, sizeof r->slot);
	col_copy(st, 3, r->qid, sizeof r->qid);
	r->state = sqlite3_column_int(st, 4);
	r->scheduled_at = sqlite3_column_int64(st, 5);
	r->deadline = sqlite3_column_int64(st, 6);
	r->review_end = sqlite3_column_int64(st, 7);
	r->reminded = sqlite3_column_int(st, 8) != 0;
	col_copy(st, 9, r->message_id, sizeof r->message_id);
}

static enum sb_rc round_one(struct store *s, sqlite3_stmt *st, struct st_round *out,
                            const char *ctx)
{
	enum sb_rc rc = first_row(s, st, ctx);
	if (rc) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	read_round(st, out);
	done(st);
	return SB_OK;
}

enum sb_rc store_round_create(struct store *s, struct st_round *r)
{
	static const char ctx[] = "store_round_create";
	sqlite3_stmt *st = stmt(s, Q_ROUND_CREATE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, r->channel_id) | bind_text(st, 2, r->slot) | bind_text(st, 3, r->qid) |
	    sqlite3_bind_int(st, 4, r->state) | bind_i64(st, 5, r->scheduled_at) |
	    bind_i64(st, 6, r->deadline) | bind_i64(st, 7, r->review_end) |
	    sqlite3_bind_int(st, 8, r->reminded) | bind_text(st, 9, r->message_id))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc)
		r->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

enum sb_rc store_round_get(struct store *s, int64_t id, struct st_round *out)
{
	static const char ctx[] = "store_round_get";
	sqlite3_stmt *st = stmt(s, Q_ROUND_GET, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, id))
		return failed(s, st, ctx);
	return round_one(s, st, out, ctx);
}

enum sb_rc store_round_by_slot(struct store *s, int64_t channel_id, const char *slot,
                               struct st_round *out)
{
	static const char ctx[] = "store_round_by_slot";
	sqlite3_stmt *st = stmt(s, Q_ROUND_BY_SLOT, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id) | bind_text(st, 2, slot))
		return failed(s, st, ctx);
	return round_one(s, st, out, ctx);
}

enum sb_rc store_round_latest(struct store *s, int64_t channel_id, struct st_round *out)
{
	static const char ctx[] = "store_round_latest";
	sqlite3_stmt *st = stmt(s, Q_ROUND_LATEST, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id))
		return failed(s, st, ctx);
	return round_one(s, st, out, ctx);
}

enum sb_rc store_round_by_message(struct store *s, const char *message_id, struct st_round *out)
{
	static const char ctx[] = "store_round_by_message";
	sqlite3_stmt *st = stmt(s, Q_ROUND_BY_MESSAGE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_text(st, 1, message_id ? message_id : ""))
		return failed(s, st, ctx);
	return round_one(s, st, out, ctx);
}

static enum sb_rc row_rounds_active(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	read_round(st, row);
	return SB_OK;
}

enum sb_rc store_rounds_active(struct store *s, struct st_round **out, size_t *n)
{
	static const char ctx[] = "store_rounds_active";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_ROUNDS_ACTIVE, ctx);
	if (!st)
		return SB_ERR_IO;
	void *rows = NULL;
	enum sb_rc rc = collect(s, st, ctx, sizeof **out, row_rounds_active, NULL, &rows, n);
	*out = rows;
	return rc;
}

enum sb_rc store_round_update(struct store *s, const struct st_round *r)
{
	static const char ctx[] = "store_round_update";
	sqlite3_stmt *st = stmt(s, Q_ROUND_UPDATE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, r->id) | sqlite3_bind_int(st, 2, r->state) |
	    sqlite3_bind_int(st, 3, r->reminded) | bind_i64(st, 4, r->deadline) |
	    bind_i64(st, 5, r->review_end) | bind_text(st, 6, r->message_id))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = notfound(s, ctx);
	return rc;
}

/* --- answers, hints, ratings ------------------------------------------------ */

static void read_answer(sqlite3_stmt *st, struct st_answer *a)
{
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(st, 0);
	a->round_id = sqlite3_column_int64(st, 1);
	a->member_id = sqlite3_column_int64(st, 2);
	a->text = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : col_dup(st, 3);
	a->choice = sqlite3_column_int(st, 4);
	a->late = sqlite3_column_int(st, 5) != 0;
	a->edits = sqlite3_column_int(st, 6);
	a->created_at = sqlite3_column_int64(st, 7);
	a->updated_at = sqlite3_column_int64(st, 8);
	a->label = sqlite3_column_int(st, 9);
	a->kp_hits = sqlite3_column_int(st, 10);
}

enum sb_rc store_answer_put(struct store *s, struct st_answer *a, bool *created)
{
	static const char ctx[] = "store_answer_put";
	sqlite3_stmt *st = stmt(s, Q_ANSWER_PUT, ctx);
	if (!st)
		return SB_ERR_IO;
	int64_t updated = a->updated_at ? a->updated_at : a->created_at;
	if (bind_i64(st, 1, a->round_id) | bind_i64(st, 2, a->member_id) |
	    bind_text(st, 3, a->text) | sqlite3_bind_int(st, 4, a->choice) |
	    sqlite3_bind_int(st, 5, a->late) | bind_i64(st, 6, a->created_at) |
	    bind_i64(st, 7, updated))
		return failed(s, st, ctx);
	enum sb_rc rc = must_row(s, st, ctx);
	if (rc)
		return rc;
	int64_t id = sqlite3_column_int64(st, 0);
	int edits = sqlite3_column_int(st, 1);
	int64_t first = sqlite3_column_int64(st, 2);
	rc = finish(s, st, ctx);
	if (rc)
		return rc;
	a->id = id;
	a->edits = edits;
	a->created_at = first;
	a->updated_at = updated;
	if (created)
		*created = edits == 0;
	return SB_OK;
}

static enum sb_rc answer_one(struct store *s, sqlite3_stmt *st, struct st_answer *out,
                             const char *ctx)
{
	enum sb_rc rc = first_row(s, st, ctx);
	if (rc) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	read_answer(st, out);
	done(st);
	return SB_OK;
}

enum sb_rc store_answer_get(struct store *s, int64_t round_id, int64_t member_id,
                            struct st_answer *out)
{
	static const char ctx[] = "store_answer_get";
	sqlite3_stmt *st = stmt(s, Q_ANSWER_GET, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, round_id) | bind_i64(st, 2, member_id))
		return failed(s, st, ctx);
	return answer_one(s, st, out, ctx);
}

enum sb_rc store_answer_by_id(struct store *s, int64_t id, struct st_answer *out)
{
	static const char ctx[] = "store_answer_by_id";
	sqlite3_stmt *st = stmt(s, Q_ANSWER_BY_ID, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, id))
		return failed(s, st, ctx);
	return answer_one(s, st, out, ctx);
}

void store_answer_clear(struct st_answer *a)
{
	if (!a)
		return;
	free(a->text);
	a->text = NULL;
}

void store_answers_free(struct st_answer *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		free(a[i].text);
	free(a);
}

static enum sb_rc row_answers(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	read_answer(st, row);
	return SB_OK;
}

enum sb_rc store_answers(struct store *s, int64_t round_id, struct st_answer **out, size_t *n)
{
	static const char ctx[] = "store_answers";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_ANSWERS, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, round_id))
		return failed(s, st, ctx);
	void *rows = NULL;
	enum sb_rc rc = collect(s, st, ctx, sizeof **out, row_answers, drop_answers, &rows, n);
	*out = rows;
	return rc;
}

enum sb_rc store_answer_set_label(struct store *s, int64_t id, int label, int kp_hits)
{
	static const char ctx[] = "store_answer_set_label";
	sqlite3_stmt *st = stmt(s, Q_ANSWER_LABEL, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, id) | sqlite3_bind_int(st, 2, label) | sqlite3_bind_int(st, 3, kp_hits))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = notfound(s, ctx);
	return rc;
}

/* Runs a statement whose first column of its one row is a count. */
static enum sb_rc count_of(struct store *s, sqlite3_stmt *st, int64_t a, int64_t b, long *out,
                           const char *ctx)
{
	*out = 0;
	if (bind_i64(st, 1, a) | bind_i64(st, 2, b))
		return failed(s, st, ctx);
	enum sb_rc rc = must_row(s, st, ctx);
	if (rc)
		return rc;
	*out = (long)sqlite3_column_int64(st, 0);
	done(st);
	return SB_OK;
}

enum sb_rc store_hints_taken(struct store *s, int64_t round_id, int64_t member_id, int *n)
{
	static const char ctx[] = "store_hints_taken";
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_HINTS_TAKEN, ctx);
	if (!st)
		return SB_ERR_IO;
	long v;
	enum sb_rc rc = count_of(s, st, round_id, member_id, &v, ctx);
	*n = (int)v;
	return rc;
}

enum sb_rc store_hint_take(struct store *s, int64_t round_id, int64_t member_id, int n, int64_t now)
{
	static const char ctx[] = "store_hint_take";
	sqlite3_stmt *st = stmt(s, Q_HINT_TAKE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, round_id) | bind_i64(st, 2, member_id) | sqlite3_bind_int(st, 3, n) |
	    bind_i64(st, 4, now))
		return failed(s, st, ctx);
	return finish(s, st, ctx);
}

static enum sb_rc rating_put(struct store *s, int64_t answer_id, int64_t rater_id, int stars,
                             int64_t now, bool *replaced)
{
	static const char ctx[] = "store_rating_put";
	sqlite3_stmt *st = stmt(s, Q_RATING_FIND, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, answer_id) | bind_i64(st, 2, rater_id))
		return failed(s, st, ctx);
	int step = sqlite3_step(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return failed(s, st, ctx);
	bool existed = step == SQLITE_ROW;
	done(st);

	st = stmt(s, Q_RATING_PUT, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, answer_id) | bind_i64(st, 2, rater_id) |
	    sqlite3_bind_int(st, 3, stars) | bind_i64(st, 4, now))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc && replaced)
		*replaced = existed;
	return rc;
}

enum sb_rc store_rating_put(struct store *s, int64_t answer_id, int64_t rater_id, int stars,
                            int64_t now, bool *replaced)
{
	if (replaced)
		*replaced = false;
	/* The look-up and the write together, so *replaced tells the truth even
	 * with another writer on the file. */
	enum sb_rc rc = store_begin(s);
	if (rc)
		return rc;
	return tx_end(s, rating_put(s, answer_id, rater_id, stars, now, replaced));
}

static enum sb_rc row_rating_summary(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	struct st_rating_sum *r = row;
	r->answer_id = sqlite3_column_int64(st, 0);
	r->member_id = sqlite3_column_int64(st, 1);
	r->count = sqlite3_column_int(st, 2);
	r->assigned = sqlite3_column_int(st, 3);
	r->avg = sqlite3_column_double(st, 4);
	return SB_OK;
}

enum sb_rc store_rating_summary(struct store *s, int64_t round_id, struct st_rating_sum **out,
                                size_t *n)
{
	static const char ctx[] = "store_rating_summary";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_RATING_SUMMARY, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, round_id))
		return failed(s, st, ctx);
	void *rows = NULL;
	enum sb_rc rc = collect(s, st, ctx, sizeof **out, row_rating_summary, NULL, &rows, n);
	*out = rows;
	return rc;
}

enum sb_rc store_ratings_given(struct store *s, int64_t round_id, int64_t rater_id, int *n)
{
	static const char ctx[] = "store_ratings_given";
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_RATINGS_GIVEN, ctx);
	if (!st)
		return SB_ERR_IO;
	long v;
	enum sb_rc rc = count_of(s, st, round_id, rater_id, &v, ctx);
	*n = (int)v;
	return rc;
}

enum sb_rc store_review_assign(struct store *s, int64_t round_id, int64_t member_id,
                               int64_t answer_id, int64_t now)
{
	static const char ctx[] = "store_review_assign";
	sqlite3_stmt *st = stmt(s, Q_REVIEW_ASSIGN, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, round_id) | bind_i64(st, 2, member_id) | bind_i64(st, 3, answer_id) |
	    bind_i64(st, 4, now))
		return failed(s, st, ctx);
	return finish(s, st, ctx);
}

/* --- points ----------------------------------------------------------------- */

static enum sb_rc score_add(struct store *s, const struct st_ledger *e, const char *period,
                            const char *topic)
{
	static const char ctx[] = "store_ledger_add";
	sqlite3_stmt *st = stmt(s, Q_SCORE_ADD, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, e->channel_id) | bind_text(st, 2, period) | bind_text(st, 3, topic) |
	    bind_i64(st, 4, e->member_id) | sqlite3_bind_int(st, 5, e->points) |
	    bind_i64(st, 6, e->at))
		return failed(s, st, ctx);
	return finish(s, st, ctx);
}

static enum sb_rc ledger_add(struct store *s, const struct st_ledger *e, const char *const *periods,
                             size_t nperiods)
{
	static const char ctx[] = "store_ledger_add";
	const char *topic = e->topic ? e->topic : "";
	sqlite3_stmt *st = stmt(s, Q_LEDGER_ADD, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, e->member_id) | bind_i64(st, 2, e->channel_id) |
	    bind_id_or_null(st, 3, e->round_id) | sqlite3_bind_int(st, 4, e->points) |
	    bind_text(st, 5, e->reason) | bind_text(st, 6, topic) | bind_i64(st, 7, e->at))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	for (size_t i = 0; i < nperiods && !rc; i++) {
		/* A key given twice would count the points twice. */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(periods[i], periods[j]) == 0;
		if (seen)
			continue;
		rc = score_add(s, e, periods[i], "");
		if (!rc && *topic)
			rc = score_add(s, e, periods[i], topic);
	}
	return rc;
}

enum sb_rc store_ledger_add(struct store *s, const struct st_ledger *e, const char *const *periods,
                            size_t nperiods)
{
	if (!e->reason) {
		seterr(s, "store_ledger_add: no reason given");
		return SB_ERR_INVALID;
	}
	for (size_t i = 0; i < nperiods; i++) {
		if (!periods[i] || !*periods[i]) {
			seterr(s, "store_ledger_add: empty period key");
			return SB_ERR_INVALID;
		}
	}
	enum sb_rc rc = store_begin(s);
	if (rc)
		return rc;
	return tx_end(s, ledger_add(s, e, periods, nperiods));
}

static void read_rank(sqlite3_stmt *st, struct st_rank *r, long rank)
{
	r->member_id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, r->name, sizeof r->name);
	r->points = (long)sqlite3_column_int64(st, 2);
	r->reached_at = sqlite3_column_int64(st, 3);
	r->rank = rank;
}

static enum sb_rc caller_rank(struct store *s, int64_t channel_id, const char *period,
                              const char *topic, int64_t caller, struct st_rank *me)
{
	static const char ctx[] = "store_leaderboard";
	sqlite3_stmt *st = stmt(s, Q_BOARD_ME, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id) | bind_text(st, 2, period) | bind_text(st, 3, topic) |
	    bind_i64(st, 4, caller))
		return failed(s, st, ctx);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		done(st); /* no such member: nothing to rank */
		return SB_OK;
	}
	if (step != SQLITE_ROW)
		return failed(s, st, ctx);
	col_copy(st, 0, me->name, sizeof me->name);
	bool ranked = sqlite3_column_type(st, 1) != SQLITE_NULL;
	int64_t points = sqlite3_column_int64(st, 1);
	int64_t reached = sqlite3_column_int64(st, 2);
	done(st);
	if (!ranked)
		return SB_OK;

	st = stmt(s, Q_BOARD_RANK, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id) | bind_text(st, 2, period) | bind_text(st, 3, topic) |
	    bind_i64(st, 4, points) | bind_i64(st, 5, reached) | bind_i64(st, 6, caller))
		return failed(s, st, ctx);
	enum sb_rc rc = must_row(s, st, ctx);
	if (rc)
		return rc;
	me->rank = 1 + (long)sqlite3_column_int64(st, 0);
	me->points = (long)points;
	me->reached_at = reached;
	done(st);
	return SB_OK;
}

enum sb_rc store_leaderboard(struct store *s, int64_t channel_id, const char *period,
                             const char *topic, int limit, int64_t caller, struct st_rank *top,
                             size_t *ntop, struct st_rank *me)
{
	static const char ctx[] = "store_leaderboard";
	*ntop = 0;
	if (me) {
		memset(me, 0, sizeof *me);
		me->member_id = caller;
	}
	if (!period)
		period = "all";
	if (!topic)
		topic = "";
	if (limit > 100)
		limit = 100;
	if (limit > 0 && top) {
		sqlite3_stmt *st = stmt(s, Q_BOARD_TOP, ctx);
		if (!st)
			return SB_ERR_IO;
		if (bind_i64(st, 1, channel_id) | bind_text(st, 2, period) |
		    bind_text(st, 3, topic) | sqlite3_bind_int(st, 4, limit))
			return failed(s, st, ctx);
		int step;
		size_t cnt = 0;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			memset(&top[cnt], 0, sizeof top[cnt]);
			read_rank(st, &top[cnt], (long)cnt + 1);
			cnt++;
		}
		if (step != SQLITE_DONE)
			return failed(s, st, ctx);
		done(st);
		*ntop = cnt;
		/* The caller is often on the board already: no count needed. */
		for (size_t i = 0; me && i < cnt; i++) {
			if (top[i].member_id == caller) {
				*me = top[i];
				return SB_OK;
			}
		}
	}
	if (!me || !caller)
		return SB_OK;
	return caller_rank(s, channel_id, period, topic, caller, me);
}

enum sb_rc store_points_by_reason(struct store *s, int64_t channel_id, int64_t member_id,
                                  struct st_reason *out, size_t max, size_t *n)
{
	static const char ctx[] = "store_points_by_reason";
	*n = 0;
	if (max == 0)
		return SB_OK;
	sqlite3_stmt *st = stmt(s, Q_POINTS_BY_REASON, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id) | bind_i64(st, 2, member_id) |
	    bind_i64(st, 3, max > INT64_MAX ? INT64_MAX : (int64_t)max))
		return failed(s, st, ctx);
	int step = SQLITE_DONE;
	size_t cnt = 0;
	while (cnt < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&out[cnt], 0, sizeof out[cnt]);
		col_copy(st, 0, out[cnt].reason, sizeof out[cnt].reason);
		out[cnt].points = (long)sqlite3_column_int64(st, 1);
		out[cnt].rows = (long)sqlite3_column_int64(st, 2);
		cnt++;
	}
	if (cnt < max && step != SQLITE_DONE)
		return failed(s, st, ctx);
	done(st);
	*n = cnt;
	return SB_OK;
}

static enum sb_rc row_topic_stats(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	struct st_topic_stat *t = row;
	col_copy(st, 0, t->topic, sizeof t->topic);
	t->answered = (long)sqlite3_column_int64(st, 1);
	t->rated = (long)sqlite3_column_int64(st, 2);
	t->avg = sqlite3_column_double(st, 3);
	return SB_OK;
}

enum sb_rc store_topic_stats(struct store *s, int64_t channel_id, int64_t member_id,
                             struct st_topic_stat **out, size_t *n)
{
	static const char ctx[] = "store_topic_stats";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_TOPIC_STATS, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id) | bind_i64(st, 2, member_id))
		return failed(s, st, ctx);
	void *rows = NULL;
	enum sb_rc rc = collect(s, st, ctx, sizeof **out, row_topic_stats, NULL, &rows, n);
	*out = rows;
	return rc;
}

enum sb_rc store_best_answers(struct store *s, int64_t channel_id, int64_t from, int64_t to,
                              int limit, struct st_best *out, size_t *n)
{
	static const char ctx[] = "store_best_answers";
	*n = 0;
	if (limit <= 0)
		return SB_OK;
	sqlite3_stmt *st = stmt(s, Q_BEST_ANSWERS, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id) | bind_i64(st, 2, from) | bind_i64(st, 3, to) |
	    sqlite3_bind_int(st, 4, limit))
		return failed(s, st, ctx);
	int step;
	size_t cnt = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct st_best *b = &out[cnt++];
		memset(b, 0, sizeof *b);
		b->answer_id = sqlite3_column_int64(st, 0);
		b->round_id = sqlite3_column_int64(st, 1);
		b->member_id = sqlite3_column_int64(st, 2);
		col_copy(st, 3, b->qid, sizeof b->qid);
		col_copy(st, 4, b->name, sizeof b->name);
		b->avg = sqlite3_column_double(st, 5);
		b->count = sqlite3_column_int(st, 6);
	}
	if (step != SQLITE_DONE)
		return failed(s, st, ctx);
	done(st);
	*n = cnt;
	return SB_OK;
}

/* --- streaks, reminders, practice cards ------------------------------------- */

enum sb_rc store_streak_get(struct store *s, int64_t member_id, int64_t channel_id,
                            struct st_streak *out)
{
	static const char ctx[] = "store_streak_get";
	memset(out, 0, sizeof *out);
	out->member_id = member_id;
	out->channel_id = channel_id;
	sqlite3_stmt *st = stmt(s, Q_STREAK_GET, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, member_id) | bind_i64(st, 2, channel_id))
		return failed(s, st, ctx);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		out->current = sqlite3_column_int(st, 0);
		out->best = sqlite3_column_int(st, 1);
		out->freezes = sqlite3_column_int(st, 2);
		out->last_round_id = sqlite3_column_int64(st, 3);
	} else if (step != SQLITE_DONE) {
		return failed(s, st, ctx);
	}
	done(st);
	return SB_OK;
}

enum sb_rc store_streak_put(struct store *s, const struct st_streak *k)
{
	static const char ctx[] = "store_streak_put";
	sqlite3_stmt *st = stmt(s, Q_STREAK_PUT, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, k->member_id) | bind_i64(st, 2, k->channel_id) |
	    sqlite3_bind_int(st, 3, k->current) | sqlite3_bind_int(st, 4, k->best) |
	    sqlite3_bind_int(st, 5, k->freezes) | bind_id_or_null(st, 6, k->last_round_id))
		return failed(s, st, ctx);
	return finish(s, st, ctx);
}

static enum sb_rc row_streaks(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	struct st_streak *k = row;
	k->member_id = sqlite3_column_int64(st, 0);
	k->channel_id = sqlite3_column_int64(st, 1);
	k->current = sqlite3_column_int(st, 2);
	k->best = sqlite3_column_int(st, 3);
	k->freezes = sqlite3_column_int(st, 4);
	k->last_round_id = sqlite3_column_int64(st, 5);
	return SB_OK;
}

enum sb_rc store_streaks(struct store *s, int64_t channel_id, struct st_streak **out, size_t *n)
{
	static const char ctx[] = "store_streaks";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_STREAKS, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id))
		return failed(s, st, ctx);
	void *rows = NULL;
	enum sb_rc rc = collect(s, st, ctx, sizeof **out, row_streaks, NULL, &rows, n);
	*out = rows;
	return rc;
}

enum sb_rc store_remind_set(struct store *s, int64_t member_id, int64_t channel_id, bool on)
{
	static const char ctx[] = "store_remind_set";
	sqlite3_stmt *st = stmt(s, on ? Q_REMIND_ON : Q_REMIND_OFF, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, member_id) | bind_i64(st, 2, channel_id))
		return failed(s, st, ctx);
	return finish(s, st, ctx);
}

static enum sb_rc row_remind_members(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	*(int64_t *)row = sqlite3_column_int64(st, 0);
	return SB_OK;
}

enum sb_rc store_remind_members(struct store *s, int64_t channel_id, int64_t **out, size_t *n)
{
	static const char ctx[] = "store_remind_members";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_REMIND_MEMBERS, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id))
		return failed(s, st, ctx);
	void *rows = NULL;
	enum sb_rc rc = collect(s, st, ctx, sizeof **out, row_remind_members, NULL, &rows, n);
	*out = rows;
	return rc;
}

enum sb_rc store_card_get(struct store *s, int64_t member_id, const char *qid, struct st_card *out)
{
	static const char ctx[] = "store_card_get";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = stmt(s, Q_CARD_GET, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, member_id) | bind_text(st, 2, qid))
		return failed(s, st, ctx);
	enum sb_rc rc = first_row(s, st, ctx);
	if (rc)
		return rc;
	out->member_id = member_id;
	snprintf(out->qid, sizeof out->qid, "%s", qid);
	out->ef = sqlite3_column_double(st, 0);
	out->reps = sqlite3_column_int(st, 1);
	out->interval_days = sqlite3_column_int(st, 2);
	out->due = sqlite3_column_int64(st, 3);
	out->last_q = sqlite3_column_int(st, 4);
	done(st);
	return SB_OK;
}

enum sb_rc store_card_put(struct store *s, const struct st_card *c)
{
	static const char ctx[] = "store_card_put";
	sqlite3_stmt *st = stmt(s, Q_CARD_PUT, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, c->member_id) | bind_text(st, 2, c->qid) |
	    sqlite3_bind_double(st, 3, c->ef) | sqlite3_bind_int(st, 4, c->reps) |
	    sqlite3_bind_int(st, 5, c->interval_days) | bind_i64(st, 6, c->due) |
	    sqlite3_bind_int(st, 7, c->last_q))
		return failed(s, st, ctx);
	return finish(s, st, ctx);
}

enum sb_rc store_card_due(struct store *s, int64_t member_id, int64_t now, struct st_card *out)
{
	static const char ctx[] = "store_card_due";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = stmt(s, Q_CARD_DUE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, member_id) | bind_i64(st, 2, now))
		return failed(s, st, ctx);
	enum sb_rc rc = first_row(s, st, ctx);
	if (rc)
		return rc;
	out->member_id = member_id;
	col_copy(st, 0, out->qid, sizeof out->qid);
	out->ef = sqlite3_column_double(st, 1);
	out->reps = sqlite3_column_int(st, 2);
	out->interval_days = sqlite3_column_int(st, 3);
	out->due = sqlite3_column_int64(st, 4);
	out->last_q = sqlite3_column_int(st, 5);
	done(st);
	return SB_OK;
}

/* --- durable posting ---------------------------------------------------------- */

enum sb_rc store_outbox_add(struct store *s, struct st_outbox *o)
{
	static const char ctx[] = "store_outbox_add";
	if (!o->nonce[0]) {
		/* The nonce is what lets a resend be dropped as a copy. */
		seterr(s, "%s: empty nonce", ctx);
		return SB_ERR_INVALID;
	}
	sqlite3_stmt *st = stmt(s, Q_OUTBOX_ADD, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_id_or_null(st, 1, o->channel_id) | bind_id_or_null(st, 2, o->round_id) |
	    bind_text(st, 3, o->kind) | bind_text(st, 4, o->nonce) |
	    bind_text(st, 5, o->payload ? o->payload : "") | bind_i64(st, 6, o->created_at))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc)
		o->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

enum sb_rc store_outbox_done(struct store *s, int64_t id, const char *message_id, int64_t now)
{
	static const char ctx[] = "store_outbox_done";
	sqlite3_stmt *st = stmt(s, Q_OUTBOX_DONE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, id) | bind_i64(st, 2, now) | bind_text(st, 3, message_id))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = notfound(s, ctx);
	return rc;
}

void store_outbox_free(struct st_outbox *o, size_t n)
{
	if (!o)
		return;
	for (size_t i = 0; i < n; i++)
		free(o[i].payload);
	free(o);
}

static enum sb_rc row_outbox_pending(struct store *s, sqlite3_stmt *st, void *row, const char *ctx)
{
	(void)s;
	(void)ctx;
	struct st_outbox *o = row;
	o->id = sqlite3_column_int64(st, 0);
	o->channel_id = sqlite3_column_int64(st, 1);
	o->round_id = sqlite3_column_int64(st, 2);
	col_copy(st, 3, o->kind, sizeof o->kind);
	col_copy(st, 4, o->nonce, sizeof o->nonce);
	o->payload = col_dup(st, 5);
	o->created_at = sqlite3_column_int64(st, 6);
	return SB_OK;
}

enum sb_rc store_outbox_pending(struct store *s, struct st_outbox **out, size_t *n)
{
	static const char ctx[] = "store_outbox_pending";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = stmt(s, Q_OUTBOX_PENDING, ctx);
	if (!st)
		return SB_ERR_IO;
	void *rows = NULL;
	enum sb_rc rc =
	    collect(s, st, ctx, sizeof **out, row_outbox_pending, drop_outbox, &rows, n);
	*out = rows;
	return rc;
}

enum sb_rc store_once(struct store *s, int64_t channel_id, const char *key, int64_t now,
                      bool *first)
{
	static const char ctx[] = "store_once";
	*first = false;
	sqlite3_stmt *st = stmt(s, Q_ONCE, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id) | bind_text(st, 2, key) | bind_i64(st, 3, now))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc)
		*first = sqlite3_changes(s->db) > 0;
	return rc;
}

/* --- export and forget-me ----------------------------------------------------- */

/* 1 -> "A", 26 -> "Z", 27 -> "AA", as spreadsheets count columns; "" for
 * 0, before the reveal. */
static void label_name(long label, char *out, size_t outsz)
{
	char tmp[16];
	size_t n = 0;
	while (label > 0 && n < sizeof tmp) {
		label--;
		tmp[n++] = (char)('A' + label % 26);
		label /= 26;
	}
	size_t i = 0;
	for (; i < n && i + 1 < outsz; i++)
		out[i] = tmp[n - 1 - i];
	if (outsz)
		out[i] = '\0';
}

struct export_table {
	const char *name;
	enum q q;
	int label_col; /* a column holding an answer label number, or -1 */
	int ncols;
	const char *header[10];
};

static const struct export_table export_tables[] = {
    {"answers",
     Q_EXPORT_ANSWERS,
     -1,
     10,
     {"round_slot", "question", "member_id", "member_name", "answer", "late", "edits",
      "submitted_at", "avg_rating", "ratings"}},
    {"ratings",
     Q_EXPORT_RATINGS,
     2,
     7,
     {"round_slot", "question", "answer_label", "author", "rater", "stars", "at"}},
    {"ledger",
     Q_EXPORT_LEDGER,
     -1,
     7,
     {"at", "member_id", "member_name", "points", "reason", "topic", "round_slot"}},
};

enum sb_rc store_export(struct store *s, int64_t channel_id, const char *table, store_row_fn row,
                        void *ud)
{
	static const char ctx[] = "store_export";
	const struct export_table *t = NULL;
	for (size_t i = 0; i < sizeof export_tables / sizeof export_tables[0]; i++)
		if (table && strcmp(table, export_tables[i].name) == 0)
			t = &export_tables[i];
	if (!t) {
		seterr(s, "%s: unknown table '%s' (answers, ratings or ledger)", ctx,
		       table ? table : "(null)");
		return SB_ERR_INVALID;
	}
	sqlite3_stmt *st = stmt(s, t->q, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, channel_id))
		return failed(s, st, ctx);
	enum sb_rc rc = row(ud, t->ncols, t->header);
	if (rc) {
		done(st);
		return rc;
	}
	const char *cols[10];
	char label[16];
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < t->ncols; i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			cols[i] = v ? (const char *)v : "";
		}
		if (t->label_col >= 0) {
			label_name((long)sqlite3_column_int64(st, t->label_col), label,
			           sizeof label);
			cols[t->label_col] = label;
		}
		rc = row(ud, t->ncols, cols);
		if (rc) {
			done(st);
			return rc;
		}
	}
	if (step != SQLITE_DONE)
		return failed(s, st, ctx);
	done(st);
	return SB_OK;
}

static enum sb_rc forget(struct store *s, int64_t member_id)
{
	static const char ctx[] = "store_forget_member";
	static const enum q steps[] = {
	    Q_FORGET_RATINGS_GIVEN, Q_FORGET_ASSIGNMENTS, Q_FORGET_ANSWERS,
	    Q_FORGET_HINTS,         Q_FORGET_LEDGER,      Q_FORGET_SCORES,
	    Q_FORGET_STREAKS,       Q_FORGET_REMINDERS,   Q_FORGET_CARDS,
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		sqlite3_stmt *st = stmt(s, steps[i], ctx);
		if (!st)
			return SB_ERR_IO;
		if (bind_i64(st, 1, member_id))
			return failed(s, st, ctx);
		enum sb_rc rc = finish(s, st, ctx);
		if (rc)
			return rc;
	}
	sqlite3_stmt *st = stmt(s, Q_FORGET_NAME, ctx);
	if (!st)
		return SB_ERR_IO;
	if (bind_i64(st, 1, member_id))
		return failed(s, st, ctx);
	enum sb_rc rc = finish(s, st, ctx);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = notfound(s, ctx);
	return rc;
}

enum sb_rc store_forget_member(struct store *s, int64_t member_id)
{
	enum sb_rc rc = store_begin(s);
	if (rc)
		return rc;
	return tx_end(s, forget(s, member_id));
}
