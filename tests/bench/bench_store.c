/* Store benchmark (tests/bench/run runs it; ctest does not): leaderboard
 * reads on one large channel, and how many answers per second can be
 * recorded durably (synchronous=FULL, as shipped). Prints figures, asserts
 * nothing.
 *
 * usage: bench_store [DIR]
 * DIR holds the databases (default: a fresh directory under $TMPDIR or
 * /tmp, removed afterwards). A DIR given keeps the leaderboard database,
 * and a later run on the same DIR reads it instead of building it again.
 * The disk under DIR is what the write figures measure. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define MEMBERS       100000
#define LEDGER_ROWS   1000000
#define BATCH         50000
#define BOARD_CALLS   1000
#define ANSWERS       20000
#define ROUND_MEMBERS 100 /* answers per round */
#define GROUP         100 /* answers per outer commit, grouped mode */
#define DAY           86400
#define T0            1764000000

static const char *const topics[] = {"python", "django", "sql",   "postgres",
                                     "http",   "redis",  "linux", "algorithms"};

static uint64_t rng_state = 0x5eed2026u;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int die(struct store *s, const char *what)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, s ? store_errmsg(s) : "");
	store_close(s);
	return 1;
}

static void remove_db(const char *path);

static int open_db(const char *dir, const char *name, bool fresh, char *path, size_t pathsz,
                   struct store **s)
{
	char err[512];
	int len = snprintf(path, pathsz, "%s/%s", dir, name);
	if (len < 0 || (size_t)len >= pathsz) {
		fprintf(stderr, "bench_store: %s: path too long\n", dir);
		return 1;
	}
	if (fresh)
		remove_db(path);
	if (store_open(path, s, err, sizeof err)) {
		fprintf(stderr, "bench_store: %s\n", err);
		return 1;
	}
	return 0;
}

static void remove_db(const char *path)
{
	char p[1100];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

static enum sb_rc make_channel(struct store *s, int64_t *id)
{
	struct st_channel c;
	memset(&c, 0, sizeof c);
	snprintf(c.ext_id, sizeof c.ext_id, "bench");
	c.schedule.days = SCHED_ALL_DAYS;
	c.schedule.secs = 9 * 3600;
	snprintf(c.timezone, sizeof c.timezone, "UTC");
	c.diff_min = 1;
	c.diff_max = 3;
	c.created_at = T0;
	enum sb_rc rc = store_channel_put(s, &c);
	*id = c.id;
	return rc;
}

/* Whether board.db holds a whole build already (the mark is committed with
 * the build's last rows): building takes minutes, reading it back does not. */
static bool board_built(struct store *s, int64_t *ch)
{
	struct st_channel c;
	if (store_channel_get(s, "bench", &c))
		return false;
	*ch = c.id;
	bool first = true;
	if (store_begin(s))
		return false;
	if (store_once(s, c.id, "built", T0, &first) || first) {
		store_rollback(s);
		return false;
	}
	store_commit(s);
	return true;
}

static int build_board(struct store *s, int64_t *ch)
{
	double t = now_s();
	if (store_begin(s) || make_channel(s, ch))
		return die(s, "channel");
	for (int i = 0; i < MEMBERS; i++) {
		char ext[32], name[32];
		int64_t id;
		snprintf(ext, sizeof ext, "U%d", 100000000 + i);
		snprintf(name, sizeof name, "member %d", i);
		if (store_member(s, ext, name, &id))
			return die(s, "members");
	}
	if (store_commit(s))
		return die(s, "members");
	for (int i = 0; i < LEDGER_ROWS; i++) {
		if (i % BATCH == 0 && store_begin(s))
			return die(s, "ledger");
		/* in time order, as a ledger grows: only the all-time boards
		 * see every member at once */
		int64_t at = T0 + (int64_t)i * (90 * DAY) / LEDGER_ROWS;
		int64_t day = at / DAY;
		char d[24], w[24], m[24];
		snprintf(d, sizeof d, "d%lld", (long long)day);
		snprintf(w, sizeof w, "w%lld", (long long)(day / 7));
		snprintf(m, sizeof m, "m%lld", (long long)(day / 30));
		const char *periods[] = {"all", d, w, m};
		/* members were created first, so their ids are 1..MEMBERS */
		struct st_ledger e = {1 + (int64_t)rnd(MEMBERS),
		                      *ch,
		                      0,
		                      1 + (int)rnd(20),
		                      "answer",
		                      topics[rnd(8)],
		                      at};
		if (store_ledger_add(s, &e, periods, 4))
			return die(s, "ledger");
		bool first;
		if (i + 1 == LEDGER_ROWS && store_once(s, *ch, "built", T0, &first))
			return die(s, "ledger");
		if (((i + 1) % BATCH == 0 || i + 1 == LEDGER_ROWS) && store_commit(s))
			return die(s, "ledger");
	}
	printf("store_build_s seconds=%.1f members=%d ledger_rows=%d\n", now_s() - t, MEMBERS,
	       LEDGER_ROWS);
	return 0;
}

/* (a) 100k members, 1M ledger rows over 90 days and 8 topics, each row
 * counted into all-time, day, week and month totals; then top 10 plus a
 * random caller's rank on the all-time board, the largest there is. */
static int bench_leaderboard(const char *dir, bool keep)
{
	char path[1024];
	struct store *s;
	if (open_db(dir, "board.db", false, path, sizeof path, &s))
		return 1;
	int64_t ch;
	if (board_built(s, &ch)) {
		printf("store_build reused=%s\n", path);
	} else {
		/* whatever an interrupted build left would be counted twice */
		store_close(s);
		if (open_db(dir, "board.db", true, path, sizeof path, &s) || build_board(s, &ch))
			return 1;
	}

	double *ms = malloc(BOARD_CALLS * sizeof *ms);
	if (!ms)
		return die(s, "out of memory");
	struct st_rank top[10], me;
	size_t n;
	long ranked = 0;
	rng_state = 0xca11e25u; /* the same callers whether built or reused */
	for (int i = 0; i < BOARD_CALLS; i++) {
		int64_t caller = 1 + (int64_t)rnd(MEMBERS);
		double t0 = now_s();
		if (store_leaderboard(s, ch, "all", "", 10, caller, top, &n, &me))
			return die(s, "leaderboard");
		ms[i] = (now_s() - t0) * 1000.0;
		ranked += me.rank > 0;
	}
	double sum = 0;
	for (int i = 0; i < BOARD_CALLS; i++)
		sum += ms[i];
	qsort(ms, BOARD_CALLS, sizeof *ms, cmp_double);
	printf("leaderboard_top10_plus_rank_ms mean=%.3f p99=%.3f max=%.3f members=%d "
	       "ledger_rows=%d calls=%d callers_ranked=%ld\n",
	       sum / BOARD_CALLS, ms[BOARD_CALLS * 99 / 100 - 1], ms[BOARD_CALLS - 1], MEMBERS,
	       LEDGER_ROWS, BOARD_CALLS, ranked);
	free(ms);
	store_close(s);
	if (!keep)
		remove_db(path);
	return 0;
}

/* Members and rounds for `count` answers, each a fresh (round, member) pair. */
static int answer_setup(struct store *s, int64_t ch, const char *tag, int count, int64_t *rounds,
                        int64_t *members)
{
	if (store_begin(s))
		return 1;
	for (int i = 0; i < ROUND_MEMBERS; i++) {
		char ext[32];
		snprintf(ext, sizeof ext, "A%d", i);
		if (store_member(s, ext, "answerer", &members[i]))
			return 1;
	}
	for (int i = 0; i < count / ROUND_MEMBERS; i++) {
		struct st_round r;
		memset(&r, 0, sizeof r);
		r.channel_id = ch;
		snprintf(r.slot, sizeof r.slot, "%s-%d", tag, i);
		snprintf(r.qid, sizeof r.qid, "q-%d", i);
		r.state = ROUND_OPEN;
		r.scheduled_at = T0 + (int64_t)i * DAY;
		if (store_round_create(s, &r))
			return 1;
		rounds[i] = r.id;
	}
	return store_commit(s) ? 1 : 0;
}

static enum sb_rc put_answer(struct store *s, int64_t round, int64_t member, int i)
{
	char text[256];
	snprintf(text, sizeof text,
	         "Answer %d: an index turns a scan into a search, at the cost of every write.", i);
	struct st_answer a;
	memset(&a, 0, sizeof a);
	a.round_id = round;
	a.member_id = member;
	a.text = text;
	a.choice = -1;
	a.created_at = a.updated_at = T0 + i;
	bool created;
	return store_answer_put(s, &a, &created);
}

/* (b) answers per second, each its own transaction (one sync each), and
 * grouped as the event loop does: a savepoint per answer inside one outer
 * transaction per loop turn. */
static int bench_answers(const char *dir)
{
	char path[1024];
	struct store *s;
	if (open_db(dir, "answers.db", true, path, sizeof path, &s))
		return 1;
	int64_t ch, members[ROUND_MEMBERS];
	int64_t *rounds = malloc(ANSWERS / ROUND_MEMBERS * sizeof *rounds);
	if (!rounds)
		return die(s, "out of memory");
	if (make_channel(s, &ch))
		return die(s, "channel");

	if (answer_setup(s, ch, "each", ANSWERS, rounds, members))
		return die(s, "setup");
	double t = now_s();
	for (int i = 0; i < ANSWERS; i++) {
		if (store_begin(s) ||
		    put_answer(s, rounds[i / ROUND_MEMBERS], members[i % ROUND_MEMBERS], i) ||
		    store_commit(s))
			return die(s, "answer");
	}
	double each = now_s() - t;
	printf("answers_per_s mode=tx_each rate=%.0f n=%d seconds=%.2f synchronous=FULL\n",
	       ANSWERS / each, ANSWERS, each);

	if (answer_setup(s, ch, "grouped", ANSWERS, rounds, members))
		return die(s, "setup");
	t = now_s();
	for (int i = 0; i < ANSWERS; i++) {
		if (i % GROUP == 0 && store_begin(s))
			return die(s, "outer begin");
		if (store_begin(s) ||
		    put_answer(s, rounds[i / ROUND_MEMBERS], members[i % ROUND_MEMBERS], i) ||
		    store_commit(s))
			return die(s, "answer");
		if ((i + 1) % GROUP == 0 && store_commit(s))
			return die(s, "outer commit");
	}
	double grouped = now_s() - t;
	printf("answers_per_s mode=grouped_%d rate=%.0f n=%d seconds=%.2f synchronous=FULL\n",
	       GROUP, ANSWERS / grouped, ANSWERS, grouped);
	free(rounds);
	store_close(s);
	remove_db(path);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[1024];
	bool made = false;
	if (argc > 2) {
		fprintf(stderr, "usage: bench_store [DIR]\n");
		return 2;
	}
	if (argc == 2) {
		snprintf(dir, sizeof dir, "%s", argv[1]);
	} else {
		const char *base = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/studybot-bench-XXXXXX",
		         base && *base ? base : "/tmp");
		if (!mkdtemp(dir)) {
			perror("bench_store: mkdtemp");
			return 1;
		}
		made = true;
	}
	int rc = bench_leaderboard(dir, !made);
	if (!rc)
		rc = bench_answers(dir);
	if (made)
		rmdir(dir);
	return rc;
}
