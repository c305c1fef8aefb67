/* The store's contract (store.h), held against every backend it can open:
 * each test runs once on a private in-memory database and once on a file
 * in a fresh temporary directory, where WAL, reopening and the file's own
 * integrity come into play. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

#define OK(expr) assert_int_equal((expr), SB_OK)

#define T0 1764000000 /* 2025-11-24T16:00:00Z */

static const char evil[] = "'); DROP TABLE answer;--";

/* --- fixture ------------------------------------------------------------- */

static bool on_file; /* which group is running */
static char tmpdir[512];
static int ntests;

struct fx {
	struct store *s;
	char path[600]; /* "" for :memory: */
};

static int group_setup(bool file)
{
	on_file = file;
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/studybot-store-XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_memory(void **state)
{
	(void)state;
	return group_setup(false);
}

static int group_file(void **state)
{
	(void)state;
	return group_setup(true);
}

static void remove_db(const char *path)
{
	char p[700];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-journal", path);
	unlink(p);
}

static int group_teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* A path in the group's directory, fresh for each call. */
static void temp_path(char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/t%d.db", tmpdir, ++ntests);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	if (on_file)
		temp_path(f->path, sizeof f->path);
	char err[512];
	if (store_open(on_file ? f->path : ":memory:", &f->s, err, sizeof err) != SB_OK) {
		fprintf(stderr, "store_open: %s\n", err);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	if (f->path[0])
		remove_db(f->path);
	free(f);
	return 0;
}

static struct store *S(void **state)
{
	return ((struct fx *)*state)->s;
}

/* Reads one value as text straight from the file, past the store: for
 * what the interface has no reader of (a question's hash, the retired
 * flag). Only on the file backend; returns false on the in-memory one. */
static bool raw_text(void **state, const char *sql, char *out, size_t outsz)
{
	struct fx *f = *state;
	if (!f->path[0])
		return false;
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(out, outsz, "%s", t ? (const char *)t : "(null)");
	} else {
		snprintf(out, outsz, "(no row)");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return true;
}

/* --- helpers -------------------------------------------------------------- */

static int64_t member(struct store *s, const char *ext, const char *name)
{
	int64_t id = 0;
	OK(store_member(s, ext, name, &id));
	assert_true(id > 0);
	return id;
}

static void channel_init(struct st_channel *c, const char *ext)
{
	memset(c, 0, sizeof *c);
	snprintf(c->ext_id, sizeof c->ext_id, "%s", ext);
	snprintf(c->workspace, sizeof c->workspace, "W1");
	snprintf(c->name, sizeof c->name, "python-study");
	c->schedule.days = SCHED_ALL_DAYS;
	c->schedule.secs = 9 * 3600;
	snprintf(c->timezone, sizeof c->timezone, "Europe/Berlin");
	snprintf(c->topics, sizeof c->topics, "python,sql");
	c->diff_min = 1;
	c->diff_max = 3;
	c->answer_window = 36000;
	c->review_window = 43200;
	c->remind_before = 7200;
	c->answer_mode = 1;
	c->created_at = T0;
}

static int64_t channel(struct store *s, const char *ext)
{
	struct st_channel c;
	channel_init(&c, ext);
	OK(store_channel_put(s, &c));
	assert_true(c.id > 0);
	return c.id;
}

static int64_t round_new(struct store *s, int64_t ch, const char *slot, const char *qid, int64_t at,
                         int state)
{
	struct st_round r;
	memset(&r, 0, sizeof r);
	r.channel_id = ch;
	snprintf(r.slot, sizeof r.slot, "%s", slot);
	snprintf(r.qid, sizeof r.qid, "%s", qid);
	r.state = state;
	r.scheduled_at = at;
	r.deadline = at + 36000;
	r.review_end = at + 80000;
	OK(store_round_create(s, &r));
	assert_true(r.id > 0);
	return r.id;
}

static int64_t answer_put(struct store *s, int64_t round, int64_t mem, const char *text, bool late,
                          int64_t at)
{
	struct st_answer a;
	memset(&a, 0, sizeof a);
	a.round_id = round;
	a.member_id = mem;
	a.text = (char *)text;
	a.choice = -1;
	a.late = late;
	a.created_at = a.updated_at = at;
	bool created;
	OK(store_answer_put(s, &a, &created));
	assert_true(a.id > 0);
	return a.id;
}

static void ledger(struct store *s, int64_t ch, int64_t mem, int points, const char *reason,
                   const char *topic, int64_t at, const char *const *periods, size_t np)
{
	struct st_ledger e = {mem, ch, 0, points, reason, topic, at};
	OK(store_ledger_add(s, &e, periods, np));
}

static void bank_q(struct bank_question *q, const char *id, const char *topic, int diff,
                   const char *hash)
{
	memset(q, 0, sizeof *q);
	q->id = id;
	q->topic = topic;
	q->difficulty = diff;
	q->correct = -1;
	snprintf(q->hash, sizeof q->hash, "%s", hash);
}

static void sync_bank(struct store *s, struct bank_question *q, size_t n, int64_t now)
{
	struct bank b;
	memset(&b, 0, sizeof b);
	b.q = q;
	b.nq = n;
	OK(store_questions_sync(s, &b, now));
}

/* --- members and channels -------------------------------------------------- */

static void members(void **state)
{
	struct store *s = S(state);
	int64_t a = member(s, "U100", "Ann");
	assert_int_equal(member(s, "U100", NULL), a);
	int64_t b = member(s, "U200", NULL);
	assert_int_not_equal(a, b);

	struct st_member m;
	OK(store_member_get(s, a, &m));
	assert_string_equal(m.ext_id, "U100");
	assert_string_equal(m.name, "Ann");
	OK(store_member_get(s, b, &m));
	assert_string_equal(m.name, "");

	assert_int_equal(member(s, "U100", "Ann B."), a); /* a rename */
	OK(store_member_by_ext(s, "U100", &m));
	assert_int_equal(m.id, a);
	assert_string_equal(m.name, "Ann B.");
	assert_int_equal(member(s, "U100", NULL), a); /* NULL keeps the name */
	OK(store_member_get(s, a, &m));
	assert_string_equal(m.name, "Ann B.");

	assert_int_equal(store_member_get(s, 9999, &m), SB_ERR_NOTFOUND);
	assert_int_equal(store_member_by_ext(s, "nobody", &m), SB_ERR_NOTFOUND);
	assert_non_null(strstr(store_errmsg(s), "store_member_by_ext"));
	int64_t id;
	assert_int_equal(store_member(s, "", "x", &id), SB_ERR_INVALID);
}

static void channels(void **state)
{
	struct store *s = S(state);
	struct st_channel c, got;
	channel_init(&c, "C1");
	c.schedule.days = 0x15; /* mon, wed, fri */
	c.schedule.secs = 9 * 3600 + 30 * 60 + 15;
	OK(store_channel_put(s, &c));
	int64_t id = c.id;
	assert_true(id > 0);
	assert_false(c.paused);

	OK(store_channel_get(s, "C1", &got));
	assert_int_equal(got.id, id);
	assert_string_equal(got.workspace, "W1");
	assert_string_equal(got.name, "python-study");
	assert_int_equal(got.schedule.days, 0x15);
	assert_int_equal(got.schedule.secs, 9 * 3600 + 30 * 60 + 15);
	assert_string_equal(got.timezone, "Europe/Berlin");
	assert_string_equal(got.topics, "python,sql");
	assert_int_equal(got.diff_min, 1);
	assert_int_equal(got.diff_max, 3);
	assert_int_equal(got.answer_window, 36000);
	assert_int_equal(got.review_window, 43200);
	assert_int_equal(got.remind_before, 7200);
	assert_int_equal(got.answer_mode, 1);
	assert_false(got.paused);
	assert_int_equal(got.created_at, T0);

	OK(store_channel_set_paused(s, id, true));
	/* A config reload: everything but paused (and the creation) changes. */
	channel_init(&c, "C1");
	snprintf(c.topics, sizeof c.topics, "%s", "");
	c.diff_max = 2;
	c.answer_window = 60;
	c.created_at = T0 + 999;
	OK(store_channel_put(s, &c));
	assert_int_equal(c.id, id);
	assert_true(c.paused);
	assert_int_equal(c.created_at, T0);
	OK(store_channel_by_id(s, id, &got));
	assert_true(got.paused);
	assert_string_equal(got.topics, "");
	assert_int_equal(got.diff_max, 2);
	assert_int_equal(got.answer_window, 60);
	assert_int_equal(got.schedule.days, SCHED_ALL_DAYS);
	OK(store_channel_set_paused(s, id, false));
	OK(store_channel_get(s, "C1", &got));
	assert_false(got.paused);

	int64_t id2 = channel(s, "C2");
	struct st_channel *all;
	size_t n;
	OK(store_channels(s, &all, &n));
	assert_int_equal(n, 2);
	assert_int_equal(all[0].id, id);
	assert_int_equal(all[1].id, id2);
	assert_string_equal(all[1].ext_id, "C2");
	free(all);

	assert_int_equal(store_channel_get(s, "C3", &got), SB_ERR_NOTFOUND);
	assert_int_equal(store_channel_by_id(s, 999, &got), SB_ERR_NOTFOUND);
	assert_int_equal(store_channel_set_paused(s, 999, true), SB_ERR_NOTFOUND);
}

/* --- questions ------------------------------------------------------------- */

static void questions_sync(void **state)
{
	struct store *s = S(state);
	struct bank_question q[4];
	bank_q(&q[0], "q-a", "sql", 1, "aaaaaaaaaaaaaaa1");
	bank_q(&q[1], "q-b", "python", 2, "bbbbbbbbbbbbbbb1");
	bank_q(&q[2], "q-c", "sql", 3, "ccccccccccccccc1");
	sync_bank(s, q, 3, T0);
	sync_bank(s, q, 3, T0 + 1); /* the same bank again writes nothing new */

	char v[64];
	if (raw_text(state, "SELECT count(*) FROM question", v, sizeof v))
		assert_string_equal(v, "3");

	/* q-a changes, q-c leaves the bank, q-d arrives */
	bank_q(&q[0], "q-a", "postgres", 2, "aaaaaaaaaaaaaaa2");
	bank_q(&q[2], "q-d", "python", 1, "ddddddddddddddd1");
	sync_bank(s, q, 3, T0 + 2);
	if (raw_text(state,
	             "SELECT topic || '/' || difficulty || '/' || hash FROM question "
	             "WHERE qid = 'q-a'",
	             v, sizeof v))
		assert_string_equal(v, "postgres/2/aaaaaaaaaaaaaaa2");
	if (raw_text(state,
	             "SELECT group_concat(qid || '=' || retired || origin, ' ') FROM "
	             "(SELECT * FROM question ORDER BY qid)",
	             v, sizeof v))
		assert_string_equal(v, "q-a=0bank q-b=0bank q-c=1bank q-d=0bank");

	/* back in the bank: live again */
	bank_q(&q[3], "q-c", "sql", 3, "ccccccccccccccc1");
	sync_bank(s, q, 4, T0 + 3);
	if (raw_text(state, "SELECT retired FROM question WHERE qid = 'q-c'", v, sizeof v))
		assert_string_equal(v, "0");

	/* a retired question is still taken */
	sync_bank(s, q, 1, T0 + 4);
	struct st_question add;
	memset(&add, 0, sizeof add);
	snprintf(add.qid, sizeof add.qid, "q-c");
	snprintf(add.topic, sizeof add.topic, "sql");
	add.correct = -1;
	assert_int_equal(store_question_add(s, &add), SB_ERR_INVALID);
	if (raw_text(state, "SELECT sum(retired) FROM question", v, sizeof v))
		assert_string_equal(v, "3");
}

static void questions_added(void **state)
{
	struct store *s = S(state);
	struct bank_question bq;
	bank_q(&bq, "q-bank", "sql", 1, "0123456789abcdef");
	sync_bank(s, &bq, 1, T0);
	int64_t admin = member(s, "U1", "Admin");

	struct st_question q;
	memset(&q, 0, sizeof q);
	snprintf(q.qid, sizeof q.qid, "w1-joins");
	snprintf(q.workspace, sizeof q.workspace, "W1");
	snprintf(q.topic, sizeof q.topic, "sql");
	q.difficulty = 2;
	q.prompt = "What does a LEFT JOIN keep?";
	q.body = NULL;
	q.answer = "Every row of the left side.";
	q.hints = "think of NULLs\nleft side";
	q.key_points = "left rows\nNULL";
	q.choices = "all rows\nmatching rows";
	q.correct = 0;
	q.added_by = admin;
	q.created_at = T0;
	OK(store_question_add(s, &q));
	assert_int_equal(store_question_add(s, &q), SB_ERR_INVALID);
	snprintf(q.qid, sizeof q.qid, "q-bank"); /* taken by the bank */
	assert_int_equal(store_question_add(s, &q), SB_ERR_INVALID);
	snprintf(q.qid, sizeof q.qid, "w2-only");
	snprintf(q.workspace, sizeof q.workspace, "W2");
	q.choices = NULL;
	q.correct = -1;
	q.added_by = 0;
	OK(store_question_add(s, &q));
	snprintf(q.qid, sizeof q.qid, "w1-second");
	snprintf(q.workspace, sizeof q.workspace, "W1");
	q.prompt = (char *)evil;
	OK(store_question_add(s, &q));

	struct st_question *v;
	size_t n;
	OK(store_questions_added(s, "W1", &v, &n));
	assert_int_equal(n, 2);
	assert_string_equal(v[0].qid, "w1-joins");
	assert_string_equal(v[0].workspace, "W1");
	assert_string_equal(v[0].topic, "sql");
	assert_int_equal(v[0].difficulty, 2);
	assert_string_equal(v[0].prompt, "What does a LEFT JOIN keep?");
	assert_string_equal(v[0].body, "");
	assert_string_equal(v[0].answer, "Every row of the left side.");
	assert_string_equal(v[0].hints, "think of NULLs\nleft side");
	assert_string_equal(v[0].key_points, "left rows\nNULL");
	assert_string_equal(v[0].choices, "all rows\nmatching rows");
	assert_int_equal(v[0].correct, 0);
	assert_int_equal(v[0].added_by, admin);
	assert_int_equal(v[0].created_at, T0);
	assert_string_equal(v[1].qid, "w1-second");
	assert_string_equal(v[1].prompt, evil);
	assert_int_equal(v[1].added_by, 0);
	assert_int_equal(v[1].correct, -1);
	store_questions_free(v, n);

	OK(store_questions_added(s, "W3", &v, &n));
	assert_int_equal(n, 0);
	store_questions_free(v, n);

	/* NULL: every workspace's, in the order they were added. */
	OK(store_questions_added(s, NULL, &v, &n));
	assert_int_equal(n, 3);
	assert_string_equal(v[0].qid, "w1-joins");
	assert_string_equal(v[1].qid, "w2-only");
	assert_string_equal(v[1].workspace, "W2");
	assert_string_equal(v[2].qid, "w1-second");
	store_questions_free(v, n);
}

/* --- rounds ---------------------------------------------------------------- */

static void rounds(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1"), ch2 = channel(s, "C2");
	int64_t r1 = round_new(s, ch, "2026-11-24", "q-a", T0, ROUND_CLOSED);

	struct st_round r;
	memset(&r, 0, sizeof r);
	r.channel_id = ch;
	snprintf(r.slot, sizeof r.slot, "2026-11-24");
	snprintf(r.qid, sizeof r.qid, "q-b");
	r.state = ROUND_OPEN;
	assert_int_equal(store_round_create(s, &r), SB_ERR_INVALID);
	assert_non_null(strstr(store_errmsg(s), "store_round_create"));
	round_new(s, ch2, "2026-11-24", "q-b", T0, ROUND_OPEN); /* another channel: fine */

	int64_t r2 = round_new(s, ch, "2026-11-25", "q-b", T0 + 86400, ROUND_REVIEW);
	int64_t r3 = round_new(s, ch, "2026-11-25#2", "q-a", T0 + 90000, ROUND_OPEN);
	round_new(s, ch, "2026-11-23", "q-c", T0 - 86400, ROUND_SKIPPED);
	int64_t r5 = round_new(s, ch, "2026-11-26", "q-c", T0 + 2 * 86400, ROUND_SKIPPED);

	OK(store_round_get(s, r2, &r));
	assert_int_equal(r.id, r2);
	assert_int_equal(r.channel_id, ch);
	assert_string_equal(r.slot, "2026-11-25");
	assert_string_equal(r.qid, "q-b");
	assert_int_equal(r.state, ROUND_REVIEW);
	assert_int_equal(r.scheduled_at, T0 + 86400);
	assert_int_equal(r.deadline, T0 + 86400 + 36000);
	assert_int_equal(r.review_end, T0 + 86400 + 80000);
	assert_false(r.reminded);
	assert_string_equal(r.message_id, "");

	OK(store_round_by_slot(s, ch, "2026-11-25#2", &r));
	assert_int_equal(r.id, r3);
	assert_int_equal(store_round_by_slot(s, ch, "2030-01-01", &r), SB_ERR_NOTFOUND);
	OK(store_round_latest(s, ch, &r));
	assert_int_equal(r.id, r5);
	assert_int_equal(store_round_latest(s, 999, &r), SB_ERR_NOTFOUND);

	/* no message yet: "" finds nothing */
	assert_int_equal(store_round_by_message(s, "", &r), SB_ERR_NOTFOUND);
	OK(store_round_get(s, r3, &r));
	r.state = ROUND_REVIEW;
	r.reminded = true;
	r.deadline = T0 + 1;
	r.review_end = T0 + 2;
	snprintf(r.message_id, sizeof r.message_id, "1234567890");
	OK(store_round_update(s, &r));
	struct st_round got;
	OK(store_round_by_message(s, "1234567890", &got));
	assert_int_equal(got.id, r3);
	assert_int_equal(got.state, ROUND_REVIEW);
	assert_true(got.reminded);
	assert_int_equal(got.deadline, T0 + 1);
	assert_int_equal(got.review_end, T0 + 2);
	assert_int_equal(got.scheduled_at, T0 + 90000); /* not an updated field */
	assert_int_equal(store_round_by_message(s, "999", &got), SB_ERR_NOTFOUND);
	r.id = 9999;
	assert_int_equal(store_round_update(s, &r), SB_ERR_NOTFOUND);

	struct st_round *act;
	size_t n;
	OK(store_rounds_active(s, &act, &n));
	assert_int_equal(n, 3); /* r2, the other channel's, r3 */
	assert_int_equal(act[0].id, r1 + 1);
	assert_int_equal(act[1].id, r2);
	assert_int_equal(act[2].id, r3);
	free(act);

	/* rotation: skipped rounds do not count as asked */
	struct st_usage *u;
	OK(store_question_usage(s, ch, &u, &n));
	assert_int_equal(n, 2);
	assert_string_equal(u[0].qid, "q-a");
	assert_int_equal(u[0].last_asked, T0 + 90000);
	assert_string_equal(u[1].qid, "q-b");
	assert_int_equal(u[1].last_asked, T0 + 86400);
	free(u);
}

/* --- answers, hints, ratings ------------------------------------------------- */

static void answers(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1");
	int64_t r = round_new(s, ch, "2026-11-24", "q-a", T0, ROUND_OPEN);
	int64_t a = member(s, "UA", "A"), b = member(s, "UB", "B"), c = member(s, "UC", "C");

	struct st_answer x;
	memset(&x, 0, sizeof x);
	x.round_id = r;
	x.member_id = b;
	x.text = "first try";
	x.choice = -1;
	x.created_at = x.updated_at = T0 + 100;
	bool created = false;
	OK(store_answer_put(s, &x, &created));
	assert_true(created);
	assert_int_equal(x.edits, 0);
	int64_t idb = x.id;

	/* an earlier timestamp, but given later: order is the order of giving */
	answer_put(s, r, a, "from A", false, T0 + 50);

	x.text = "second try";
	x.late = true;
	x.created_at = x.updated_at = T0 + 200;
	OK(store_answer_put(s, &x, &created));
	assert_false(created);
	assert_int_equal(x.id, idb);
	assert_int_equal(x.edits, 1);
	x.text = "third try";
	x.late = false;
	x.created_at = x.updated_at = T0 + 300;
	OK(store_answer_put(s, &x, &created));
	assert_false(created);

	struct st_answer got;
	OK(store_answer_get(s, r, b, &got));
	assert_int_equal(got.id, idb);
	assert_string_equal(got.text, "third try");
	assert_int_equal(got.edits, 2);
	assert_false(got.late);
	assert_int_equal(got.created_at, T0 + 100);
	assert_int_equal(got.updated_at, T0 + 300);
	assert_int_equal(got.choice, -1);
	assert_int_equal(got.label, 0);
	store_answer_clear(&got);
	assert_null(got.text);

	/* a multiple-choice pick, late */
	memset(&x, 0, sizeof x);
	x.round_id = r;
	x.member_id = c;
	x.text = NULL;
	x.choice = 2;
	x.late = true;
	x.created_at = x.updated_at = T0 + 400;
	OK(store_answer_put(s, &x, &created));
	assert_true(created);
	OK(store_answer_by_id(s, x.id, &got));
	assert_null(got.text);
	assert_int_equal(got.choice, 2);
	assert_true(got.late);
	store_answer_clear(&got);

	OK(store_answer_set_label(s, idb, 2, 3));
	OK(store_answer_by_id(s, idb, &got));
	assert_int_equal(got.label, 2);
	assert_int_equal(got.kp_hits, 3);
	store_answer_clear(&got);
	assert_int_equal(store_answer_set_label(s, 9999, 1, 1), SB_ERR_NOTFOUND);
	assert_int_equal(store_answer_get(s, r, 9999, &got), SB_ERR_NOTFOUND);
	assert_null(got.text);
	assert_int_equal(store_answer_by_id(s, 9999, &got), SB_ERR_NOTFOUND);

	struct st_answer *v;
	size_t n;
	OK(store_answers(s, r, &v, &n));
	assert_int_equal(n, 3);
	assert_int_equal(v[0].member_id, b);
	assert_int_equal(v[1].member_id, a);
	assert_string_equal(v[1].text, "from A");
	assert_int_equal(v[2].member_id, c);
	assert_null(v[2].text);
	store_answers_free(v, n);

	/* an answer to a round that does not exist */
	x.round_id = 9999;
	assert_int_equal(store_answer_put(s, &x, &created), SB_ERR_NOTFOUND);
}

static void hints(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1");
	int64_t r = round_new(s, ch, "2026-11-24", "q-a", T0, ROUND_OPEN);
	int64_t a = member(s, "UA", "A"), b = member(s, "UB", "B");
	int n = -1;
	OK(store_hints_taken(s, r, a, &n));
	assert_int_equal(n, 0);
	OK(store_hint_take(s, r, a, 1, T0 + 1));
	OK(store_hint_take(s, r, a, 2, T0 + 2));
	assert_int_equal(store_hint_take(s, r, a, 2, T0 + 3), SB_ERR_INVALID);
	OK(store_hints_taken(s, r, a, &n));
	assert_int_equal(n, 2);
	OK(store_hints_taken(s, r, b, &n));
	assert_int_equal(n, 0);
}

static void ratings(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1");
	int64_t r = round_new(s, ch, "2026-11-24", "q-a", T0, ROUND_REVIEW);
	int64_t a = member(s, "UA", "A"), b = member(s, "UB", "B"), c = member(s, "UC", "C");
	int64_t xa = answer_put(s, r, a, "A's", false, T0);
	int64_t xb = answer_put(s, r, b, "B's", false, T0);
	int64_t xc = answer_put(s, r, c, "C's", false, T0);

	bool replaced = true;
	OK(store_rating_put(s, xa, b, 4, T0 + 10, &replaced));
	assert_false(replaced);
	OK(store_rating_put(s, xa, b, 2, T0 + 11, &replaced)); /* changes their mind */
	assert_true(replaced);
	OK(store_rating_put(s, xa, c, 5, T0 + 12, &replaced));
	assert_false(replaced);
	OK(store_rating_put(s, xb, c, 3, T0 + 13, &replaced));
	assert_int_equal(store_rating_put(s, xb, a, 0, T0, &replaced), SB_ERR_INVALID);
	assert_int_equal(store_rating_put(s, xb, a, 6, T0, &replaced), SB_ERR_INVALID);
	assert_non_null(strstr(store_errmsg(s), "store_rating_put"));
	assert_int_equal(store_rating_put(s, 9999, a, 3, T0, &replaced), SB_ERR_NOTFOUND);

	OK(store_review_assign(s, r, b, xa, T0));
	OK(store_review_assign(s, r, c, xa, T0));
	OK(store_review_assign(s, r, a, xb, T0));
	assert_int_equal(store_review_assign(s, r, a, xb, T0), SB_ERR_INVALID);

	struct st_rating_sum *v;
	size_t n;
	OK(store_rating_summary(s, r, &v, &n));
	assert_int_equal(n, 3);
	assert_int_equal(v[0].answer_id, xa);
	assert_int_equal(v[0].member_id, a);
	assert_int_equal(v[0].count, 2);
	assert_int_equal(v[0].assigned, 2);
	assert_true(v[0].avg > 3.49 && v[0].avg < 3.51);
	assert_int_equal(v[1].answer_id, xb);
	assert_int_equal(v[1].count, 1);
	assert_int_equal(v[1].assigned, 1);
	assert_true(v[1].avg > 2.99 && v[1].avg < 3.01);
	assert_int_equal(v[2].answer_id, xc);
	assert_int_equal(v[2].count, 0);
	assert_int_equal(v[2].assigned, 0);
	assert_true(v[2].avg == 0.0);
	free(v);

	int given = -1;
	OK(store_ratings_given(s, r, c, &given));
	assert_int_equal(given, 2);
	OK(store_ratings_given(s, r, a, &given));
	assert_int_equal(given, 0);
}

/* --- points ------------------------------------------------------------------ */

static void leaderboard(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1"), ch2 = channel(s, "C2");
	int64_t a = member(s, "UA", "Ann"), b = member(s, "UB", "Bob");
	int64_t c = member(s, "UC", "Cy"), d = member(s, "UD", "Di");
	int64_t e = member(s, "UE", "Ed"); /* never scores */
	const char *both[] = {"all", "w2026-11-23"};
	const char *all[] = {"all"};

	ledger(s, ch, a, 10, "answer", "sql", T0 + 100, both, 2);
	ledger(s, ch, b, 10, "answer", "python", T0 + 50, both, 2);
	ledger(s, ch, c, 10, "answer", "sql", T0 + 50, both, 2);
	ledger(s, ch, d, 5, "answer", "", T0 + 10, all, 1);
	ledger(s, ch, d, 0, "peer", "", T0 + 900, all, 1); /* no new total: keeps its time */
	ledger(s, ch, a, 2, "peer", "sql", T0 + 300, both, 2);
	ledger(s, ch, a, -2, "hint", "sql", T0 + 400, both, 2); /* back to 10, reached later */
	ledger(s, ch2, d, 50, "answer", "", T0, all, 1);        /* another channel */

	struct st_rank top[10], me;
	size_t n;
	OK(store_leaderboard(s, ch, "all", "", 10, d, top, &n, &me));
	assert_int_equal(n, 4);
	/* B and C tie on points and time: the lower member id goes first */
	assert_int_equal(top[0].member_id, b);
	assert_string_equal(top[0].name, "Bob");
	assert_int_equal(top[0].points, 10);
	assert_int_equal(top[0].reached_at, T0 + 50);
	assert_int_equal(top[0].rank, 1);
	assert_int_equal(top[1].member_id, c);
	assert_int_equal(top[1].rank, 2);
	assert_int_equal(top[2].member_id, a);
	assert_int_equal(top[2].reached_at, T0 + 400);
	assert_int_equal(top[2].rank, 3);
	assert_int_equal(top[3].member_id, d);
	assert_int_equal(top[3].points, 5);
	assert_int_equal(top[3].reached_at, T0 + 10);
	assert_int_equal(me.member_id, d);
	assert_int_equal(me.rank, 4);
	assert_string_equal(me.name, "Di");

	/* the caller below the shown top: counted */
	OK(store_leaderboard(s, ch, "all", "", 2, a, top, &n, &me));
	assert_int_equal(n, 2);
	assert_int_equal(me.member_id, a);
	assert_int_equal(me.rank, 3);
	assert_int_equal(me.points, 10);
	assert_int_equal(me.reached_at, T0 + 400);
	assert_string_equal(me.name, "Ann");
	OK(store_leaderboard(s, ch, "all", "", 1, d, top, &n, &me));
	assert_int_equal(me.rank, 4);
	assert_int_equal(me.points, 5);
	OK(store_leaderboard(s, ch, "all", "", 1, c, top, &n, &me));
	assert_int_equal(me.rank, 2);

	/* no row: rank 0, points 0 */
	OK(store_leaderboard(s, ch, "all", "", 3, e, top, &n, &me));
	assert_int_equal(me.rank, 0);
	assert_int_equal(me.points, 0);
	assert_int_equal(me.member_id, e);
	OK(store_leaderboard(s, ch, "all", "", 3, 9999, top, &n, &me));
	assert_int_equal(me.rank, 0);

	/* a topic's board */
	OK(store_leaderboard(s, ch, "all", "sql", 10, b, top, &n, &me));
	assert_int_equal(n, 2);
	assert_int_equal(top[0].member_id, c);
	assert_int_equal(top[1].member_id, a);
	assert_int_equal(top[1].points, 10);
	assert_int_equal(me.rank, 0);

	/* period keys are separate boards */
	OK(store_leaderboard(s, ch, "w2026-11-23", "", 10, d, top, &n, &me));
	assert_int_equal(n, 3);
	assert_int_equal(me.rank, 0);
	OK(store_leaderboard(s, ch, "m2026-11", "", 10, a, top, &n, &me));
	assert_int_equal(n, 0);
	assert_int_equal(me.rank, 0);
	OK(store_leaderboard(s, ch2, "all", "", 10, d, top, &n, &me));
	assert_int_equal(n, 1);
	assert_int_equal(me.rank, 1);
	assert_int_equal(me.points, 50);

	struct st_reason why[8];
	OK(store_points_by_reason(s, ch, a, why, 8, &n));
	assert_int_equal(n, 3);
	assert_string_equal(why[0].reason, "answer");
	assert_int_equal(why[0].points, 10);
	assert_int_equal(why[0].rows, 1);
	assert_string_equal(why[1].reason, "peer");
	assert_int_equal(why[1].points, 2);
	assert_string_equal(why[2].reason, "hint");
	assert_int_equal(why[2].points, -2);
	OK(store_points_by_reason(s, ch, a, why, 1, &n));
	assert_int_equal(n, 1);
	OK(store_points_by_reason(s, ch, e, why, 8, &n));
	assert_int_equal(n, 0);

	/* a ledger entry that cannot be recorded leaves no total behind */
	struct st_ledger bad2 = {9999, ch, 0, 7, "answer", "sql", T0};
	assert_int_equal(store_ledger_add(s, &bad2, both, 2), SB_ERR_NOTFOUND);
	OK(store_leaderboard(s, ch, "all", "", 10, 0, top, &n, NULL));
	assert_int_equal(n, 4);
}

/* Every member's rank and the top of the board, against totals kept here
 * the slow way, after random entries (negative and zero ones too) and
 * after members are forgotten. */
struct tally {
	bool has;
	long points;
	int64_t reached;
	bool gone;
};

static long brute_rank(const struct tally *t, const int64_t *ids, int n, int i)
{
	if (!t[i].has || t[i].gone)
		return 0;
	long ahead = 0;
	for (int j = 0; j < n; j++) {
		if (j == i || !t[j].has || t[j].gone)
			continue;
		if (t[j].points > t[i].points ||
		    (t[j].points == t[i].points &&
		     (t[j].reached < t[i].reached ||
		      (t[j].reached == t[i].reached && ids[j] < ids[i]))))
			ahead++;
	}
	return ahead + 1;
}

static void check_board(struct store *s, int64_t ch, const struct tally *t, const int64_t *ids,
                        int n)
{
	for (int i = 0; i < n; i++) {
		struct st_rank top[5], me;
		size_t ntop;
		OK(store_leaderboard(s, ch, "all", "", 5, ids[i], top, &ntop, &me));
		long want = brute_rank(t, ids, n, i);
		if (me.rank != want)
			fail_msg("member %d: rank %ld, want %ld", i, me.rank, want);
		assert_int_equal(me.points, want ? t[i].points : 0);
		for (size_t k = 0; k < ntop; k++) {
			int j = (int)(top[k].member_id - ids[0]);
			assert_int_equal(brute_rank(t, ids, n, j), (long)k + 1);
			assert_int_equal(top[k].points, t[j].points);
			assert_int_equal(top[k].reached_at, t[j].reached);
		}
	}
}

static void leaderboard_random(void **state)
{
	struct store *s = S(state);
	enum { N = 30 };
	int64_t ch = channel(s, "C1"), ids[N];
	struct tally t[N];
	memset(t, 0, sizeof t);
	OK(store_begin(s));
	for (int i = 0; i < N; i++) {
		char ext[16];
		snprintf(ext, sizeof ext, "U%02d", i);
		ids[i] = member(s, ext, ext);
		if (i)
			assert_int_equal(ids[i], ids[i - 1] + 1);
	}
	const char *periods[] = {"all", "w1"};
	uint32_t x = 2463534242u;
	for (int k = 0; k < 600; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		int i = (int)(x % N);
		int points = (int)((x >> 8) % 9) - 2;        /* -2..6: ties, zeros, drops */
		int64_t at = T0 + (int64_t)((x >> 16) % 50); /* equal times happen too */
		ledger(s, ch, ids[i], points, "answer", (x & 1) ? "sql" : "", at, periods, 2);
		if (!t[i].has || points != 0)
			t[i].reached = at;
		t[i].has = true;
		t[i].points += points;
	}
	OK(store_commit(s));
	check_board(s, ch, t, ids, N);
	for (int i = 0; i < N; i += 7) {
		OK(store_forget_member(s, ids[i]));
		t[i].gone = true;
	}
	check_board(s, ch, t, ids, N);
}

static void topic_stats_and_best(void **state)
{
	struct store *s = S(state);
	struct bank_question q[2];
	bank_q(&q[0], "q-sql", "sql", 1, "1111111111111111");
	bank_q(&q[1], "q-py", "python", 1, "2222222222222222");
	sync_bank(s, q, 2, T0);
	int64_t ch = channel(s, "C1");
	int64_t r1 = round_new(s, ch, "d1", "q-sql", T0, ROUND_CLOSED);
	int64_t r2 = round_new(s, ch, "d2", "q-py", T0 + 86400, ROUND_CLOSED);
	int64_t r3 = round_new(s, ch, "d3", "q-sql", T0 + 2 * 86400, ROUND_CLOSED);
	int64_t r4 = round_new(s, ch, "d4", "q-sql", T0 + 3 * 86400, ROUND_CLOSED);
	int64_t m = member(s, "UM", "Mo"), x = member(s, "UX", "Xi"), y = member(s, "UY", "Yu");

	int64_t m1 = answer_put(s, r1, m, "m1", false, T0);
	answer_put(s, r2, m, "m2", false, T0 + 86400);
	int64_t m3 = answer_put(s, r3, m, "m3", true, T0 + 2 * 86400); /* late */
	int64_t m4 = answer_put(s, r4, m, "m4", false, T0 + 3 * 86400);
	int64_t x1 = answer_put(s, r1, x, "x1", false, T0);
	int64_t y1 = answer_put(s, r1, y, "y1", false, T0);
	int64_t x2 = answer_put(s, r2, x, "x2", false, T0);
	bool rep;
	OK(store_rating_put(s, m1, x, 4, T0, &rep));
	OK(store_rating_put(s, m1, y, 2, T0, &rep));
	OK(store_rating_put(s, m3, x, 5, T0, &rep));
	OK(store_rating_put(s, m4, x, 5, T0, &rep));
	OK(store_rating_put(s, x1, m, 5, T0, &rep));
	OK(store_rating_put(s, y1, m, 5, T0, &rep));
	OK(store_rating_put(s, y1, x, 5, T0, &rep));
	OK(store_rating_put(s, x2, m, 1, T0, &rep));

	struct st_topic_stat *t;
	size_t n;
	OK(store_topic_stats(s, ch, m, &t, &n));
	assert_int_equal(n, 2);
	assert_string_equal(t[0].topic, "python");
	assert_int_equal(t[0].answered, 1);
	assert_int_equal(t[0].rated, 0);
	assert_true(t[0].avg == 0.0);
	assert_string_equal(t[1].topic, "sql");
	assert_int_equal(t[1].answered, 2); /* m1, m4; the late m3 does not count */
	assert_int_equal(t[1].rated, 2);
	assert_true(t[1].avg > 3.99 && t[1].avg < 4.01); /* (3 + 5) / 2 */
	free(t);

	/* rounds d1, d2 only */
	struct st_best best[5];
	OK(store_best_answers(s, ch, T0, T0 + 2 * 86400, 5, best, &n));
	assert_int_equal(n, 4);
	assert_int_equal(best[0].answer_id, y1); /* 5.0 from two */
	assert_int_equal(best[0].count, 2);
	assert_string_equal(best[0].name, "Yu");
	assert_string_equal(best[0].qid, "q-sql");
	assert_int_equal(best[0].round_id, r1);
	assert_int_equal(best[0].member_id, y);
	assert_int_equal(best[1].answer_id, x1); /* 5.0 from one */
	assert_int_equal(best[2].answer_id, m1);
	assert_true(best[2].avg > 2.99 && best[2].avg < 3.01);
	assert_int_equal(best[3].answer_id, x2);
	OK(store_best_answers(s, ch, T0, T0 + 2 * 86400, 2, best, &n));
	assert_int_equal(n, 2);
	OK(store_best_answers(s, ch, T0 + 10 * 86400, T0 + 11 * 86400, 5, best, &n));
	assert_int_equal(n, 0);
}

/* --- streaks, reminders, cards ------------------------------------------------ */

static void streaks(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1"), ch2 = channel(s, "C2");
	int64_t a = member(s, "UA", "A"), b = member(s, "UB", "B"), c = member(s, "UC", "C");
	int64_t r = round_new(s, ch, "d1", "q", T0, ROUND_CLOSED);
	struct st_streak k;
	OK(store_streak_get(s, a, ch, &k));
	assert_int_equal(k.current, 0);
	assert_int_equal(k.best, 0);
	assert_int_equal(k.freezes, 0);
	assert_int_equal(k.last_round_id, 0);

	struct st_streak put[] = {
	    {a, ch, 3, 5, 1, r}, {b, ch, 3, 7, 0, r}, {c, ch, 1, 9, 2, 0}, {a, ch2, 8, 8, 0, 0}};
	for (size_t i = 0; i < 4; i++)
		OK(store_streak_put(s, &put[i]));
	put[0].freezes = 0;
	put[0].current = 4;
	OK(store_streak_put(s, &put[0]));
	OK(store_streak_get(s, a, ch, &k));
	assert_int_equal(k.current, 4);
	assert_int_equal(k.best, 5);
	assert_int_equal(k.freezes, 0);
	assert_int_equal(k.last_round_id, r);

	put[0].current = 3;
	OK(store_streak_put(s, &put[0]));
	struct st_streak *v;
	size_t n;
	OK(store_streaks(s, ch, &v, &n));
	assert_int_equal(n, 3);
	assert_int_equal(v[0].member_id, b); /* 3 days, best 7 */
	assert_int_equal(v[1].member_id, a); /* 3 days, best 5 */
	assert_int_equal(v[2].member_id, c);
	assert_int_equal(v[2].freezes, 2);
	assert_int_equal(v[2].channel_id, ch);
	free(v);
}

static void reminders(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1"), ch2 = channel(s, "C2");
	int64_t a = member(s, "UA", "A"), b = member(s, "UB", "B"), c = member(s, "UC", "C");
	OK(store_remind_set(s, c, ch, true));
	OK(store_remind_set(s, a, ch, true));
	OK(store_remind_set(s, a, ch, true));
	OK(store_remind_set(s, b, ch, true));
	OK(store_remind_set(s, b, ch, false));
	OK(store_remind_set(s, b, ch, false));
	OK(store_remind_set(s, b, ch2, true));
	int64_t *v;
	size_t n;
	OK(store_remind_members(s, ch, &v, &n));
	assert_int_equal(n, 2);
	assert_int_equal(v[0], a);
	assert_int_equal(v[1], c);
	free(v);
	OK(store_remind_members(s, ch2, &v, &n));
	assert_int_equal(n, 1);
	assert_int_equal(v[0], b);
	free(v);
}

static void cards(void **state)
{
	struct store *s = S(state);
	int64_t a = member(s, "UA", "A"), b = member(s, "UB", "B");
	struct st_card c[] = {
	    {a, "q1", 2.5, 1, 1, T0 + 100, 4}, {a, "q2", 1.3, 0, 1, T0 + 200, 1},
	    {a, "q3", 1.3, 0, 1, T0 + 150, 2}, {a, "q4", 1.1, 0, 1, T0 + 500, 0},
	    {b, "q1", 1.0, 0, 1, T0, 0},
	};
	for (size_t i = 0; i < 5; i++)
		OK(store_card_put(s, &c[i]));
	struct st_card got;
	OK(store_card_due(s, a, T0 + 300, &got)); /* q4 is weaker, but not due */
	assert_string_equal(got.qid, "q3");       /* same ef as q2, more overdue */
	assert_int_equal(got.member_id, a);
	assert_true(got.ef > 1.29 && got.ef < 1.31);
	assert_int_equal(got.due, T0 + 150);
	assert_int_equal(got.last_q, 2);
	OK(store_card_due(s, a, T0 + 500, &got));
	assert_string_equal(got.qid, "q4");
	assert_int_equal(store_card_due(s, a, T0 + 99, &got), SB_ERR_NOTFOUND);

	c[3].ef = 2.0;
	c[3].reps = 3;
	c[3].interval_days = 6;
	c[3].due = T0 + 9000;
	c[3].last_q = 5;
	OK(store_card_put(s, &c[3]));
	OK(store_card_get(s, a, "q4", &got));
	assert_string_equal(got.qid, "q4");
	assert_true(got.ef > 1.99 && got.ef < 2.01);
	assert_int_equal(got.reps, 3);
	assert_int_equal(got.interval_days, 6);
	assert_int_equal(got.due, T0 + 9000);
	assert_int_equal(got.last_q, 5);
	assert_int_equal(store_card_get(s, b, "q4", &got), SB_ERR_NOTFOUND);
}

/* --- outbox and once ------------------------------------------------------------ */

static void outbox(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1");
	int64_t r = round_new(s, ch, "d1", "q", T0, ROUND_OPEN);
	struct st_outbox o;
	memset(&o, 0, sizeof o);
	o.channel_id = ch;
	o.round_id = r;
	snprintf(o.kind, sizeof o.kind, "question");
	snprintf(o.nonce, sizeof o.nonce, "n0000000000000000000000001");
	o.payload = "{\"content\":\"What is an index?\"}";
	o.created_at = T0;
	OK(store_outbox_add(s, &o));
	int64_t first = o.id;
	assert_true(first > 0);
	assert_int_equal(store_outbox_add(s, &o), SB_ERR_INVALID); /* the nonce again */
	snprintf(o.nonce, sizeof o.nonce, "n0000000000000000000000002");
	snprintf(o.kind, sizeof o.kind, "dm");
	o.round_id = 0;
	o.payload = (char *)evil;
	OK(store_outbox_add(s, &o));
	int64_t second = o.id;
	o.nonce[0] = '\0';
	assert_int_equal(store_outbox_add(s, &o), SB_ERR_INVALID);

	struct st_outbox *v;
	size_t n;
	OK(store_outbox_pending(s, &v, &n));
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, first);
	assert_int_equal(v[0].channel_id, ch);
	assert_int_equal(v[0].round_id, r);
	assert_string_equal(v[0].kind, "question");
	assert_string_equal(v[0].nonce, "n0000000000000000000000001");
	assert_string_equal(v[0].payload, "{\"content\":\"What is an index?\"}");
	assert_int_equal(v[0].created_at, T0);
	assert_int_equal(v[1].round_id, 0);
	assert_string_equal(v[1].payload, evil);
	store_outbox_free(v, n);

	OK(store_outbox_done(s, first, "1111", T0 + 5));
	OK(store_outbox_done(s, second, NULL, T0 + 5));
	assert_int_equal(store_outbox_done(s, 9999, "x", T0), SB_ERR_NOTFOUND);
	OK(store_outbox_pending(s, &v, &n));
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
}

static void once(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1"), ch2 = channel(s, "C2");
	bool first = false;
	OK(store_once(s, ch, "recap:w2026-11-23", T0, &first));
	assert_true(first);
	OK(store_once(s, ch, "recap:w2026-11-23", T0 + 1, &first));
	assert_false(first);
	OK(store_once(s, ch2, "recap:w2026-11-23", T0, &first));
	assert_true(first);
	OK(store_once(s, ch, "recap:w2026-11-30", T0, &first));
	assert_true(first);
	OK(store_once(s, ch, evil, T0, &first));
	assert_true(first);
}

/* --- export ----------------------------------------------------------------------- */

struct rows {
	size_t n;
	int ncols[16];
	char *cell[16][10];
	size_t stop_after; /* fail on this row (1-based); 0 = never */
};

static enum sb_rc capture(void *ud, int ncols, const char *const *cols)
{
	struct rows *r = ud;
	if (r->stop_after && r->n + 1 == r->stop_after)
		return SB_ERR_IO;
	assert_true(r->n < 16 && ncols <= 10);
	r->ncols[r->n] = ncols;
	for (int i = 0; i < ncols; i++)
		r->cell[r->n][i] = strdup(cols[i]);
	r->n++;
	return SB_OK;
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		for (int j = 0; j < r->ncols[i]; j++)
			free(r->cell[i][j]);
	memset(r, 0, sizeof *r);
}

static void check_row(const struct rows *r, size_t i, int ncols, const char *const *want)
{
	assert_true(i < r->n);
	assert_int_equal(r->ncols[i], ncols);
	for (int j = 0; j < ncols; j++)
		if (strcmp(r->cell[i][j], want[j]) != 0)
			fail_msg("row %zu col %d: [%s], want [%s]", i, j, r->cell[i][j], want[j]);
}

static void export(void **state)
{
	struct store *s = S(state);
	static const char name[] = "Ann \"the, best\"\nSmith";
	static const char text[] = "He said \"hi\", then\nleft; =1+1";
	int64_t ch = channel(s, "C1"), ch2 = channel(s, "C2");
	int64_t r = round_new(s, ch, "2025-11-24", "q-sql", T0, ROUND_REVIEW);
	int64_t r2 = round_new(s, ch2, "2025-11-24", "q-sql", T0, ROUND_REVIEW);
	int64_t a = member(s, "U1", name), b = member(s, "U2", "Bo");
	int64_t xa = answer_put(s, r, a, text, false, T0);
	struct st_answer x;
	memset(&x, 0, sizeof x);
	x.round_id = r;
	x.member_id = b;
	x.choice = 1;
	x.late = true;
	x.created_at = x.updated_at = T0 + 3600;
	bool created;
	OK(store_answer_put(s, &x, &created));
	answer_put(s, r2, b, "elsewhere", false, T0);
	OK(store_answer_set_label(s, xa, 28, 0));
	bool rep;
	OK(store_rating_put(s, xa, b, 4, T0 + 3600, &rep));
	OK(store_rating_put(s, x.id, a, 2, T0 + 3600, &rep));
	const char *all[] = {"all"};
	struct st_ledger e = {a, ch, r, 10, "answer", "sql", T0 + 3600};
	OK(store_ledger_add(s, &e, all, 1));
	struct st_ledger e2 = {b, ch, 0, 3, "streak", "", T0};
	OK(store_ledger_add(s, &e2, all, 1));
	struct st_ledger e3 = {b, ch2, 0, 3, "streak", "", T0};
	OK(store_ledger_add(s, &e3, all, 1));

	struct rows rows;
	memset(&rows, 0, sizeof rows);
	OK(store_export(s, ch, "answers", capture, &rows));
	assert_int_equal(rows.n, 3);
	check_row(&rows, 0, 10,
	          (const char *[]){"round_slot", "question", "member_id", "member_name", "answer",
	                           "late", "edits", "submitted_at", "avg_rating", "ratings"});
	check_row(&rows, 1, 10,
	          (const char *[]){"2025-11-24", "q-sql", "U1", name, text, "0", "0",
	                           "2025-11-24T16:00:00Z", "4.00", "1"});
	check_row(&rows, 2, 10,
	          (const char *[]){"2025-11-24", "q-sql", "U2", "Bo", "choice 2", "1", "0",
	                           "2025-11-24T17:00:00Z", "2.00", "1"});
	rows_free(&rows);

	OK(store_export(s, ch, "ratings", capture, &rows));
	assert_int_equal(rows.n, 3);
	check_row(&rows, 0, 7,
	          (const char *[]){"round_slot", "question", "answer_label", "author", "rater",
	                           "stars", "at"});
	check_row(
	    &rows, 1, 7,
	    (const char *[]){"2025-11-24", "q-sql", "AB", "U1", "U2", "4", "2025-11-24T17:00:00Z"});
	check_row(
	    &rows, 2, 7,
	    (const char *[]){"2025-11-24", "q-sql", "", "U2", "U1", "2", "2025-11-24T17:00:00Z"});
	rows_free(&rows);

	OK(store_export(s, ch, "ledger", capture, &rows));
	assert_int_equal(rows.n, 3);
	check_row(&rows, 0, 7,
	          (const char *[]){"at", "member_id", "member_name", "points", "reason", "topic",
	                           "round_slot"});
	check_row(&rows, 1, 7,
	          (const char *[]){"2025-11-24T17:00:00Z", "U1", name, "10", "answer", "sql",
	                           "2025-11-24"});
	check_row(&rows, 2, 7,
	          (const char *[]){"2025-11-24T16:00:00Z", "U2", "Bo", "3", "streak", "", ""});
	rows_free(&rows);

	/* the callback's error stops the export and comes back */
	rows.stop_after = 2;
	assert_int_equal(store_export(s, ch, "answers", capture, &rows), SB_ERR_IO);
	assert_int_equal(rows.n, 1);
	rows_free(&rows);
	assert_int_equal(store_export(s, ch, "members", capture, &rows), SB_ERR_INVALID);
	assert_int_equal(rows.n, 0);

	/* a channel with nothing: the header alone */
	int64_t ch3 = channel(s, "C3");
	OK(store_export(s, ch3, "ledger", capture, &rows));
	assert_int_equal(rows.n, 1);
	rows_free(&rows);
}

/* --- forget-me ----------------------------------------------------------------------- */

static void forget(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, "C1");
	int64_t r = round_new(s, ch, "d1", "q", T0, ROUND_REVIEW);
	int64_t gone = member(s, "UG", "Gone Soon"), stay = member(s, "US", "Stays");
	const char *both[] = {"all", "d1"};

	int64_t xg = answer_put(s, r, gone, "mine", false, T0);
	int64_t xs = answer_put(s, r, stay, "theirs", false, T0);
	bool rep;
	OK(store_rating_put(s, xs, gone, 5, T0, &rep)); /* given */
	OK(store_rating_put(s, xg, stay, 3, T0, &rep)); /* received */
	OK(store_review_assign(s, r, gone, xs, T0));
	OK(store_review_assign(s, r, stay, xg, T0));
	OK(store_hint_take(s, r, gone, 1, T0));
	OK(store_hint_take(s, r, stay, 1, T0));
	ledger(s, ch, gone, 10, "answer", "sql", T0, both, 2);
	ledger(s, ch, stay, 7, "answer", "sql", T0, both, 2);
	struct st_streak k1 = {gone, ch, 2, 2, 0, r}, k2 = {stay, ch, 1, 1, 0, r};
	OK(store_streak_put(s, &k1));
	OK(store_streak_put(s, &k2));
	OK(store_remind_set(s, gone, ch, true));
	OK(store_remind_set(s, stay, ch, true));
	struct st_card c1 = {gone, "q", 2.5, 0, 0, T0, 0}, c2 = {stay, "q", 2.5, 0, 0, T0, 0};
	OK(store_card_put(s, &c1));
	OK(store_card_put(s, &c2));

	OK(store_forget_member(s, gone));
	assert_int_equal(store_forget_member(s, 9999), SB_ERR_NOTFOUND);

	struct st_member m;
	OK(store_member_get(s, gone, &m)); /* the row stays, nameless */
	assert_string_equal(m.name, "");
	assert_string_equal(m.ext_id, "UG");
	OK(store_member_get(s, stay, &m));
	assert_string_equal(m.name, "Stays");

	struct st_answer *v;
	size_t n;
	OK(store_answers(s, r, &v, &n));
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, xs);
	store_answers_free(v, n);
	struct st_rating_sum *sum;
	OK(store_rating_summary(s, r, &sum, &n));
	assert_int_equal(n, 1);
	assert_int_equal(sum[0].count, 0);
	assert_int_equal(sum[0].assigned, 0);
	free(sum);
	int cnt;
	OK(store_ratings_given(s, r, stay, &cnt));
	assert_int_equal(cnt, 0); /* their rating was on the forgotten answer */
	OK(store_hints_taken(s, r, gone, &cnt));
	assert_int_equal(cnt, 0);
	OK(store_hints_taken(s, r, stay, &cnt));
	assert_int_equal(cnt, 1);

	struct st_rank top[5], me;
	OK(store_leaderboard(s, ch, "all", "", 5, gone, top, &n, &me));
	assert_int_equal(n, 1);
	assert_int_equal(top[0].member_id, stay);
	assert_int_equal(top[0].points, 7);
	assert_int_equal(me.rank, 0);
	OK(store_leaderboard(s, ch, "d1", "sql", 5, stay, top, &n, &me));
	assert_int_equal(n, 1);
	assert_int_equal(me.rank, 1);
	struct st_reason why[4];
	OK(store_points_by_reason(s, ch, gone, why, 4, &n));
	assert_int_equal(n, 0);
	OK(store_points_by_reason(s, ch, stay, why, 4, &n));
	assert_int_equal(n, 1);

	struct st_streak k;
	OK(store_streak_get(s, gone, ch, &k));
	assert_int_equal(k.current, 0);
	OK(store_streak_get(s, stay, ch, &k));
	assert_int_equal(k.current, 1);
	int64_t *ids;
	OK(store_remind_members(s, ch, &ids, &n));
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], stay);
	free(ids);
	struct st_card c;
	assert_int_equal(store_card_due(s, gone, T0, &c), SB_ERR_NOTFOUND);
	OK(store_card_due(s, stay, T0, &c));

	char val[64];
	if (raw_text(state,
	             "SELECT (SELECT count(*) FROM score) || '/' || (SELECT count(*) FROM ledger) "
	             "|| '/' || (SELECT count(*) FROM review_assignment) || '/' || "
	             "(SELECT count(*) FROM rating)",
	             val, sizeof val))
		assert_string_equal(val, "4/1/0/0");
}

/* --- transactions ------------------------------------------------------------------ */

static bool has_member(struct store *s, const char *ext)
{
	struct st_member m;
	enum sb_rc rc = store_member_by_ext(s, ext, &m);
	assert_true(rc == SB_OK || rc == SB_ERR_NOTFOUND);
	return rc == SB_OK;
}

static void transactions(void **state)
{
	struct store *s = S(state);
	int64_t id;
	OK(store_begin(s));
	OK(store_member(s, "n1", "one", &id));
	OK(store_begin(s));
	OK(store_member(s, "n2", "two", &id));
	store_rollback(s); /* undoes n2 only */
	OK(store_begin(s));
	OK(store_member(s, "n3", "three", &id));
	OK(store_begin(s));
	OK(store_member(s, "n4", "four", &id));
	OK(store_commit(s));
	OK(store_begin(s));
	OK(store_member(s, "n5", "five", &id));
	store_rollback(s);
	OK(store_commit(s));
	/* a write that fails inside a batch undoes itself, not the batch */
	const char *all[] = {"all"};
	struct st_ledger bad = {9999, 9999, 0, 1, "answer", "", T0};
	assert_int_equal(store_ledger_add(s, &bad, all, 1), SB_ERR_NOTFOUND);
	OK(store_member(s, "n6", "six", &id));
	OK(store_commit(s));
	assert_true(has_member(s, "n1"));
	assert_false(has_member(s, "n2"));
	assert_true(has_member(s, "n3"));
	assert_true(has_member(s, "n4"));
	assert_false(has_member(s, "n5"));
	assert_true(has_member(s, "n6"));

	OK(store_begin(s));
	OK(store_member(s, "n7", "seven", &id));
	OK(store_begin(s));
	OK(store_member(s, "n8", "eight", &id));
	OK(store_commit(s));
	store_rollback(s); /* the outer level takes the committed inner one with it */
	assert_false(has_member(s, "n7"));
	assert_false(has_member(s, "n8"));

	assert_int_equal(store_commit(s), SB_ERR_USAGE);
	store_rollback(s); /* nothing open: nothing happens */
	OK(store_begin(s));
	OK(store_commit(s));
}

static void injection_shaped_text(void **state)
{
	struct store *s = S(state);
	int64_t ch = channel(s, evil);
	int64_t m = member(s, evil, evil);
	int64_t r = round_new(s, ch, evil, evil, T0, ROUND_OPEN);
	answer_put(s, r, m, evil, false, T0);
	bool first;
	OK(store_once(s, ch, evil, T0, &first));

	struct st_member got;
	OK(store_member_by_ext(s, evil, &got));
	assert_string_equal(got.name, evil);
	struct st_answer a;
	OK(store_answer_get(s, r, m, &a));
	assert_string_equal(a.text, evil);
	store_answer_clear(&a);
	struct st_round rr;
	OK(store_round_by_slot(s, ch, evil, &rr));
	assert_string_equal(rr.qid, evil);
	struct st_channel c;
	OK(store_channel_get(s, evil, &c));
	assert_int_equal(c.id, ch);
	const char *periods[] = {evil};
	struct st_ledger e = {m, ch, r, 1, evil, evil, T0};
	OK(store_ledger_add(s, &e, periods, 1));
	struct st_rank top[1];
	size_t n;
	OK(store_leaderboard(s, ch, evil, evil, 1, 0, top, &n, NULL));
	assert_int_equal(n, 1);
	assert_string_equal(top[0].name, evil);
	struct st_answer *v;
	OK(store_answers(s, r, &v, &n)); /* the table is still there */
	assert_int_equal(n, 1);
	store_answers_free(v, n);
}

/* --- migrations ------------------------------------------------------------------- */

static void reopen_keeps_data(void **state)
{
	(void)state;
	char path[600], err[512];
	temp_path(path, sizeof path);
	struct store *s;
	OK(store_open(path, &s, err, sizeof err));
	int version = store_schema_version(s);
	assert_true(version >= 1);
	int64_t id = member(s, "U1", "Keeps");
	store_close(s);

	OK(store_open(path, &s, err, sizeof err));
	assert_int_equal(store_schema_version(s), version);
	struct st_member m;
	OK(store_member_by_ext(s, "U1", &m));
	assert_int_equal(m.id, id);
	assert_string_equal(m.name, "Keeps");
	store_close(s);

	/* the file itself is sound and in WAL */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	remove_db(path);
}

static void newer_database_refused(void **state)
{
	(void)state;
	char path[600], err[512] = "";
	temp_path(path, sizeof path);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE future (x); PRAGMA user_version = 9999;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);

	struct store *s = (struct store *)&err; /* must come back NULL */
	assert_int_equal(store_open(path, &s, err, sizeof err), SB_ERR_INVALID);
	assert_null(s);
	assert_non_null(strstr(err, "9999"));
	assert_non_null(strstr(err, "newer"));

	/* and left as it was, journal mode included */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 9999);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "delete");
	sqlite3_finalize(st);
	sqlite3_close(db);
	remove_db(path);

	/* not a database at all */
	temp_path(path, sizeof path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a database, but it is long enough to look like a header\n", f);
	fclose(f);
	assert_int_equal(store_open(path, &s, err, sizeof err), SB_ERR_IO);
	assert_non_null(strstr(err, path));
	remove_db(path);

	assert_int_equal(store_open("postgres://db/studybot", &s, err, sizeof err), SB_ERR_INVALID);
	assert_int_equal(store_open("", &s, err, sizeof err), SB_ERR_INVALID);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(members),
	    T(channels),
	    T(questions_sync),
	    T(questions_added),
	    T(rounds),
	    T(answers),
	    T(hints),
	    T(ratings),
	    T(leaderboard),
	    T(leaderboard_random),
	    T(topic_stats_and_best),
	    T(streaks),
	    T(reminders),
	    T(cards),
	    T(outbox),
	    T(once),
	    T(export),
	    T(forget),
	    T(transactions),
	    T(injection_shaped_text),
	    T(reopen_keeps_data),
	    T(newer_database_refused),
	};
#undef T
	int failed =
	    cmocka_run_group_tests_name("store on :memory:", tests, group_memory, group_teardown);
	failed += cmocka_run_group_tests_name("store on a file", tests, group_file, group_teardown);
	return failed;
}
