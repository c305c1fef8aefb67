/* The sandbox round: five scripted members go through everything a real
 * round has (an answer, an edit, hints, a reminder, a late answer, a refused
 * self-rating, ratings and a changed rating, results, the leaderboard and
 * stats), driven through the same core and store as a live bot, with an
 * in-memory database. */
#include "sandbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console/console.h"
#include "core/core.h"
#include "core/keypoint.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define CHANNEL          "study-sandbox"
#define DEFAULT_QUESTION "dj-transactions"

enum step_kind {
	S_CMD,    /* a /study command: arg = command, opt = "name=value" */
	S_CLICK,  /* a button on the latest message showing it: arg = label */
	S_SUBMIT, /* the form last opened: arg = the member's answer number */
	S_RATE,   /* arg = whose answer (member index), n = stars */
	S_POST,   /* the round's question is posted (the schedule's 09:00) */
};

struct step {
	int minute; /* after 09:00 local */
	int who;    /* member index, -1 for none */
	enum step_kind kind;
	const char *arg;
	int n;
	const char *say; /* narration */
};

static const char *const members[] = {"alice", "bob", "carol", "dave", "erin"};
enum { ALICE, BOB, CAROL, DAVE, ERIN, NMEMBERS };

/* Answers to the default question, as five different members would write
 * them: index 5 is Alice's edit. */
static const char *const answers_tx[] = {
    "Django runs in autocommit mode by default: every query commits at once. "
    "`transaction.atomic` (a decorator or a context manager) wraps a block in one transaction; a "
    "nested atomic block creates a savepoint, so an inner failure rolls back alone. "
    "ATOMIC_REQUESTS wraps each view in atomic (opt out with non_atomic_requests). "
    "`transaction.on_commit` runs a callback only after the outermost commit: that is where "
    "Celery tasks and emails belong.",
    "Transactions keep database stuff safe. Django mostly handles them for you.",
    "Nested atomic() makes a savepoint, so catching IntegrityError around an inner atomic block "
    "keeps the outer transaction usable. on_commit callbacks run after the commit and are "
    "dropped on rollback.",
    "atomic, savepoints and on_commit.",
    "By default Django uses autocommit. Use atomic to group queries into one transaction; "
    "ATOMIC_REQUESTS does it for every view.",
    "Django runs in autocommit mode by default: every query commits at once. "
    "`transaction.atomic` (a decorator or a context manager) wraps a block in one transaction; a "
    "nested atomic block creates a savepoint, so an inner failure rolls back alone. Catch "
    "IntegrityError outside the atomic block, never inside it. ATOMIC_REQUESTS wraps each view "
    "in atomic (opt out with non_atomic_requests). `transaction.on_commit` runs a callback only "
    "after the outermost commit: that is where Celery tasks and emails belong.",
};

/* Who rates whom, and how: [rater][author] stars, 0 = no rating. */
static const int ratings[NMEMBERS][NMEMBERS] = {
    /* alice */ {0, 2, 4, 0, 4},
    /* bob   */ {4, 0, 3, 0, 3},
    /* carol */ {5, 1, 0, 0, 4},
    /* dave  */ {5, 2, 4, 0, 3},
    /* erin  */ {5, 1, 4, 0, 0},
};

static const struct step script[] = {
    {-3, DAVE, S_CMD, "remind", 0, "dave asks to be reminded before deadlines"},
    {0, -1, S_POST, NULL, 0, NULL},
    {5, ALICE, S_CLICK, "Answer", 0, "alice clicks Answer"},
    {7, ALICE, S_SUBMIT, NULL, ALICE, "alice sends a thorough answer"},
    {20, CAROL, S_CLICK, "Hint", 0, "carol takes a hint"},
    {24, CAROL, S_CLICK, "Hint", 0, "carol takes the second hint"},
    {30, CAROL, S_CLICK, "Answer", 0, "carol clicks Answer"},
    {33, CAROL, S_SUBMIT, NULL, CAROL, "carol answers, helped by the hints"},
    {40, BOB, S_CLICK, "Answer", 0, "bob clicks Answer"},
    {41, BOB, S_SUBMIT, NULL, BOB, "bob answers in a hurry"},
    {55, ERIN, S_CLICK, "Answer", 0, "erin clicks Answer"},
    {58, ERIN, S_SUBMIT, NULL, ERIN, "erin answers"},
    {70, ALICE, S_CLICK, "Answer", 0, "alice opens her answer again to add a line"},
    {72, ALICE, S_SUBMIT, NULL, 5, "alice saves the edit"},
    {123, DAVE, S_CLICK, "Answer", 0, "dave clicks Answer in his reminder, too late"},
    {125, DAVE, S_SUBMIT, NULL, DAVE, "dave answers anyway"},
    {127, ERIN, S_RATE, NULL, ERIN * 10 + 5, "erin tries to rate her own answer"},
    {130, ALICE, S_RATE, NULL, -1, "the members rate each other's answers"},
    {150, BOB, S_RATE, NULL, ALICE * 10 + 5, "bob changes his mind about answer by alice"},
    {182, BOB, S_RATE, NULL, CAROL * 10 + 4, "bob tries to rate after the review closed"},
    {183, ALICE, S_CMD, "leaderboard", 0, "alice asks for today's leaderboard"},
    {184, CAROL, S_CMD, "stats", 0, "carol asks for her stats"},
};

struct run {
	const struct sandbox_opts *o;
	struct core core;
	struct console con;
	int64_t now, start;
	const char *given[NMEMBERS]; /* each member's current answer text */
	char *generic[6];            /* answers built from key points (other questions) */
};

static void pace(struct run *r, int64_t to)
{
	if (r->o->speed <= 0 || to <= r->now)
		return;
	double secs = (double)(to - r->now) / r->o->speed;
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Runs the clock to t: every wake-up the core asks for on the way. */
static enum sb_rc advance(struct run *r, int64_t t)
{
	for (;;) {
		int64_t w = core_next_wake(&r->core, r->now);
		if (w > t)
			break;
		pace(r, w);
		r->now = w;
		enum sb_rc rc = core_tick(&r->core, r->now);
		if (rc == SB_OK)
			rc = console_deliver(&r->con, NULL, r->now);
		if (rc != SB_OK)
			return rc;
	}
	pace(r, t);
	r->now = t;
	return SB_OK;
}

static void narrate(struct run *r, const char *say)
{
	if (say)
		fprintf(r->o->out, "\n%s» %s%s\n", r->o->color ? "\033[36m" : "", say,
		        r->o->color ? "\033[0m" : "");
}

static enum sb_rc send(struct run *r, struct event *ev, int who)
{
	ev->workspace = "sandbox";
	ev->channel = CHANNEL;
	ev->user = members[who];
	ev->user_name = members[who];
	enum sb_rc rc = core_handle(&r->core, ev, r->now);
	/* A refused event is the member's problem, told to them privately;
	 * only a failure to deliver stops the sandbox. */
	(void)rc;
	return console_deliver(&r->con, members[who], r->now);
}

static enum sb_rc rate(struct run *r, int rater, int author, int stars)
{
	const char *id = r->given[author] ? console_find_button(&r->con, r->given[author],
	                                                        (char[]){(char)('0' + stars), 0})
	                                  : NULL;
	if (!id)
		return SB_OK;
	fprintf(r->o->out, "  (%s rates %s's answer %d/5)\n", members[rater], members[author],
	        stars);
	struct event ev = {.type = EV_BUTTON, .id = id};
	return send(r, &ev, rater);
}

static enum sb_rc step(struct run *r, const struct step *s, const char *qid)
{
	narrate(r, s->say);
	struct event ev = {0};
	switch (s->kind) {
	case S_POST: {
		enum sb_rc rc = core_post_now(&r->core, CHANNEL, qid, r->now);
		if (rc != SB_OK)
			return rc;
		return console_deliver(&r->con, NULL, r->now);
	}
	case S_CMD:
		ev.type = EV_COMMAND;
		ev.command = s->arg;
		if (strcmp(s->arg, "remind") == 0)
			ev.opts[ev.nopts++] = (struct ev_opt){"state", "on"};
		if (strcmp(s->arg, "leaderboard") == 0)
			ev.opts[ev.nopts++] = (struct ev_opt){"period", "day"};
		return send(r, &ev, s->who);
	case S_CLICK: {
		const char *id = console_find_button(&r->con, NULL, s->arg);
		if (!id)
			return SB_OK;
		ev.type = EV_BUTTON;
		ev.id = id;
		return send(r, &ev, s->who);
	}
	case S_SUBMIT: {
		const char *id = console_last_form(&r->con, NULL);
		if (!id)
			return SB_OK;
		const char *text =
		    qid && strcmp(qid, DEFAULT_QUESTION) != 0 ? r->generic[s->n] : answers_tx[s->n];
		char *fid = xstrdup(id);
		ev.type = EV_FORM;
		ev.id = fid;
		ev.opts[ev.nopts++] = (struct ev_opt){"answer", text};
		r->given[s->who] = text;
		enum sb_rc rc = send(r, &ev, s->who);
		free(fid);
		return rc;
	}
	case S_RATE:
		if (s->n >= 0)
			return rate(r, s->who, s->n / 10, s->n % 10);
		for (int a = 0; a < NMEMBERS; a++)
			for (int b = 0; b < NMEMBERS; b++) {
				if (!ratings[a][b] || (a == BOB && b == ALICE))
					continue;
				enum sb_rc rc = rate(r, a, b, ratings[a][b]);
				if (rc != SB_OK)
					return rc;
			}
		/* Bob's first rating of Alice's answer, changed later. */
		return rate(r, BOB, ALICE, 4);
	}
	return SB_OK;
}

/* For a question other than the default: answers of decreasing quality
 * made of its own key points, so coverage and ratings still differ. */
static void generic_answers(struct run *r, const struct bank_question *q)
{
	static const size_t share[6] = {100, 10, 60, 30, 50, 100};
	for (int i = 0; i < 6; i++) {
		struct buf b;
		buf_init(&b, 8192);
		buf_adds(&b, i == 5 ? "Edited: " : "");
		size_t n = q->nkey_points * share[i] / 100;
		for (size_t k = 0; k < n; k++) {
			char d[512];
			kp_display(q->key_points[k], d, sizeof d);
			buf_printf(&b, "%s%s", k ? ", " : "The key ideas: ", d);
		}
		if (b.len == 0 || i == 1)
			buf_adds(&b, " I am not sure; it depends on the situation.");
		r->generic[i] = buf_take(&b);
		buf_free(&b);
	}
}

enum sb_rc sandbox_run(const struct sandbox_opts *o)
{
	const char *qid = o->question ? o->question : DEFAULT_QUESTION;
	const struct bank_question *q = bank_find(o->bank, qid);
	if (!q) {
		fprintf(stderr, "studybot sandbox: no question \"%s\" in the bank\n", qid);
		return SB_ERR_NOTFOUND;
	}
	if (q->correct >= 0) {
		fprintf(stderr,
		        "studybot sandbox: \"%s\" is multiple choice; the sandbox round needs a "
		        "written question\n",
		        qid);
		return SB_ERR_INVALID;
	}
	struct store *st = NULL;
	char err[256];
	enum sb_rc rc = store_open(o->database ? o->database : ":memory:", &st, err, sizeof err);
	if (rc != SB_OK) {
		fprintf(stderr, "studybot sandbox: %s\n", err);
		return rc;
	}
	struct run r = {.o = o};
	/* Today, at 09:00 in the channel's zone, minus a few minutes. */
	struct tz *z = NULL;
	if (tz_load(o->zone, &z) != SB_OK) {
		fprintf(stderr, "studybot sandbox: unknown time zone %s\n", o->zone);
		store_close(st);
		return SB_ERR_INVALID;
	}
	struct civil cv;
	tz_local(z, (int64_t)time(NULL), &cv);
	r.start = tz_mktime(z, cv.year, cv.month, cv.day, 9 * 3600);
	tz_free(z);
	r.now = r.start + script[0].minute * 60 - 60;

	rc = core_init(&r.core, st, o->bank, o->scoring, 4000, r.now);
	struct st_channel ch = {0};
	snprintf(ch.ext_id, sizeof ch.ext_id, CHANNEL);
	snprintf(ch.workspace, sizeof ch.workspace, "sandbox");
	snprintf(ch.name, sizeof ch.name, "#" CHANNEL);
	ch.schedule = (struct schedule){SCHED_ALL_DAYS, 9 * 3600};
	snprintf(ch.timezone, sizeof ch.timezone, "%s", o->zone);
	ch.diff_min = 1;
	ch.diff_max = 3;
	ch.answer_window = 2 * 3600;
	ch.review_window = 3600;
	ch.remind_before = 30 * 60;
	ch.answer_mode = ANSWER_MODAL;
	ch.created_at = r.now;
	if (rc == SB_OK)
		rc = store_channel_put(st, &ch);
	/* Posting is scripted (S_POST) so that the round asks the chosen
	 * question; a paused channel is one the schedule leaves alone. */
	if (rc == SB_OK)
		rc = store_channel_set_paused(st, ch.id, true);
	console_init(&r.con, &r.core, o->out, o->color, o->zone);
	generic_answers(&r, q);

	fprintf(o->out,
	        "studybot sandbox: one study round in #%s, %s time, with %s, %s, %s, %s "
	        "and %s.\nAnswers close 2 h after the post, reviews 1 h later. ",
	        CHANNEL, o->zone, members[0], members[1], members[2], members[3], members[4]);
	if (o->speed > 0)
		fprintf(o->out, "The clock runs %.0fx faster than real time.\n", o->speed);
	else
		fprintf(o->out, "The clock does not wait.\n");
	for (size_t i = 0; rc == SB_OK && i < sizeof script / sizeof script[0]; i++) {
		rc = advance(&r, r.start + script[i].minute * 60);
		if (rc == SB_OK)
			rc = step(&r, &script[i], qid);
	}
	if (rc != SB_OK)
		fprintf(stderr, "studybot sandbox: the round stopped: %s (%s)\n", sb_strerror(rc),
		        store_errmsg(st));
	else
		fprintf(o->out, "\nThe round is over. Every point above is in the ledger: "
		                "/study stats shows where each one came from.\n");
	for (int i = 0; i < 6; i++)
		free(r.generic[i]);
	console_free(&r.con);
	core_free(&r.core);
	store_close(st);
	return rc;
}
