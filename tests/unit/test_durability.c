/* Crash durability: durable_writer records answers and confirms each one on
 * a pipe after its commit; this test kills it with SIGKILL at random moments
 * (a fixed seed, so a failure repeats), starts it again from the last
 * confirmed number, and in the end checks the file: intact, every confirmed
 * answer there exactly once, and nothing that was never attempted. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

#define RUNS     40
#define MIN_MS   3
#define MAX_MS   150
#define MAX_SEQS 200000

/* xorshift64: the same delays on every libc. */
static uint64_t rng_state = 0x5eed2026u;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Runs the writer from seq `first`, kills it after `ms`, and returns the
 * last number it confirmed (first - 1 when none). Confirmations must come
 * in order, one number after the other. */
static long long run_writer(const char *db, long long first, unsigned ms)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	char arg[32];
	snprintf(arg, sizeof arg, "%lld", first);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(WRITER_PATH, "durable_writer", db, arg, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	sleep_ms(ms);
	kill(pid, SIGKILL);

	/* Everything written before the kill is in the pipe; a line cut short
	 * by the kill has no newline and is not a confirmation. */
	char buf[1 << 16];
	size_t len = 0;
	for (;;) {
		assert_true(len < sizeof buf);
		ssize_t n = read(fds[0], buf + len, sizeof buf - len);
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("the writer ended by itself (status %d) before it was killed", status);

	long long last = first - 1;
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		buf[i] = '\0';
		long long v = strtoll(buf + start, NULL, 10);
		if (v != last + 1)
			fail_msg("confirmed %lld after %lld", v, last);
		last = v;
		start = i + 1;
	}
	return last;
}

static void killed_writer_loses_nothing_confirmed(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	char dir[512], db[600], side[700];
	snprintf(dir, sizeof dir, "%s/studybot-durable-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/durable.db", dir);

	long long confirmed = 0;
	int fruitful = 0;
	for (int run = 0; run < RUNS; run++) {
		unsigned ms = MIN_MS + rnd(MAX_MS - MIN_MS + 1);
		long long last = run_writer(db, confirmed + 1, ms);
		if (last > confirmed)
			fruitful++;
		confirmed = last;
	}
	/* A run can confirm nothing when killed early; most must not. */
	assert_true(fruitful >= RUNS / 4);
	assert_true(confirmed < MAX_SEQS);

	sqlite3 *sdb;
	assert_int_equal(sqlite3_open(db, &sdb), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(sdb, "PRAGMA integrity_check", -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);

	/* The last run may have committed one more than it could confirm:
	 * that one was attempted; anything past it was not. */
	unsigned char *seen = calloc(MAX_SEQS + 2, 1);
	assert_non_null(seen);
	assert_int_equal(sqlite3_prepare_v2(sdb,
	                                    "SELECT m.ext_id, a.text, a.edits FROM answer a "
	                                    "JOIN member m ON m.id = a.member_id",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	long long rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *ext = (const char *)sqlite3_column_text(st, 0);
		const char *text = (const char *)sqlite3_column_text(st, 1);
		long long seq = -1, seq2 = -2;
		assert_int_equal(sscanf(ext, "m%lld", &seq), 1);
		assert_int_equal(sscanf(text, "answer %lld ", &seq2), 1);
		assert_int_equal(seq, seq2);
		assert_int_equal(sqlite3_column_int(st, 2), 0);
		if (seq < 1 || seq > confirmed + 1)
			fail_msg("answer %lld was never attempted (last confirmed %lld)", seq,
			         confirmed);
		if (seen[seq]++)
			fail_msg("answer %lld is there twice", seq);
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(sdb);
	for (long long i = 1; i <= confirmed; i++)
		if (!seen[i])
			fail_msg("confirmed answer %lld is missing", i);
	assert_true(rows == confirmed || rows == confirmed + 1);
	free(seen);

	/* and the store itself opens it and agrees */
	struct store *s;
	char err[512];
	assert_int_equal(store_open(db, &s, err, sizeof err), SB_OK);
	struct st_channel c;
	assert_int_equal(store_channel_get(s, "durability", &c), SB_OK);
	struct st_round r;
	assert_int_equal(store_round_by_slot(s, c.id, "durability", &r), SB_OK);
	struct st_answer *v;
	size_t n;
	assert_int_equal(store_answers(s, r.id, &v, &n), SB_OK);
	assert_int_equal((long long)n, rows);
	store_answers_free(v, n);
	store_close(s);

	print_message("%d runs, %d confirmed something, %lld answers confirmed\n", RUNS, fruitful,
	              confirmed);
	unlink(db);
	snprintf(side, sizeof side, "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", db);
	unlink(side);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(killed_writer_loses_nothing_confirmed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
