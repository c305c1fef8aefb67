/* Answers recorded per second through the whole core: a form-submit event
 * goes through core_handle (custom id check, member upsert, answer upsert,
 * confirmation built) and is committed to an on-disk SQLite store with
 * synchronous=FULL before its confirmation is released, as in production.
 * Run twice: one transaction per event, and events grouped 100 to a commit
 * (what an event loop does with the events of one turn).
 *   bench_core [N]   (default 20000) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cid.h"
#include "core/core.h"
#include "store/store.h"
#include "util/log.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const struct bank *b, const char *dir, int n, int group)
{
	char path[512];
	snprintf(path, sizeof path, "%s/bench-%d.db", dir, group);
	struct store *st = NULL;
	char err[256];
	if (store_open(path, &st, err, sizeof err) != SB_OK) {
		fprintf(stderr, "bench_core: %s\n", err);
		return 1;
	}
	struct config cfg;
	cfg_init(&cfg);
	int64_t t0 = 1795500000; /* a Tuesday in 2026, 09:00 UTC-ish */
	struct core c;
	if (core_init(&c, st, b, &cfg.scoring, 4000, t0) != SB_OK)
		return 1;
	struct st_channel ch = {0};
	snprintf(ch.ext_id, sizeof ch.ext_id, "bench");
	snprintf(ch.name, sizeof ch.name, "bench");
	snprintf(ch.timezone, sizeof ch.timezone, "UTC");
	ch.schedule = (struct schedule){SCHED_ALL_DAYS, 0};
	ch.diff_min = 1;
	ch.diff_max = 3;
	ch.answer_window = 10 * 3600;
	ch.review_window = 3600;
	store_channel_put(st, &ch);
	store_channel_set_paused(st, ch.id, true);
	if (core_post_now(&c, "bench", "dj-transactions", t0) != SB_OK)
		return 1;
	struct actions acts = {0};
	core_take_actions(&c, &acts);
	actions_free(&acts);
	struct st_round r;
	store_round_latest(st, ch.id, &r);
	char fid[CID_MAX + 1];
	cid_format(&(struct cid){.verb = CID_FORM_ANSWER, .num = r.id}, fid);
	const char *text =
	    "Django runs in autocommit mode by default: every query commits at once. "
	    "transaction.atomic wraps a block in one transaction; a nested atomic "
	    "block creates a savepoint. ATOMIC_REQUESTS wraps each view in atomic and "
	    "on_commit runs a callback after the outermost commit.";
	double start = now_s();
	size_t confirmations = 0;
	for (int i = 0; i < n; i += group) {
		if (group > 1)
			core_batch_begin(&c);
		for (int k = i; k < i + group && k < n; k++) {
			char user[32];
			snprintf(user, sizeof user, "u%d", k);
			struct event ev = {.type = EV_FORM,
			                   .channel = "bench",
			                   .user = user,
			                   .user_name = user,
			                   .id = fid,
			                   .nopts = 1};
			ev.opts[0] = (struct ev_opt){"answer", text};
			core_handle(&c, &ev, t0 + 60);
		}
		if (group > 1)
			core_batch_end(&c);
		confirmations += core_take_actions(&c, &acts);
		actions_free(&acts);
	}
	double secs = now_s() - start;
	struct st_answer *ans = NULL;
	size_t na = 0;
	store_answers(st, r.id, &ans, &na);
	store_answers_free(ans, na);
	printf("core_answers_per_s group=%d answers=%d stored=%zu confirmations=%zu "
	       "rate=%.0f/s synchronous=FULL\n",
	       group, n, na, confirmations, n / secs);
	core_free(&c);
	cfg_free(&cfg);
	store_close(st);
	return na == (size_t)n && confirmations == (size_t)n ? 0 : 1;
}

int main(int argc, char **argv)
{
	log_set_level(LOG_WARN);
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	if (n <= 0)
		n = 20000;
	struct bank b;
	struct diags d;
	bank_init(&b);
	diags_init(&d);
	if (bank_load_dir(&b, SOURCE_DIR "/questions", &d) != SB_OK) {
		fprintf(stderr, "bench_core: the bundled bank does not load\n");
		return 1;
	}
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/studybot-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	int rc = run(&b, dir, n, 1) | run(&b, dir, n, 100);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_core: could not remove %s\n", dir);
	bank_free(&b);
	diags_free(&d);
	return rc;
}
