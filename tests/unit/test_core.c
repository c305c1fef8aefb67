/* The study-round core end to end (SPEC §5, §6): a real core on an
 * in-memory store, a small bank built here from Markdown, and a clock the
 * tests move by hand. Every test checks both what a member would see (the
 * actions the core hands out) and what the store holds afterwards. */
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

#include "chat/chat.h"
#include "core/bank.h"
#include "core/cid.h"
#include "core/core.h"
#include "core/core_int.h"
#include "core/page.h"
#include "store/store.h"
#include "util/log.h"
#include "util/tz.h"

#define WS   "guild-1"
#define CH   "chan-1"
#define HOUR 3600
#define DAYS 86400

/* --- the bank ------------------------------------------------------------------------ */

/* alpha 1-1 is a-one alone; alpha 1-2 adds a-two and a-three; a-hard is
 * difficulty 3; beta 1-1 is the multiple-choice b-mcq alone. */
static const char alpha_md[] =
    "# Alpha\n"
    "\n"
    "## How do you avoid extra queries when loading related rows?\n"
    "id: a-one\n"
    "difficulty: 1\n"
    "\n"
    "### Answer\n"
    "Use select_related for foreign keys and prefetch_related for many-to-many relations.\n"
    "\n"
    "### Hints\n"
    "- Think about SQL joins.\n"
    "- One of them runs a second query.\n"
    "\n"
    "### Key points\n"
    "- select_related\n"
    "- prefetch_related\n"
    "- queryset caching | cached queryset\n"
    "\n"
    "## What does a database index trade away for faster reads?\n"
    "id: a-two\n"
    "difficulty: 2\n"
    "\n"
    "### Answer\n"
    "Slower writes and extra storage.\n"
    "\n"
    "### Key points\n"
    "- slower writes\n"
    "- storage\n"
    "\n"
    "## When would you denormalise a table on purpose?\n"
    "id: a-three\n"
    "difficulty: 2\n"
    "\n"
    "### Answer\n"
    "When reads dominate and the joins are too slow.\n"
    "\n"
    "## How do you shard a write-heavy table across regions?\n"
    "id: a-hard\n"
    "difficulty: 3\n"
    "\n"
    "### Answer\n"
    "Pick a shard key that spreads the writes evenly.\n";

static const char beta_md[] = "# Beta\n"
                              "\n"
                              "## Explain what a git rebase does to history.\n"
                              "id: b-one\n"
                              "difficulty: 2\n"
                              "\n"
                              "### Answer\n"
                              "It replays commits on a new base, rewriting their hashes.\n"
                              "\n"
                              "### Key points\n"
                              "- replays commits\n"
                              "- new base\n"
                              "\n"
                              "## Which HTTP status code means that a resource was created?\n"
                              "id: b-mcq\n"
                              "difficulty: 1\n"
                              "\n"
                              "### Answer\n"
                              "201 Created is the answer to a request that made a resource.\n"
                              "\n"
                              "### Hints\n"
                              "- It is in the 2xx range.\n"
                              "\n"
                              "### Choices\n"
                              "- [ ] 200\n"
                              "- [x] 201\n"
                              "- [ ] 204\n";

#define A_ONE_PROMPT "How do you avoid extra queries when loading related rows?"
#define A_TWO_PROMPT "What does a database index trade away for faster reads?"

/* Answers to a-one covering 1, 2 and 3 of its 3 key points. */
#define TXT_ONE "I would add select_related somewhere."
#define TXT_TWO "Use select_related for the foreign key and prefetch_related for the reverse side."
#define TXT_ALL                                                                                    \
	"select_related joins, prefetch_related runs a second query, and queryset caching "        \
	"avoids repeats."

static const struct cfg_scoring scoring = {
    .answer = 10,
    .peer_max = 10,
    .review = 1,
    .review_cap = 3,
    .mcq = 10,
    .streak = 1,
    .streak_cap = 7,
    .hint = -3,
    .key_points = 5,
};

/* --- the members ------------------------------------------------------------------------- */

enum { ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GRACE, HEIDI, IVAN, JUDY, KEN, LEO, NPEOPLE };
static const char *const uid[NPEOPLE] = {"u-alice", "u-bob",   "u-carol", "u-dave",
                                         "u-erin",  "u-frank", "u-grace", "u-heidi",
                                         "u-ivan",  "u-judy",  "u-ken",   "u-leo"};
static const char *const uname[NPEOPLE] = {"Alice", "Bob",   "Carol", "Dave", "Erin", "Frank",
                                           "Grace", "Heidi", "Ivan",  "Judy", "Ken",  "Leo"};

/* --- the harness ------------------------------------------------------------------------- */

struct h {
	struct store *st;
	struct bank bank;
	struct core core;
	struct tz *tz;        /* the channel's zone, for building local times */
	struct st_channel ch; /* the channel the tests play in */
	const char *where;    /* the channel events come from */
	struct actions acts;  /* what the last step handed out */
	int64_t now;
	int msgs;  /* message ids given out so far: "m1", "m2", ... */
	bool hold; /* leave POST/DM actions unconfirmed */
};

static int64_t utc(int y, int mo, int d, int hh, int mi, int ss)
{
	return civil_to_days(y, mo, d) * DAYS + hh * HOUR + mi * 60 + ss;
}

/* y-mo-d hh:mi on the channel's wall clock. */
static int64_t at(const struct h *h, int y, int mo, int d, int hh, int mi)
{
	return tz_mktime(h->tz, y, mo, d, hh * HOUR + mi * 60);
}

/* Day k after Monday 2026-06-01, hh:mi local. */
static int64_t day_at(const struct h *h, int k, int hh, int mi)
{
	int y, mo, d;
	civil_from_days(civil_to_days(2026, 6, 1) + k, &y, &mo, &d);
	return at(h, y, mo, d, hh, mi);
}

static void h_open(struct h *h, const char *url)
{
	memset(h, 0, sizeof *h);
	char err[256];
	if (store_open(url, &h->st, err, sizeof err) != SB_OK)
		fail_msg("store_open: %s", err);
	bank_init(&h->bank);
	struct diags d;
	diags_init(&d);
	bank_parse(&h->bank, "alpha.md", alpha_md, sizeof alpha_md - 1, &d);
	bank_parse(&h->bank, "beta.md", beta_md, sizeof beta_md - 1, &d);
	bank_finish(&h->bank, &d);
	if (diags_total(&d) != 0) {
		diags_print(&d, stderr);
		fail_msg("the test bank does not parse");
	}
	diags_free(&d);
	h->where = CH;
	h->now = utc(2026, 1, 1, 0, 0, 0);
	assert_int_equal(core_init(&h->core, h->st, &h->bank, &scoring, 4000, h->now), SB_OK);
}

static void h_channel(struct h *h, const char *ext, const char *zone, const char *sched,
                      const char *topics, int dmin, int dmax, int mode)
{
	struct st_channel ch;
	memset(&ch, 0, sizeof ch);
	snprintf(ch.ext_id, sizeof ch.ext_id, "%s", ext);
	snprintf(ch.workspace, sizeof ch.workspace, "%s", WS);
	snprintf(ch.name, sizeof ch.name, "#study");
	char err[160];
	if (!sched_parse(sched, &ch.schedule, err, sizeof err))
		fail_msg("schedule %s: %s", sched, err);
	snprintf(ch.timezone, sizeof ch.timezone, "%s", zone);
	snprintf(ch.topics, sizeof ch.topics, "%s", topics);
	ch.diff_min = dmin;
	ch.diff_max = dmax;
	ch.answer_window = 2 * HOUR;
	ch.review_window = HOUR;
	ch.remind_before = 30 * 60;
	ch.answer_mode = mode;
	ch.created_at = h->now;
	assert_int_equal(store_channel_put(h->st, &ch), SB_OK);
	h->ch = ch;
	tz_free(h->tz);
	h->tz = NULL;
	assert_int_equal(tz_load(zone, &h->tz), SB_OK);
}

/* The usual channel: Berlin, daily 09:00, a-one only, private answers. */
static void h_std(struct h *h)
{
	h_open(h, ":memory:");
	h_channel(h, CH, "Europe/Berlin", "09:00", "alpha", 1, 1, ANSWER_MODAL);
}

static void h_free(struct h *h)
{
	actions_free(&h->acts);
	core_free(&h->core);
	store_close(h->st);
	bank_free(&h->bank);
	tz_free(h->tz);
}

/* Takes what the core released, confirming each POST/DM delivery with the
 * next message id, as a platform would. */
static size_t take(struct h *h)
{
	actions_free(&h->acts);
	size_t n = core_take_actions(&h->core, &h->acts);
	for (size_t i = 0; i < n && !h->hold; i++) {
		struct action *a = &h->acts.v[i];
		if (a->type != ACT_POST && a->type != ACT_DM)
			continue;
		char id[16];
		snprintf(id, sizeof id, "m%d", ++h->msgs);
		assert_int_equal(core_delivered(&h->core, a, id, h->now), SB_OK);
	}
	return n;
}

static size_t tick(struct h *h, int64_t t)
{
	h->now = t;
	enum sb_rc rc = core_tick(&h->core, t);
	if (rc != SB_OK)
		fail_msg("core_tick: %s (%s)", sb_strerror(rc), store_errmsg(h->st));
	return take(h);
}

static enum sb_rc handle(struct h *h, struct event *ev, int who)
{
	ev->workspace = WS;
	if (!ev->channel)
		ev->channel = h->where;
	ev->user = uid[who];
	ev->user_name = uname[who];
	enum sb_rc rc = core_handle(&h->core, ev, h->now);
	take(h);
	return rc;
}

static void click(struct h *h, int who, const char *id)
{
	char copy[256];
	snprintf(copy, sizeof copy, "%s", id);
	struct event ev = {.type = EV_BUTTON, .id = copy};
	assert_int_equal(handle(h, &ev, who), SB_OK);
}

static void submit(struct h *h, int who, const char *form, const char *text)
{
	char copy[CID_MAX + 1];
	snprintf(copy, sizeof copy, "%s", form);
	struct event ev = {.type = EV_FORM, .id = copy, .nopts = 1};
	ev.opts[0] = (struct ev_opt){"answer", text};
	assert_int_equal(handle(h, &ev, who), SB_OK);
}

static void say(struct h *h, int who, const char *thread, const char *text)
{
	struct event ev = {.type = EV_MESSAGE, .thread = thread, .text = text};
	assert_int_equal(handle(h, &ev, who), SB_OK);
}

/* A /study command; the options follow as name, value pairs ending in NULL. */
static void cmd(struct h *h, int who, bool admin, const char *command, ...)
{
	struct event ev = {.type = EV_COMMAND, .command = command, .admin = admin};
	va_list ap;
	va_start(ap, command);
	for (const char *name; (name = va_arg(ap, const char *)) != NULL;) {
		assert_true(ev.nopts < EV_MAX_OPTS);
		ev.opts[ev.nopts].name = name;
		ev.opts[ev.nopts++].value = va_arg(ap, const char *);
	}
	va_end(ap);
	assert_int_equal(handle(h, &ev, who), SB_OK);
}

/* --- looking at what members see ---------------------------------------------------------- */

static bool has(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

static bool msg_has(const struct chat_msg *m, const char *needle)
{
	if (!needle)
		return true;
	if (has(m->title, needle) || has(m->text, needle) || has(m->footer, needle))
		return true;
	for (size_t i = 0; i < m->nfields; i++)
		if (has(m->fields[i].name, needle) || has(m->fields[i].value, needle))
			return true;
	return false;
}

/* Actions of a type (-1: any) whose message holds needle (NULL: any). */
static int count(const struct h *h, int type, const char *needle)
{
	int n = 0;
	for (size_t i = 0; i < h->acts.n; i++)
		if ((type < 0 || (int)h->acts.v[i].type == type) &&
		    msg_has(&h->acts.v[i].msg, needle))
			n++;
	return n;
}

static const struct action *find(const struct h *h, int type, const char *needle)
{
	for (size_t i = 0; i < h->acts.n; i++)
		if ((type < 0 || (int)h->acts.v[i].type == type) &&
		    msg_has(&h->acts.v[i].msg, needle))
			return &h->acts.v[i];
	return NULL;
}

static int questions(const struct h *h)
{
	int n = 0;
	for (size_t i = 0; i < h->acts.n; i++)
		n += h->acts.v[i].question_round != 0;
	return n;
}

static const struct action *question_post(const struct h *h)
{
	for (size_t i = 0; i < h->acts.n; i++)
		if (h->acts.v[i].question_round)
			return &h->acts.v[i];
	fail_msg("no question was posted");
	return NULL;
}

/* The one private reply of the last step. */
static const struct action *the_reply(const struct h *h)
{
	if (count(h, ACT_REPLY, NULL) != 1)
		fail_msg("expected one reply, got %d", count(h, ACT_REPLY, NULL));
	const struct action *a = find(h, ACT_REPLY, NULL);
	assert_false(a->public_reply);
	return a;
}

static const char *reply_text(const struct h *h)
{
	const struct action *a = the_reply(h);
	assert_non_null(a->msg.text);
	return a->msg.text;
}

static void contains_at(const char *s, const char *needle, int line)
{
	if (!has(s, needle))
		fail_msg("line %d: [%s] does not contain [%s]", line, s ? s : "(null)", needle);
}

static void lacks_at(const char *s, const char *needle, int line)
{
	if (has(s, needle))
		fail_msg("line %d: [%s] contains [%s]", line, s, needle);
}

static void starts_at(const char *s, const char *prefix, int line)
{
	if (!s || strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("line %d: [%s] does not start with [%s]", line, s ? s : "(null)", prefix);
}

#define assert_contains(s, needle) contains_at((s), (needle), __LINE__)
#define assert_lacks(s, needle)    lacks_at((s), (needle), __LINE__)
#define assert_starts(s, prefix)   starts_at((s), (prefix), __LINE__)

static const char *field(const struct chat_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return m->fields[i].value;
	fail_msg("no field \"%s\"", name);
	return NULL;
}

static const char *button(const struct action *a, const char *label)
{
	for (size_t i = 0; i < a->msg.nbuttons; i++)
		if (strcmp(a->msg.buttons[i].label, label) == 0)
			return a->msg.buttons[i].id;
	return NULL;
}

/* --- looking at the store ------------------------------------------------------------------- */

static int64_t mid(struct h *h, int who)
{
	struct st_member m;
	assert_int_equal(store_member_by_ext(h->st, uid[who], &m), SB_OK);
	return m.id;
}

static void latest(struct h *h, struct st_round *r)
{
	assert_int_equal(store_round_latest(h->st, h->ch.id, r), SB_OK);
}

static void round_get(struct h *h, int64_t id, struct st_round *r)
{
	assert_int_equal(store_round_get(h->st, id, r), SB_OK);
}

/* A member's points in the channel for a reason (NULL: all), and the
 * number of ledger rows behind them. */
static long pts_rows(struct h *h, int who, const char *reason, long *rows)
{
	struct st_member m;
	long sum = 0, nrows = 0;
	if (store_member_by_ext(h->st, uid[who], &m) == SB_OK) {
		struct st_reason r[16];
		size_t n = 0;
		assert_int_equal(store_points_by_reason(h->st, h->ch.id, m.id, r, 16, &n), SB_OK);
		for (size_t i = 0; i < n; i++) {
			if (reason && strcmp(r[i].reason, reason) != 0)
				continue;
			sum += r[i].points;
			nrows += r[i].rows;
		}
	}
	if (rows)
		*rows = nrows;
	return sum;
}

static long pts(struct h *h, int who, const char *reason)
{
	return pts_rows(h, who, reason, NULL);
}

/* A member's leaderboard total and rank for a period key and topic. */
static long board(struct h *h, int who, const char *period, const char *topic, long *rank)
{
	struct st_rank top[100], me;
	size_t n = 0;
	assert_int_equal(
	    store_leaderboard(h->st, h->ch.id, period, topic, 100, mid(h, who), top, &n, &me),
	    SB_OK);
	if (rank)
		*rank = me.rank;
	return me.rank ? me.points : 0;
}

static bool answer_of(struct h *h, int64_t round, int who, struct st_answer *a)
{
	struct st_member m;
	if (store_member_by_ext(h->st, uid[who], &m) != SB_OK)
		return false;
	enum sb_rc rc = store_answer_get(h->st, round, m.id, a);
	assert_true(rc == SB_OK || rc == SB_ERR_NOTFOUND);
	return rc == SB_OK;
}

/* The text of a member's answer in a round ("" when none). */
static void answer_text(struct h *h, int64_t round, int who, char *out, size_t n)
{
	struct st_answer a;
	out[0] = '\0';
	if (answer_of(h, round, who, &a)) {
		snprintf(out, n, "%s", a.text ? a.text : "");
		store_answer_clear(&a);
	}
}

static int64_t answer_id(struct h *h, int64_t round, int who)
{
	struct st_answer a;
	assert_true(answer_of(h, round, who, &a));
	store_answer_clear(&a);
	return a.id;
}

/* Ratings of one answer so far: their number, into *avg their average. */
static int ratings_of(struct h *h, int64_t round, int64_t answer, double *avg)
{
	struct st_rating_sum *s = NULL;
	size_t n = 0;
	int c = -1;
	assert_int_equal(store_rating_summary(h->st, round, &s, &n), SB_OK);
	for (size_t i = 0; i < n; i++) {
		if (s[i].answer_id != answer)
			continue;
		c = s[i].count;
		if (avg)
			*avg = s[i].avg;
	}
	free(s);
	assert_true(c >= 0);
	return c;
}

static int all_ratings(struct h *h, int64_t round)
{
	struct st_rating_sum *s = NULL;
	size_t n = 0;
	int c = 0;
	assert_int_equal(store_rating_summary(h->st, round, &s, &n), SB_OK);
	for (size_t i = 0; i < n; i++)
		c += s[i].count;
	free(s);
	return c;
}

/* --- playing ---------------------------------------------------------------------------------- */

/* Ticks at day k, 09:00 local, and checks that exactly one question is posted. */
static int64_t post_day(struct h *h, int k)
{
	tick(h, day_at(h, k, 9, 0));
	if (questions(h) != 1)
		fail_msg("day %d: %d questions posted", k, questions(h));
	return question_post(h)->question_round;
}

/* Posts a chosen question now, as /study post does. */
static int64_t post_q(struct h *h, const char *qid, int64_t t)
{
	h->now = t;
	assert_int_equal(core_post_now(&h->core, h->ch.ext_id, qid, t), SB_OK);
	take(h);
	assert_int_equal(questions(h), 1);
	return question_post(h)->question_round;
}

static void cid_of(enum cid_verb verb, int64_t num, int arg, char out[CID_MAX + 1])
{
	cid_format(&(struct cid){.verb = verb, .num = num, .arg = arg}, out);
}

/* Clicks Answer on a round and returns the form it opens. */
static void open_form(struct h *h, int who, int64_t round, char form[CID_MAX + 1])
{
	char id[CID_MAX + 1];
	cid_of(CID_ANSWER, round, 0, id);
	click(h, who, id);
	const struct action *f = find(h, ACT_FORM, NULL);
	if (!f)
		fail_msg("no form opened: %s", count(h, ACT_REPLY, NULL) ? reply_text(h) : "");
	assert_int_equal(h->acts.n, 1);
	snprintf(form, CID_MAX + 1, "%s", f->form.id);
}

/* Answers the latest round through its form; checks the confirmation. */
static void answer(struct h *h, int who, const char *text)
{
	struct st_round r;
	latest(h, &r);
	char form[CID_MAX + 1];
	open_form(h, who, r.id, form);
	submit(h, who, form, text);
	assert_contains(reply_text(h), "Your answer is");
}

static void hint(struct h *h, int who)
{
	struct st_round r;
	latest(h, &r);
	char id[CID_MAX + 1];
	cid_of(CID_HINT, r.id, 0, id);
	click(h, who, id);
}

static void rate(struct h *h, int who, int author, int stars)
{
	struct st_round r;
	latest(h, &r);
	char id[CID_MAX + 1];
	cid_of(CID_RATE, answer_id(h, r.id, author), stars, id);
	click(h, who, id);
}

/* Tuesday 2 June in Berlin: Alice (one hint, 2 of 3 key points), Bob (1 of
 * 3) and Carol (two hints, all 3) answer, rate one another, and the results
 * come at 12:00. Returns the round. */
static int64_t play_round(struct h *h)
{
	int64_t round = post_day(h, 1);
	h->now = day_at(h, 1, 9, 10);
	hint(h, ALICE);
	answer(h, ALICE, TXT_TWO);
	answer(h, BOB, TXT_ONE);
	hint(h, CAROL);
	hint(h, CAROL);
	answer(h, CAROL, TXT_ALL);
	tick(h, day_at(h, 1, 11, 0));
	h->now = day_at(h, 1, 11, 20);
	rate(h, ALICE, BOB, 3);
	rate(h, ALICE, CAROL, 5);
	rate(h, BOB, ALICE, 4);
	rate(h, BOB, CAROL, 5);
	rate(h, CAROL, ALICE, 5);
	rate(h, CAROL, BOB, 2);
	tick(h, day_at(h, 1, 12, 0));
	return round;
}

/* One whole day: the post, answers from everyone in mask, reveal, results. */
static void play_day(struct h *h, int k, unsigned mask)
{
	post_day(h, k);
	h->now = day_at(h, k, 9, 30);
	for (int who = 0; who < NPEOPLE; who++)
		if (mask & (1u << who))
			answer(h, who, TXT_ONE);
	tick(h, day_at(h, k, 11, 0));
	tick(h, day_at(h, k, 12, 0));
}

static void streak_of(struct h *h, int who, struct st_streak *s)
{
	assert_int_equal(store_streak_get(h->st, mid(h, who), h->ch.id, s), SB_OK);
}

/* --- 1. the schedule and DST ---------------------------------------------------------------- */

static void schedule_normal_day(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t nine = at(&h, 2026, 6, 2, 9, 0);
	assert_int_equal(nine, utc(2026, 6, 2, 7, 0, 0)); /* CEST */

	assert_int_equal(tick(&h, nine - HOUR), 0);
	assert_int_equal(tick(&h, nine - 1), 0);
	assert_int_not_equal(store_round_latest(h.st, h.ch.id, &(struct st_round){0}), SB_OK);

	assert_int_equal(tick(&h, nine), 1);
	const struct action *q = question_post(&h);
	assert_int_equal(q->type, ACT_POST);
	assert_string_equal(q->channel, CH);
	assert_null(q->thread_of);
	assert_string_equal(q->msg.title, "Question of the day · Alpha · easy");
	assert_contains(q->msg.text, A_ONE_PROMPT);
	/* The deadline in the channel's own time, not UTC. */
	assert_string_equal(field(&q->msg, "Answer by"), "Tue 2 Jun, 11:00 (Europe/Berlin)");
	assert_non_null(button(q, "Answer"));
	assert_non_null(button(q, "Hint (-3 points)"));
	assert_non_null(q->nonce);

	struct st_round r;
	latest(&h, &r);
	assert_int_equal(r.id, q->question_round);
	assert_string_equal(r.slot, "2026-06-02");
	assert_string_equal(r.qid, "a-one");
	assert_int_equal(r.state, ROUND_OPEN);
	assert_int_equal(r.scheduled_at, nine);
	assert_int_equal(r.deadline, nine + 2 * HOUR);
	assert_int_equal(r.review_end, nine + 3 * HOUR);
	assert_string_equal(r.message_id, "m1");

	/* Later ticks the same morning post nothing more. */
	assert_int_equal(tick(&h, nine + 60), 0);
	assert_int_equal(tick(&h, nine + 20 * 60), 0);
	h_free(&h);
}

static void schedule_dst_berlin(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h_channel(&h, CH, "Europe/Berlin", "02:30", "alpha", 1, 1, ANSWER_MODAL);

	/* Spring forward: 02:30 does not exist on 29 March; 03:00 CEST is
	 * 01:00:00 UTC, the first instant after the gap. */
	int64_t gap = utc(2026, 3, 29, 1, 0, 0);
	assert_int_equal(tick(&h, utc(2026, 3, 29, 0, 0, 0)), 0);
	assert_int_equal(tick(&h, gap - 1), 0);
	tick(&h, gap);
	assert_int_equal(questions(&h), 1);
	assert_string_equal(field(&question_post(&h)->msg, "Answer by"),
	                    "Sun 29 Mar, 05:00 (Europe/Berlin)");
	struct st_round r;
	assert_int_equal(store_round_by_slot(h.st, h.ch.id, "2026-03-29", &r), SB_OK);
	assert_int_equal(r.scheduled_at, gap);
	tick(&h, gap + 30 * 60);
	assert_int_equal(questions(&h), 0);
	tick(&h, gap + HOUR + 30 * 60);
	assert_int_equal(questions(&h), 0);
	latest(&h, &r);
	assert_string_equal(r.slot, "2026-03-29");

	/* Fall back: 02:30 happens twice on 25 October, at 00:30 UTC (CEST)
	 * and at 01:30 UTC (CET). Only the first posts. */
	int64_t first = utc(2026, 10, 25, 0, 30, 0), second = utc(2026, 10, 25, 1, 30, 0);
	tick(&h, first - 1);
	assert_int_equal(questions(&h), 0);
	tick(&h, first);
	assert_int_equal(questions(&h), 1);
	assert_string_equal(field(&question_post(&h)->msg, "Answer by"),
	                    "Sun 25 Oct, 03:30 (Europe/Berlin)");
	tick(&h, second);
	assert_int_equal(questions(&h), 0);
	tick(&h, second + 10 * 60);
	assert_int_equal(questions(&h), 0);
	assert_int_equal(store_round_by_slot(h.st, h.ch.id, "2026-10-25", &r), SB_OK);
	assert_int_equal(r.scheduled_at, first);
	latest(&h, &r);
	assert_string_equal(r.slot, "2026-10-25");
	h_free(&h);
}

static void schedule_dst_new_york(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h_channel(&h, CH, "America/New_York", "02:30", "alpha", 1, 1, ANSWER_MODAL);

	/* 8 March: 02:00 EST jumps to 03:00 EDT, which is 07:00 UTC. */
	int64_t gap = utc(2026, 3, 8, 7, 0, 0);
	tick(&h, gap - 1);
	assert_int_equal(questions(&h), 0);
	tick(&h, gap);
	assert_int_equal(questions(&h), 1);
	assert_string_equal(field(&question_post(&h)->msg, "Answer by"),
	                    "Sun 8 Mar, 05:00 (America/New_York)");
	tick(&h, gap + HOUR);
	assert_int_equal(questions(&h), 0);

	/* 1 November at 01:30: first at 05:30 UTC (EDT), again at 06:30 UTC (EST). */
	h_channel(&h, CH, "America/New_York", "01:30", "alpha", 1, 1, ANSWER_MODAL);
	int64_t first = utc(2026, 11, 1, 5, 30, 0), second = utc(2026, 11, 1, 6, 30, 0);
	tick(&h, first - 1);
	assert_int_equal(questions(&h), 0);
	tick(&h, first);
	assert_int_equal(questions(&h), 1);
	tick(&h, second);
	assert_int_equal(questions(&h), 0);
	tick(&h, second + 60);
	assert_int_equal(questions(&h), 0);
	struct st_round r;
	assert_int_equal(store_round_by_slot(h.st, h.ch.id, "2026-11-01", &r), SB_OK);
	assert_int_equal(r.scheduled_at, first);
	h_free(&h);
}

static void schedule_weekdays(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h_channel(&h, CH, "Europe/Berlin", "mon,wed,fri 09:00", "alpha", 1, 1, ANSWER_MODAL);
	static const int posts[7] = {1, 0, 1, 0, 1, 0, 0}; /* Mon 1 June .. Sun 7 June */
	for (int k = 0; k < 7; k++) {
		tick(&h, day_at(&h, k, 9, 0));
		if (questions(&h) != posts[k])
			fail_msg("day %d: %d posts, want %d", k, questions(&h), posts[k]);
		tick(&h, day_at(&h, k, 10, 0));
		assert_int_equal(questions(&h), 0);
	}
	struct st_round r;
	assert_int_equal(store_round_by_slot(h.st, h.ch.id, "2026-06-02", &r), SB_ERR_NOTFOUND);
	assert_int_equal(store_round_by_slot(h.st, h.ch.id, "2026-06-03", &r), SB_OK);
	assert_int_equal(r.scheduled_at, day_at(&h, 2, 9, 0));
	h_free(&h);
}

/* --- 2. catching up after downtime -------------------------------------------------------------
 */

static void catch_up_inside_window(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	tick(&h, day_at(&h, 1, 10, 30));
	assert_int_equal(questions(&h), 1);
	/* The deadline is the scheduled time plus the window, not now plus it. */
	assert_string_equal(field(&question_post(&h)->msg, "Answer by"),
	                    "Tue 2 Jun, 11:00 (Europe/Berlin)");
	struct st_round r;
	latest(&h, &r);
	assert_int_equal(r.scheduled_at, day_at(&h, 1, 9, 0));
	assert_int_equal(r.deadline, day_at(&h, 1, 11, 0));
	tick(&h, day_at(&h, 1, 10, 31));
	assert_int_equal(questions(&h), 0);
	h_free(&h);
}

static void catch_up_after_window(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	assert_int_equal(tick(&h, day_at(&h, 1, 11, 30)), 0);
	struct st_round r;
	assert_int_equal(store_round_latest(h.st, h.ch.id, &r), SB_ERR_NOTFOUND);
	assert_int_equal(tick(&h, day_at(&h, 1, 23, 0)), 0);
	/* The next day runs as usual. */
	post_day(&h, 2);
	h_free(&h);
}

static void catch_up_no_backlog(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t first = post_day(&h, 1);
	/* Down from Tuesday 09:01 to Friday 10:00. */
	tick(&h, day_at(&h, 4, 10, 0));
	assert_int_equal(questions(&h), 1);
	struct st_round r;
	latest(&h, &r);
	assert_string_equal(r.slot, "2026-06-05");
	assert_int_equal(r.scheduled_at, day_at(&h, 4, 9, 0));
	assert_int_equal(store_round_by_slot(h.st, h.ch.id, "2026-06-03", &r), SB_ERR_NOTFOUND);
	assert_int_equal(store_round_by_slot(h.st, h.ch.id, "2026-06-04", &r), SB_ERR_NOTFOUND);
	/* Tuesday's round was closed on the way, with no answers. */
	round_get(&h, first, &r);
	assert_int_equal(r.state, ROUND_CLOSED);
	tick(&h, day_at(&h, 4, 10, 1));
	assert_int_equal(questions(&h), 0);
	h_free(&h);
}

/* --- 3. rotation
 * ---------------------------------------------------------------------------------- */

static void add_question(struct h *h, int who, bool admin, const char *topic, const char *diff,
                         const char *prompt)
{
	char id[CID_MAX + 1];
	cid_of(CID_FORM_ADD, 0, 0, id);
	struct event ev = {.type = EV_FORM, .id = id, .admin = admin, .nopts = 5};
	ev.opts[0] = (struct ev_opt){"topic", topic};
	ev.opts[1] = (struct ev_opt){"difficulty", diff};
	ev.opts[2] = (struct ev_opt){"prompt", prompt};
	ev.opts[3] = (struct ev_opt){"answer", "One query per row instead of one for all rows."};
	ev.opts[4] = (struct ev_opt){"key_points", "- one query per row\n- prefetch"};
	assert_int_equal(handle(h, &ev, who), SB_OK);
}

static void rotation(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h_channel(&h, CH, "Europe/Berlin", "09:00", "alpha", 1, 2, ANSWER_MODAL);
	char asked[16][ST_ID_MAX + 1];
	struct st_round r;
	for (int k = 0; k < 3; k++) {
		round_get(&h, post_day(&h, k), &r);
		snprintf(asked[k], sizeof asked[k], "%s", r.qid);
	}
	/* The whole pool, once each: a-hard (difficulty 3) and beta stay out. */
	for (int k = 0; k < 3; k++) {
		assert_true(strcmp(asked[k], "a-one") == 0 || strcmp(asked[k], "a-two") == 0 ||
		            strcmp(asked[k], "a-three") == 0);
		for (int j = 0; j < k; j++)
			assert_string_not_equal(asked[j], asked[k]);
	}

	/* A member may not add questions; an admin may. */
	h.now = day_at(&h, 2, 20, 0);
	add_question(&h, BOB, false, "alpha", "1", "What is the N+1 query problem, by a member?");
	assert_contains(reply_text(&h), "Only server admins can add questions");
	struct st_question *added = NULL;
	size_t nadded = 0;
	assert_int_equal(store_questions_added(h.st, WS, &added, &nadded), SB_OK);
	assert_int_equal(nadded, 0);
	store_questions_free(added, nadded);

	add_question(&h, ALICE, true, "alpha", "1", "What is the N+1 query problem in an ORM?");
	assert_contains(reply_text(&h), "Added `added-");
	add_question(&h, ALICE, true, "alpha", "2", "How do you spot N+1 queries in a test suite?");
	assert_contains(reply_text(&h), "Added `added-");
	/* Outside the channel's topics, and outside its difficulty. */
	add_question(&h, ALICE, true, "beta", "1", "Which tool shows slow queries in Postgres?");
	assert_contains(reply_text(&h), "Added `added-");
	add_question(&h, ALICE, true, "alpha", "3", "How do you partition a table by time range?");
	assert_contains(reply_text(&h), "Added `added-");
	assert_int_equal(store_questions_added(h.st, WS, &added, &nadded), SB_OK);
	assert_int_equal(nadded, 4);
	store_questions_free(added, nadded);

	/* The two new questions in the pool come first (never asked), then the
	 * least recently asked, in the order they were asked. */
	for (int k = 3; k < 10; k++) {
		round_get(&h, post_day(&h, k), &r);
		snprintf(asked[k], sizeof asked[k], "%s", r.qid);
	}
	assert_true(strncmp(asked[3], "added-", 6) == 0);
	assert_true(strncmp(asked[4], "added-", 6) == 0);
	assert_string_not_equal(asked[3], asked[4]);
	for (int k = 5; k < 10; k++)
		assert_string_equal(asked[k], asked[k - 5]);
	assert_int_equal(store_questions_added(h.st, WS, &added, &nadded), SB_OK);
	for (int k = 0; k < 10; k++) {
		const struct bank_question *q = bank_find(&h.bank, asked[k]);
		const char *topic = q ? q->topic : NULL;
		int diff = q ? q->difficulty : 0;
		for (size_t i = 0; !q && i < nadded; i++) {
			if (strcmp(added[i].qid, asked[k]) == 0) {
				topic = added[i].topic;
				diff = added[i].difficulty;
			}
		}
		assert_non_null(topic);
		assert_string_equal(topic, "alpha");
		assert_true(diff >= 1 && diff <= 2);
	}
	store_questions_free(added, nadded);
	h_free(&h);
}

static void rotation_added_question_is_posted(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	post_day(&h, 0);
	h.now = day_at(&h, 0, 20, 0);
	add_question(&h, ALICE, true, "alpha", "1", "What is the N+1 query problem in an ORM?");
	assert_contains(reply_text(&h), "Added `added-what-is-the-n-1-query-problem-in-an-orm`");
	post_day(&h, 1);
	const struct action *q = question_post(&h);
	assert_contains(q->msg.text, "What is the N+1 query problem in an ORM?");
	assert_non_null(button(q, "Answer"));
	h_free(&h);
}

static void rotation_added_before_setup(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	/* Added in a workspace with no study channel yet, then set up. */
	assert_int_equal(tz_load("Europe/Berlin", &h.tz), SB_OK);
	h.where = "chan-x";
	h.now = day_at(&h, 0, 8, 0);
	add_question(&h, ALICE, true, "alpha", "1", "What is the N+1 query problem in an ORM?");
	assert_contains(reply_text(&h), "Added `added-");
	cmd(&h, ALICE, true, "setup", "channel", CH, "time", "09:00", "timezone", "Europe/Berlin",
	    "topics", "alpha", "difficulty", "1", NULL);
	assert_contains(reply_text(&h), "Set up:");
	assert_int_equal(store_channel_get(h.st, CH, &h.ch), SB_OK);
	struct st_round r;
	char asked[2][ST_ID_MAX + 1];
	for (int k = 0; k < 2; k++) {
		round_get(&h, post_day(&h, k), &r);
		snprintf(asked[k], sizeof asked[k], "%s", r.qid);
	}
	assert_string_not_equal(asked[0], asked[1]);
	assert_true(strcmp(asked[0], "a-one") == 0 || strcmp(asked[1], "a-one") == 0);
	assert_true(strncmp(asked[0], "added-", 6) == 0 || strncmp(asked[1], "added-", 6) == 0);
	h_free(&h);
}

/* --- 4. answers in modal mode -------------------------------------------------------------------
 */

static void answer_modal(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t round = post_day(&h, 1);
	h.now = day_at(&h, 1, 9, 5);
	char text[16384];

	/* Answer opens a form; submitting records the answer. */
	char form[CID_MAX + 1], want[CID_MAX + 1];
	open_form(&h, ALICE, round, form);
	cid_of(CID_FORM_ANSWER, round, 0, want);
	assert_string_equal(form, want);
	const struct action *f = find(&h, ACT_FORM, NULL);
	assert_string_equal(f->form.title, "Your answer");
	assert_int_equal(f->form.ninputs, 1);
	assert_string_equal(f->form.inputs[0].id, "answer");
	assert_null(f->form.inputs[0].value);
	assert_int_equal(f->form.inputs[0].max_len, 4000);
	submit(&h, ALICE, form, "select_related first");
	assert_contains(reply_text(&h), "Your answer is recorded (20 characters)");
	assert_contains(reply_text(&h), "You can edit it until Tue 2 Jun, 11:00 (Europe/Berlin)");
	assert_int_equal(count(&h, ACT_POST, NULL), 0);
	struct st_answer a;
	assert_true(answer_of(&h, round, ALICE, &a));
	assert_string_equal(a.text, "select_related first");
	assert_false(a.late);
	assert_int_equal(a.edits, 0);
	store_answer_clear(&a);

	/* The second time the form comes prefilled and saves an edit. */
	open_form(&h, ALICE, round, form);
	f = find(&h, ACT_FORM, NULL);
	assert_string_equal(f->form.title, "Edit your answer");
	assert_string_equal(f->form.inputs[0].value, "select_related first");
	submit(&h, ALICE, form, "select_related, then prefetch_related");
	assert_contains(reply_text(&h), "Your answer is updated");
	assert_true(answer_of(&h, round, ALICE, &a));
	assert_string_equal(a.text, "select_related, then prefetch_related");
	assert_int_equal(a.edits, 1);
	store_answer_clear(&a);

	/* /study answer opens the same form. */
	cmd(&h, ALICE, false, "answer", NULL);
	f = find(&h, ACT_FORM, NULL);
	assert_non_null(f);
	cid_of(CID_FORM_ANSWER, round, 0, want);
	assert_string_equal(f->form.id, want);
	assert_string_equal(f->form.inputs[0].value, "select_related, then prefetch_related");

	/* Empty, blank, too long and invalid text is refused and not kept. */
	cid_of(CID_FORM_ANSWER, round, 0, form);
	submit(&h, BOB, form, "");
	assert_contains(reply_text(&h), "Your answer was empty, so nothing was saved.");
	submit(&h, BOB, form, "  \n\t \r\n ");
	assert_contains(reply_text(&h), "Your answer was empty, so nothing was saved.");
	char *big = malloc(4001 * 2 + 1);
	assert_non_null(big);
	for (int i = 0; i < 4001; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[4001 * 2] = '\0';
	submit(&h, BOB, form, big);
	assert_contains(reply_text(&h), "Your answer is 4001 characters; the limit here is 4000.");
	assert_contains(reply_text(&h), "Nothing was saved");
	submit(&h, BOB, form, "abc \xff\xfe def");
	assert_contains(reply_text(&h), "not valid text");
	submit(&h, BOB, form, "caf\xc3");
	assert_contains(reply_text(&h), "not valid text");
	answer_text(&h, round, BOB, text, sizeof text);
	assert_string_equal(text, "");
	/* Exactly at the cap, in characters not bytes: kept. */
	big[4000 * 2] = '\0';
	submit(&h, CAROL, form, big);
	assert_contains(reply_text(&h), "Your answer is recorded (4000 characters)");
	assert_true(answer_of(&h, round, CAROL, &a));
	assert_int_equal(strlen(a.text), 8000);
	store_answer_clear(&a);
	free(big);

	/* After the deadline (before the reveal has run): a first answer is
	 * kept and marked late; an on-time one stands. */
	h.now = day_at(&h, 1, 11, 0) + 30;
	open_form(&h, DAVE, round, form);
	submit(&h, DAVE, form, "late, but select_related");
	assert_contains(reply_text(&h), "marked late");
	assert_contains(reply_text(&h), "no answer points");
	assert_true(answer_of(&h, round, DAVE, &a));
	assert_true(a.late);
	store_answer_clear(&a);

	char id[CID_MAX + 1];
	cid_of(CID_ANSWER, round, 0, id);
	click(&h, ALICE, id);
	assert_int_equal(count(&h, ACT_FORM, NULL), 0);
	assert_contains(reply_text(&h),
	                "The deadline has passed, so your answer stands as it was.");
	submit(&h, ALICE, form, "a sneaky change after the deadline");
	assert_contains(reply_text(&h), "your on-time answer stands as it was");
	assert_true(answer_of(&h, round, ALICE, &a));
	assert_string_equal(a.text, "select_related, then prefetch_related");
	assert_false(a.late);
	store_answer_clear(&a);

	/* The reveal shows the late answer as late; it earns no answer points. */
	tick(&h, day_at(&h, 1, 11, 1));
	assert_int_equal(count(&h, ACT_POST, "(late)"), 1);
	assert_int_equal(count(&h, ACT_POST, "late, but select_related"), 1);
	assert_int_equal(pts(&h, DAVE, "answer"), 0);
	assert_int_equal(pts(&h, DAVE, NULL), 0);
	assert_int_equal(pts(&h, ALICE, "answer"), 10);

	/* After the reveal too: kept, late, and not shown. */
	open_form(&h, ERIN, round, form);
	submit(&h, ERIN, form, "even later");
	assert_contains(reply_text(&h), "marked late");
	assert_int_equal(count(&h, ACT_POST, NULL), 0);
	assert_true(answer_of(&h, round, ERIN, &a));
	assert_true(a.late);
	store_answer_clear(&a);

	/* With no round open, /study answer says when the next one comes. */
	cmd(&h, ERIN, false, "answer", NULL);
	assert_contains(reply_text(&h), "No question is open in this channel right now. The next "
	                                "one comes Wed 3 Jun, 09:00 (Europe/Berlin).");

	/* A form for a round that does not exist. */
	cid_of(CID_FORM_ANSWER, 999999, 0, form);
	submit(&h, ERIN, form, "hello");
	assert_contains(reply_text(&h), "no longer exists");
	h_free(&h);
}

/* --- 5. thread mode
 * -------------------------------------------------------------------------------- */

static void answer_thread(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h_channel(&h, CH, "Europe/Berlin", "09:00", "alpha", 1, 1, ANSWER_THREAD);
	int64_t round = post_day(&h, 1);
	assert_contains(question_post(&h)->msg.footer, "Reply in this message's thread");
	struct st_round r;
	round_get(&h, round, &r);
	char thread[ST_ID_MAX + 1];
	snprintf(thread, sizeof thread, "%s", r.message_id);
	assert_string_equal(thread, "m1");

	h.now = day_at(&h, 1, 9, 10);
	say(&h, ALICE, thread, "first try with select_related");
	assert_int_equal(h.acts.n, 0); /* the reply itself is the confirmation */
	char text[256];
	answer_text(&h, round, ALICE, text, sizeof text);
	assert_string_equal(text, "first try with select_related");
	say(&h, ALICE, thread, "second try: select_related and prefetch_related");
	answer_text(&h, round, ALICE, text, sizeof text);
	assert_string_equal(text, "second try: select_related and prefetch_related");
	struct st_answer a;
	assert_true(answer_of(&h, round, ALICE, &a));
	assert_int_equal(a.edits, 1);
	assert_false(a.late);
	store_answer_clear(&a);

	/* A reply with no text (a picture, say) does not wipe the answer. */
	say(&h, ALICE, thread, "");
	say(&h, ALICE, thread, " \n ");
	assert_int_equal(h.acts.n, 0);
	answer_text(&h, round, ALICE, text, sizeof text);
	assert_string_equal(text, "second try: select_related and prefetch_related");

	/* Too long: a private note naming the limit, and the answer stands. */
	char *big = malloc(4002);
	assert_non_null(big);
	memset(big, 'x', 4001);
	big[4001] = '\0';
	say(&h, ALICE, thread, big);
	free(big);
	assert_int_equal(h.acts.n, 1);
	const struct action *dm = find(&h, ACT_DM, "the limit here is 4000");
	assert_non_null(dm);
	assert_string_equal(dm->user, uid[ALICE]);
	answer_text(&h, round, ALICE, text, sizeof text);
	assert_string_equal(text, "second try: select_related and prefetch_related");

	/* Other threads and plain messages are not answers. */
	say(&h, BOB, "m999", "unrelated chatter with select_related");
	assert_int_equal(h.acts.n, 0);
	say(&h, BOB, NULL, "a message outside any thread");
	assert_int_equal(h.acts.n, 0);
	struct st_member m;
	assert_int_equal(store_member_by_ext(h.st, uid[BOB], &m), SB_ERR_NOTFOUND);

	/* The Answer button points to the thread instead. */
	char id[CID_MAX + 1];
	cid_of(CID_ANSWER, round, 0, id);
	click(&h, CAROL, id);
	assert_contains(reply_text(&h), "answers are replies in the question's thread");
	assert_int_equal(count(&h, ACT_FORM, NULL), 0);

	/* The last reply is the one revealed. */
	tick(&h, day_at(&h, 1, 11, 0));
	assert_int_equal(count(&h, ACT_POST, NULL), 2);
	assert_int_equal(count(&h, ACT_POST, "Answer A"), 1);
	assert_int_equal(count(&h, ACT_POST, "second try"), 1);
	assert_int_equal(count(&h, ACT_POST, "first try"), 0);
	assert_string_equal(find(&h, ACT_POST, "second try")->thread_of, thread);
	assert_int_equal(pts(&h, ALICE, "answer"), 10);
	h_free(&h);
}

/* --- 6. hints
 * ---------------------------------------------------------------------------------------- */

static void hints(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t round = post_day(&h, 1);
	h.now = day_at(&h, 1, 9, 15);
	long rows;

	hint(&h, ALICE);
	const char *t = reply_text(&h);
	assert_contains(t, "**Hint 1 of 2:** Think about SQL joins.");
	assert_lacks(t, "Hint 2");
	assert_contains(t, "That hint cost 3 points.");
	assert_int_equal(count(&h, ACT_POST, NULL) + count(&h, ACT_DM, NULL), 0);
	assert_int_equal(pts_rows(&h, ALICE, "hint", &rows), -3);
	assert_int_equal(rows, 1);
	int taken = 0;
	assert_int_equal(store_hints_taken(h.st, round, mid(&h, ALICE), &taken), SB_OK);
	assert_int_equal(taken, 1);

	hint(&h, ALICE);
	t = reply_text(&h);
	assert_contains(t, "**Hint 1 of 2:** Think about SQL joins.");
	assert_contains(t, "**Hint 2 of 2:** One of them runs a second query.");
	assert_contains(t, "That hint cost 3 points.");
	assert_int_equal(pts_rows(&h, ALICE, "hint", &rows), -6);
	assert_int_equal(rows, 2);

	/* No third hint, and no cost for asking. */
	hint(&h, ALICE);
	t = reply_text(&h);
	assert_contains(t, "**Hint 2 of 2:**");
	assert_contains(t, "That was the last hint.");
	assert_lacks(t, "cost");
	assert_int_equal(pts_rows(&h, ALICE, "hint", &rows), -6);
	assert_int_equal(rows, 2);
	assert_int_equal(store_hints_taken(h.st, round, mid(&h, ALICE), &taken), SB_OK);
	assert_int_equal(taken, 2);

	/* After the deadline hints are free to read again, and not to take. */
	h.now = day_at(&h, 1, 11, 0);
	hint(&h, BOB);
	assert_contains(reply_text(&h), "Hints are over for this round");
	assert_int_equal(pts(&h, BOB, NULL), 0);
	assert_int_equal(store_hints_taken(h.st, round, mid(&h, BOB), &taken), SB_OK);
	assert_int_equal(taken, 0);
	tick(&h, day_at(&h, 1, 11, 0));
	h.now = day_at(&h, 1, 11, 5);
	hint(&h, ALICE);
	t = reply_text(&h);
	assert_contains(t, "**Hint 2 of 2:**");
	assert_lacks(t, "cost");
	assert_int_equal(pts_rows(&h, ALICE, "hint", &rows), -6);
	assert_int_equal(rows, 2);
	hint(&h, CAROL);
	assert_contains(reply_text(&h), "Hints are over for this round");
	assert_int_equal(pts(&h, CAROL, NULL), 0);
	h_free(&h);
}

/* --- 7. multiple choice
 * ---------------------------------------------------------------------------- */

static void pick(struct h *h, int who, int64_t round, int choice)
{
	char id[CID_MAX + 1];
	cid_of(CID_PICK, round, choice, id);
	click(h, who, id);
}

static int choice_of(struct h *h, int64_t round, int who)
{
	struct st_answer a;
	if (!answer_of(h, round, who, &a))
		return -9;
	store_answer_clear(&a);
	return a.choice;
}

static void multiple_choice(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h_channel(&h, CH, "Europe/Berlin", "09:00", "beta", 1, 1, ANSWER_MODAL);
	int64_t round = post_day(&h, 1);
	const struct action *q = question_post(&h);
	assert_contains(q->msg.text, "**B.** 201");
	assert_null(button(q, "Answer"));
	struct cid c;
	assert_true(cid_parse(button(q, "B"), &c));
	assert_int_equal(c.verb, CID_PICK);
	assert_int_equal(c.num, round);
	assert_int_equal(c.arg, 1);
	assert_non_null(button(q, "A"));
	assert_non_null(button(q, "C"));
	assert_contains(q->msg.footer, "you can change it until the deadline");
	struct st_round r;
	round_get(&h, round, &r);
	char thread[ST_ID_MAX + 1];
	snprintf(thread, sizeof thread, "%s", r.message_id);

	/* One pick per member, changeable until the deadline. */
	h.now = day_at(&h, 1, 9, 30);
	pick(&h, ALICE, round, 1);
	assert_contains(reply_text(&h), "You picked **B.** 201");
	pick(&h, ALICE, round, 0);
	assert_contains(reply_text(&h), "You changed your pick to **A.** 200");
	assert_int_equal(choice_of(&h, round, ALICE), 0);
	pick(&h, ALICE, round, 1);
	assert_int_equal(choice_of(&h, round, ALICE), 1);
	pick(&h, BOB, round, 0);
	pick(&h, CAROL, round, 2);
	pick(&h, DAVE, round, 1);
	struct st_answer *all = NULL;
	size_t n = 0;
	assert_int_equal(store_answers(h.st, round, &all, &n), SB_OK);
	assert_int_equal(n, 4);
	store_answers_free(all, n);
	/* No written answers, and no choice beyond the last. */
	char id[CID_MAX + 1];
	cid_of(CID_ANSWER, round, 0, id);
	click(&h, ERIN, id);
	assert_contains(reply_text(&h), "multiple choice");
	pick(&h, ERIN, round, 4);
	assert_contains(reply_text(&h), "no longer exists");
	assert_int_equal(choice_of(&h, round, ERIN), -9);

	/* At the deadline picks stop, even before the reveal has run. */
	h.now = day_at(&h, 1, 11, 0);
	pick(&h, ERIN, round, 1);
	assert_contains(reply_text(&h), "picks no longer count");
	pick(&h, BOB, round, 1);
	assert_contains(reply_text(&h), "picks no longer count");
	assert_int_equal(choice_of(&h, round, ERIN), -9);
	assert_int_equal(choice_of(&h, round, BOB), 0);

	tick(&h, day_at(&h, 1, 11, 0));
	const struct action *rv = find(&h, ACT_POST, "The right answer is **B.** 201");
	assert_non_null(rv);
	assert_string_equal(rv->thread_of, thread);
	assert_contains(rv->msg.text, "**A.** 200: 1 vote (25%)");
	assert_contains(rv->msg.text, "**B.** 201: 2 votes (50%) ✓");
	assert_contains(rv->msg.text, "**C.** 204: 1 vote (25%)");
	assert_contains(rv->msg.text, "2 of 4 got it right.");
	assert_int_equal(rv->msg.nbuttons, 0);
	assert_int_equal(count(&h, ACT_DM, NULL), 0);
	round_get(&h, round, &r);
	assert_int_equal(r.state, ROUND_CLOSED);

	/* Right picks earn mcq; every on-time pick counts for the streak. */
	assert_int_equal(pts(&h, ALICE, "mcq"), 10);
	assert_int_equal(pts(&h, DAVE, "mcq"), 10);
	assert_int_equal(pts(&h, BOB, "mcq"), 0);
	assert_int_equal(pts(&h, CAROL, "mcq"), 0);
	assert_int_equal(pts(&h, ALICE, NULL), 11);
	assert_int_equal(pts(&h, BOB, NULL), 1);
	assert_int_equal(pts(&h, ERIN, NULL), 0);

	/* Closed: nothing more happens, and picks stay refused. */
	assert_int_equal(tick(&h, day_at(&h, 1, 12, 0)), 0);
	h.now = day_at(&h, 1, 12, 5);
	pick(&h, CAROL, round, 1);
	assert_contains(reply_text(&h), "picks no longer count");
	assert_int_equal(choice_of(&h, round, CAROL), 2);
	h_free(&h);
}

/* --- 8. reveal -----------------------------------------------------------------------------------
 */

static void reveal(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t round = post_day(&h, 1);
	struct st_round r;
	round_get(&h, round, &r);
	char thread[ST_ID_MAX + 1];
	snprintf(thread, sizeof thread, "%s", r.message_id);
	h.now = day_at(&h, 1, 9, 30);
	answer(&h, ALICE, TXT_TWO);
	answer(&h, BOB, TXT_ONE);
	answer(&h, CAROL, TXT_ALL);
	answer(&h, DAVE, "Honestly no idea, maybe caching?");
	/* Before the deadline nobody else can see an answer. */
	assert_int_equal(count(&h, ACT_POST, NULL), 0);

	tick(&h, day_at(&h, 1, 11, 0));
	round_get(&h, round, &r);
	assert_int_equal(r.state, ROUND_REVIEW);

	/* Every reveal post is in the question's thread, and names no one. */
	int posts = 0;
	for (size_t i = 0; i < h.acts.n; i++) {
		const struct action *a = &h.acts.v[i];
		if (a->type == ACT_POST) {
			posts++;
			assert_string_equal(a->thread_of, thread);
		}
		for (int who = ALICE; who <= DAVE; who++) {
			if (a->type == ACT_POST || a->type == ACT_DM) {
				assert_false(msg_has(&a->msg, uname[who]));
				assert_false(msg_has(&a->msg, uid[who]));
			}
		}
	}
	assert_int_equal(posts, 5);
	const struct action *head = find(&h, ACT_POST, "**Model answer**");
	assert_non_null(head);
	assert_contains(head->msg.text, "Use select_related for foreign keys");
	assert_contains(head->msg.text, "**Key points:** `select_related` · `prefetch_related` · "
	                                "`queryset caching`");
	assert_contains(head->msg.footer, "4 answers below, anonymised");

	/* One card per answer, labelled A-D, with coverage and 1-5 buttons. */
	static const char *const labels[] = {"Answer A", "Answer B", "Answer C", "Answer D"};
	static const int hits[] = {2, 1, 3, 0};
	int64_t ids[4];
	for (int who = ALICE; who <= DAVE; who++)
		ids[who] = answer_id(&h, round, who);
	for (int k = 0; k < 4; k++) {
		const struct action *card = NULL;
		for (size_t i = 0; i < h.acts.n; i++)
			if (h.acts.v[i].type == ACT_POST && h.acts.v[i].msg.title &&
			    strcmp(h.acts.v[i].msg.title, labels[k]) == 0)
				card = &h.acts.v[i];
		if (!card)
			fail_msg("no card titled %s", labels[k]);
		assert_int_equal(card->msg.nbuttons, 5);
		struct cid c;
		for (int s = 1; s <= 5; s++) {
			char l[2] = {(char)('0' + s), 0};
			assert_string_equal(card->msg.buttons[s - 1].label, l);
			assert_true(cid_parse(card->msg.buttons[s - 1].id, &c));
			assert_int_equal(c.verb, CID_RATE);
			assert_int_equal(c.arg, s);
		}
		int who = -1;
		for (int w = ALICE; w <= DAVE; w++)
			if (ids[w] == c.num)
				who = w;
		assert_true(who >= 0);
		struct st_answer a;
		assert_true(answer_of(&h, round, who, &a));
		assert_int_equal(a.label, k + 1);
		assert_int_equal(a.kp_hits, hits[who]);
		assert_string_equal(card->msg.text, a.text);
		char cov[16];
		snprintf(cov, sizeof cov, "%d of 3", hits[who]);
		assert_string_equal(field(&card->msg, "Key points covered"), cov);
		store_answer_clear(&a);
	}

	/* Review: each answerer is handed two answers, never their own, and
	 * every answer is handed to someone. */
	int got[4] = {0}, handed[4] = {0};
	for (size_t i = 0; i < h.acts.n; i++) {
		const struct action *a = &h.acts.v[i];
		if (a->type != ACT_DM)
			continue;
		int to = -1;
		for (int w = ALICE; w <= DAVE; w++)
			if (strcmp(a->user, uid[w]) == 0)
				to = w;
		assert_true(to >= 0);
		got[to]++;
		assert_true(strncmp(a->msg.title, "Please review: Answer ", 22) == 0);
		struct cid c;
		assert_true(cid_parse(a->msg.buttons[0].id, &c));
		int of = -1;
		for (int w = ALICE; w <= DAVE; w++)
			if (ids[w] == c.num)
				of = w;
		assert_true(of >= 0);
		assert_int_not_equal(of, to);
		handed[of]++;
	}
	struct st_rating_sum *sum = NULL;
	size_t n = 0;
	assert_int_equal(store_rating_summary(h.st, round, &sum, &n), SB_OK);
	assert_int_equal(n, 4);
	for (int w = ALICE; w <= DAVE; w++) {
		assert_int_equal(got[w], 2);
		assert_true(handed[w] >= 1);
		for (size_t i = 0; i < n; i++)
			if (sum[i].answer_id == ids[w])
				assert_int_equal(sum[i].assigned, handed[w]);
	}
	free(sum);
	h_free(&h);
}

/* --- 9. ratings ------------------------------------------------------------------------------- */

static void ratings(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t round = post_day(&h, 1);
	h.now = day_at(&h, 1, 9, 30);
	for (int who = ALICE; who <= ERIN; who++)
		answer(&h, who, who == ALICE ? TXT_ALL : TXT_ONE);
	int64_t alice = answer_id(&h, round, ALICE), bob = answer_id(&h, round, BOB);
	char id[CID_MAX + 1];
	double avg = 0;

	/* Before the reveal there is nothing to rate, whatever the id says. */
	cid_of(CID_RATE, alice, 5, id);
	click(&h, BOB, id);
	assert_contains(reply_text(&h),
	                "Ratings open when the answers are revealed, at Tue 2 Jun, 11:00");
	assert_int_equal(all_ratings(&h, round), 0);
	assert_int_equal(pts(&h, BOB, NULL), 0);

	tick(&h, day_at(&h, 1, 11, 0));
	struct st_answer a;
	assert_true(answer_of(&h, round, BOB, &a));
	char label[32];
	snprintf(label, sizeof label, "Answer %c", 'A' + a.label - 1);
	store_answer_clear(&a);
	h.now = day_at(&h, 1, 11, 10);

	/* Recorded privately; a second click replaces, without more points. */
	long rows;
	cid_of(CID_RATE, bob, 3, id);
	click(&h, ALICE, id);
	char want[128];
	snprintf(want, sizeof want, "Your rating is recorded for %s: 3/5.", label);
	assert_contains(reply_text(&h), want);
	assert_contains(reply_text(&h), "Ratings stay hidden until Tue 2 Jun, 12:00");
	assert_int_equal(count(&h, ACT_POST, NULL) + count(&h, ACT_DM, NULL), 0);
	assert_int_equal(ratings_of(&h, round, bob, &avg), 1);
	assert_true(avg == 3.0);
	assert_int_equal(pts_rows(&h, ALICE, "review", &rows), 1);
	assert_int_equal(rows, 1);
	cid_of(CID_RATE, bob, 5, id);
	click(&h, ALICE, id);
	snprintf(want, sizeof want, "Your rating is changed for %s: 5/5.", label);
	assert_contains(reply_text(&h), want);
	assert_int_equal(ratings_of(&h, round, bob, &avg), 1);
	assert_true(avg == 5.0);
	assert_int_equal(pts_rows(&h, ALICE, "review", &rows), 1);
	assert_int_equal(rows, 1);

	/* Not one's own. */
	cid_of(CID_RATE, alice, 5, id);
	click(&h, ALICE, id);
	assert_contains(reply_text(&h), "You can't rate your own answer");
	assert_int_equal(ratings_of(&h, round, alice, NULL), 0);
	assert_int_equal(pts(&h, ALICE, "review"), 1);

	/* Review points stop at the cap; the ratings still count. */
	rate(&h, ALICE, CAROL, 4);
	rate(&h, ALICE, DAVE, 4);
	assert_int_equal(pts(&h, ALICE, "review"), 3);
	rate(&h, ALICE, ERIN, 4);
	assert_contains(reply_text(&h), "Your rating is recorded");
	assert_int_equal(pts_rows(&h, ALICE, "review", &rows), 3);
	assert_int_equal(rows, 3);
	assert_int_equal(ratings_of(&h, round, answer_id(&h, round, ERIN), NULL), 1);
	int given = 0;
	assert_int_equal(store_ratings_given(h.st, round, mid(&h, ALICE), &given), SB_OK);
	assert_int_equal(given, 4);

	/* Forged and garbage ids: a clear refusal, nothing changed. */
	static const struct {
		const char *id, *says;
	} bad[] = {
	    {"sb1:r:999999:5", "That answer no longer exists."},
	    {"sb1:r:1:9", "not one of mine"},
	    {"sb1:r:1:0", "not one of mine"},
	    {"sb1:r:01:3", "not one of mine"},
	    {"hello", "not one of mine"},
	    {"sb1:a:0", "not one of mine"},
	    {"sb1:a:-1", "not one of mine"},
	    {"", "not one of mine"},
	};
	long before = pts(&h, BOB, NULL);
	int ratings_before = all_ratings(&h, round);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		click(&h, BOB, bad[i].id);
		assert_int_equal(h.acts.n, 1);
		assert_contains(reply_text(&h), bad[i].says);
	}
	assert_int_equal(pts(&h, BOB, NULL), before);
	assert_int_equal(all_ratings(&h, round), ratings_before);

	/* A late answer given after the reveal was never shown: no rating. */
	answer(&h, FRANK, TXT_ALL);
	int64_t frank = answer_id(&h, round, FRANK);
	cid_of(CID_RATE, frank, 5, id);
	click(&h, BOB, id);
	assert_contains(reply_text(&h), "came in after the reveal, so it cannot be rated");
	assert_int_equal(ratings_of(&h, round, frank, NULL), 0);
	assert_int_equal(pts(&h, BOB, NULL), before);

	/* After the review window, even before the results have run. */
	h.now = day_at(&h, 1, 12, 0);
	cid_of(CID_RATE, alice, 4, id);
	click(&h, BOB, id);
	assert_contains(reply_text(&h), "Rating for this round closed at Tue 2 Jun, 12:00");
	assert_int_equal(ratings_of(&h, round, alice, NULL), 0);
	assert_int_equal(pts(&h, BOB, "review"), 0);
	tick(&h, day_at(&h, 1, 12, 0));
	h.now = day_at(&h, 1, 13, 0);
	click(&h, BOB, id);
	assert_contains(reply_text(&h), "Rating for this round closed");
	assert_int_equal(ratings_of(&h, round, alice, NULL), 0);
	h_free(&h);
}

/* --- 10. results
 * ----------------------------------------------------------------------------------- */

static void results(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t round = play_round(&h);
	struct st_round r;
	round_get(&h, round, &r);
	assert_int_equal(r.state, ROUND_CLOSED);

	const struct action *res = find(&h, ACT_POST, NULL);
	assert_non_null(res);
	assert_int_equal(count(&h, ACT_POST, NULL), 1);
	assert_string_equal(res->msg.title, "Results");
	assert_string_equal(res->thread_of, r.message_id);
	const char *t = res->msg.text;
	char lines[3][160];
	static const int order[3] = {CAROL, ALICE, BOB};
	static const char *const tail[3] = {"5.0/5 from 2 ratings · 3/3 key points",
	                                    "4.5/5 from 2 ratings · 2/3 key points",
	                                    "2.5/5 from 2 ratings · 1/3 key points"};
	for (int i = 0; i < 3; i++) {
		struct st_answer a;
		assert_true(answer_of(&h, round, order[i], &a));
		snprintf(lines[i], sizeof lines[i], "%s**Answer %c**: %s · %s", i == 0 ? "🏆 " : "",
		         'A' + a.label - 1, uname[order[i]], tail[i]);
		store_answer_clear(&a);
		assert_contains(t, lines[i]);
	}
	/* Best first, one trophy. */
	assert_true(strstr(t, lines[0]) < strstr(t, lines[1]));
	assert_true(strstr(t, lines[1]) < strstr(t, lines[2]));
	assert_true(strstr(t, "🏆") == t);
	assert_null(strstr(t + 1, "🏆"));

	/* round(peer_max * (avg - 1) / 4): 5.0 -> 10, 4.5 -> 9 (8.75), 2.5 -> 4 (3.75). */
	long rows;
	assert_int_equal(pts_rows(&h, CAROL, "peer", &rows), 10);
	assert_int_equal(rows, 1);
	assert_int_equal(pts(&h, ALICE, "peer"), 9);
	assert_int_equal(pts(&h, BOB, "peer"), 4);

	/* Results come once. */
	assert_int_equal(tick(&h, day_at(&h, 1, 13, 0)), 0);
	h_free(&h);
}

/* --- 11. ledger totals --------------------------------------------------------------------------
 */

static void ledger_totals(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	play_round(&h);
	/* answer 10 + streak 1 + key points 5 (if >= half) + peer + review 2 + hints. */
	static const struct {
		int who;
		long total, key_points, hint, peer;
	} want[] = {
	    {ALICE, 10 + 1 + 5 + 9 + 2 - 3, 5, -3, 9},
	    {BOB, 10 + 1 + 0 + 4 + 2, 0, 0, 4},
	    {CAROL, 10 + 1 + 5 + 10 + 2 - 6, 5, -6, 10},
	};
	char keys[4][16];
	core_period_keys(h.tz, day_at(&h, 1, 12, 0), keys);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int who = want[i].who;
		struct st_reason r[16];
		size_t n = 0;
		assert_int_equal(store_points_by_reason(h.st, h.ch.id, mid(&h, who), r, 16, &n),
		                 SB_OK);
		long sum = 0;
		for (size_t k = 0; k < n; k++)
			sum += r[k].points;
		assert_int_equal(sum, want[i].total);
		assert_int_equal(pts(&h, who, "answer"), 10);
		assert_int_equal(pts(&h, who, "streak"), 1);
		assert_int_equal(pts(&h, who, "key_points"), want[i].key_points);
		assert_int_equal(pts(&h, who, "hint"), want[i].hint);
		assert_int_equal(pts(&h, who, "peer"), want[i].peer);
		assert_int_equal(pts(&h, who, "review"), 2);
		for (int k = 0; k < 4; k++) {
			assert_int_equal(board(&h, who, keys[k], "", NULL), want[i].total);
			assert_int_equal(board(&h, who, keys[k], "alpha", NULL), want[i].total);
		}
		assert_int_equal(board(&h, who, "all", "beta", NULL), 0);
	}

	/* What members see agrees with the ledger. */
	h.now = day_at(&h, 1, 12, 30);
	cmd(&h, BOB, false, "leaderboard", "period", "day", NULL);
	const struct action *b = find(&h, ACT_REPLY, NULL);
	assert_true(b->public_reply);
	assert_string_equal(b->msg.title, "Leaderboard · today");
	assert_contains(b->msg.text, "🥇 **Alice**: 24\n🥈 **Carol**: 22\n🥉 **Bob**: 17");
	cmd(&h, ALICE, false, "stats", NULL);
	const struct action *s = find(&h, ACT_REPLY, NULL);
	assert_contains(s->msg.text, "**24 points** · 1 round answered on time");
	const char *by = field(&s->msg, "Points by reason");
	assert_contains(by, "answer: +10 (1)");
	assert_contains(by, "peer: +9 (1)");
	assert_contains(by, "hint: -3 (1)");
	h_free(&h);
}

/* --- 12. streaks and freezes --------------------------------------------------------------------
 */

static void streak_freeze(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	struct st_streak s;
	/* Bob answers once and misses the next: no freeze, back to 0. */
	play_day(&h, 0, 1u << ALICE | 1u << BOB);
	streak_of(&h, BOB, &s);
	assert_int_equal(s.current, 1);
	for (int k = 1; k < 7; k++)
		play_day(&h, k, 1u << ALICE);
	streak_of(&h, BOB, &s);
	assert_int_equal(s.current, 0);
	assert_int_equal(s.best, 1);

	/* Seven in a row earn a freeze; the bonus grows 1..7. */
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 7);
	assert_int_equal(s.best, 7);
	assert_int_equal(s.freezes, 1);
	long rows;
	assert_int_equal(pts_rows(&h, ALICE, "streak", &rows), 1 + 2 + 3 + 4 + 5 + 6 + 7);
	assert_int_equal(rows, 7);

	/* A missed round uses the freeze; the streak stands. */
	play_day(&h, 7, 0);
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 7);
	assert_int_equal(s.freezes, 0);
	assert_int_equal(pts(&h, ALICE, "streak"), 28);

	/* The 8th answer's bonus is capped at streak_cap (7). */
	play_day(&h, 8, 1u << ALICE);
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 8);
	assert_int_equal(s.best, 8);
	assert_int_equal(pts(&h, ALICE, "streak"), 28 + 7);

	/* Missed again, no freeze left: back to 0. */
	play_day(&h, 9, 0);
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 0);
	assert_int_equal(s.best, 8);
	assert_int_equal(s.freezes, 0);
	h.now = day_at(&h, 9, 13, 0);
	cmd(&h, ALICE, false, "stats", NULL);
	assert_contains(reply_text(&h), "Streak: 0 (best 8), freezes held: 0");

	/* And starts over at 1. */
	play_day(&h, 10, 1u << ALICE);
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 1);
	assert_int_equal(pts(&h, ALICE, "streak"), 28 + 7 + 1);
	assert_int_equal(pts(&h, ALICE, "answer"), 9 * 10);
	h_free(&h);
}

static void streak_freezes_capped(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	struct st_streak s;
	for (int k = 0; k < 21; k++) {
		play_day(&h, k, 1u << ALICE);
		streak_of(&h, ALICE, &s);
		assert_int_equal(s.current, k + 1);
		assert_int_equal(s.freezes, k + 1 < 7 ? 0 : k + 1 < 14 ? 1 : 2);
	}
	assert_int_equal(s.freezes, 2); /* 21 rounds would be 3: at most 2 held */
	assert_int_equal(pts(&h, ALICE, "streak"), 28 + 14 * 7);
	assert_int_equal(pts(&h, ALICE, NULL), 21 * 10 + 28 + 14 * 7);
	/* Two misses are covered; the third breaks the streak. */
	play_day(&h, 21, 0);
	play_day(&h, 22, 0);
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 21);
	assert_int_equal(s.freezes, 0);
	play_day(&h, 23, 0);
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 0);
	assert_int_equal(s.best, 21);
	h_free(&h);
}

/* --- 13. reminders
 * -------------------------------------------------------------------------------- */

static void reminders(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	h.now = day_at(&h, 1, 8, 0);
	cmd(&h, ALICE, false, "remind", "state", "on", NULL);
	assert_contains(reply_text(&h), "Reminders are on");
	cmd(&h, BOB, false, "remind", "state", "on", NULL);
	cmd(&h, CAROL, false, "remind", "state", "on", NULL);
	cmd(&h, CAROL, false, "remind", "state", "off", NULL);
	assert_contains(reply_text(&h), "Reminders are off");
	cmd(&h, DAVE, false, "remind", "state", "loud", NULL);
	assert_contains(reply_text(&h), "Use /study remind on, or /study remind off.");

	int64_t round = post_day(&h, 1);
	h.now = day_at(&h, 1, 9, 40);
	answer(&h, BOB, TXT_ONE);

	tick(&h, day_at(&h, 1, 10, 29));
	assert_int_equal(count(&h, ACT_DM, NULL), 0);
	tick(&h, day_at(&h, 1, 10, 30));
	assert_int_equal(count(&h, ACT_DM, NULL), 1);
	const struct action *dm = find(&h, ACT_DM, NULL);
	assert_string_equal(dm->user, uid[ALICE]);
	assert_string_equal(dm->msg.title, "Reminder");
	assert_contains(dm->msg.text, "closes in 30m (Tue 2 Jun, 11:00 (Europe/Berlin))");
	assert_contains(dm->msg.text, A_ONE_PROMPT);
	char id[CID_MAX + 1];
	cid_of(CID_ANSWER, round, 0, id);
	assert_string_equal(button(dm, "Answer"), id);
	struct st_round r;
	round_get(&h, round, &r);
	assert_true(r.reminded);

	/* Once only. */
	tick(&h, day_at(&h, 1, 10, 45));
	assert_int_equal(count(&h, ACT_DM, NULL), 0);
	tick(&h, day_at(&h, 1, 10, 59));
	assert_int_equal(count(&h, ACT_DM, NULL), 0);
	h_free(&h);
}

/* --- 14. leaderboards
 * ------------------------------------------------------------------------------- */

static void leaderboard_periods(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	/* New York: 23:30 on Sunday there is already Monday in UTC. */
	h_channel(&h, CH, "America/New_York", "21:00", "alpha", 1, 1, ANSWER_MODAL);
	tick(&h, day_at(&h, 6, 21, 0)); /* Sunday 7 June, 21:00 EDT */
	assert_int_equal(questions(&h), 1);
	h.now = day_at(&h, 6, 22, 0);
	answer(&h, ALICE, TXT_ONE);
	tick(&h, day_at(&h, 6, 23, 30)); /* the reveal scores at 23:30 Sunday */
	assert_int_equal(pts(&h, ALICE, NULL), 11);
	assert_int_equal(day_at(&h, 6, 23, 30), utc(2026, 6, 8, 3, 30, 0));

	assert_int_equal(board(&h, ALICE, "w2026-06-01", "", NULL), 11);
	assert_int_equal(board(&h, ALICE, "w2026-06-08", "", NULL), 0);
	assert_int_equal(board(&h, ALICE, "d2026-06-07", "", NULL), 11);
	assert_int_equal(board(&h, ALICE, "d2026-06-08", "", NULL), 0);
	assert_int_equal(board(&h, ALICE, "m2026-06", "", NULL), 11);
	assert_int_equal(board(&h, ALICE, "all", "", NULL), 11);

	/* Sunday night: this week and today hold it. */
	h.now = day_at(&h, 6, 23, 45);
	cmd(&h, BOB, false, "leaderboard", "period", "week", NULL);
	const struct action *b = find(&h, ACT_REPLY, NULL);
	assert_true(b->public_reply);
	assert_string_equal(b->msg.title, "Leaderboard · this week");
	assert_contains(b->msg.text, "🥇 **Alice**: 11");
	assert_contains(b->msg.text, "You have no points here yet");
	cmd(&h, BOB, false, "leaderboard", "period", "day", NULL);
	assert_contains(find(&h, ACT_REPLY, NULL)->msg.text, "🥇 **Alice**: 11");

	/* Monday 00:30: a new week and a new day; the month and all time stay. */
	h.now = day_at(&h, 7, 0, 30);
	cmd(&h, ALICE, false, "leaderboard", NULL); /* week by default */
	assert_contains(find(&h, ACT_REPLY, NULL)->msg.text, "Nobody has points here yet");
	cmd(&h, ALICE, false, "leaderboard", "period", "day", NULL);
	assert_contains(find(&h, ACT_REPLY, NULL)->msg.text, "Nobody has points here yet");
	cmd(&h, ALICE, false, "leaderboard", "period", "month", NULL);
	assert_contains(find(&h, ACT_REPLY, NULL)->msg.text, "🥇 **Alice**: 11");
	cmd(&h, ALICE, false, "leaderboard", "period", "all", NULL);
	b = find(&h, ACT_REPLY, NULL);
	assert_string_equal(b->msg.title, "Leaderboard · all time");
	assert_contains(b->msg.text, "🥇 **Alice**: 11");
	cmd(&h, ALICE, false, "leaderboard", "period", "year", NULL);
	assert_contains(reply_text(&h), "Period must be one of day, week, month or all");
	h_free(&h);
}

static void leaderboard_topics_and_rank(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h_channel(&h, CH, "Europe/Berlin", "09:00", "", 1, 3, ANSWER_MODAL);
	assert_int_equal(store_channel_set_paused(h.st, h.ch.id, true), SB_OK);
	/* Member i answers the last i + 1 of 12 alpha rounds; then Leo alone
	 * answers a beta round. Every total differs. */
	for (int k = 0; k < 13; k++) {
		post_q(&h, k < 12 ? "a-one" : "b-one", day_at(&h, k, 9, 0));
		h.now = day_at(&h, k, 9, 30);
		for (int who = 0; who < NPEOPLE; who++)
			if (k < 12 ? who >= 11 - k : who == LEO)
				answer(&h, who, TXT_ONE);
		tick(&h, day_at(&h, k, 11, 0));
		tick(&h, day_at(&h, k, 12, 0));
	}
	static const long total[NPEOPLE] = {11, 23, 36, 50, 65, 81, 98, 115, 132, 149, 166, 200};
	for (int who = 0; who < NPEOPLE; who++) {
		long rank;
		assert_int_equal(pts(&h, who, NULL), total[who]);
		assert_int_equal(board(&h, who, "all", "", &rank), total[who]);
		assert_int_equal(rank, NPEOPLE - who);
	}
	assert_int_equal(board(&h, LEO, "all", "beta", NULL), 17);
	assert_int_equal(board(&h, LEO, "all", "alpha", NULL), 183);

	h.now = day_at(&h, 12, 13, 0);
	cmd(&h, ALICE, false, "leaderboard", "period", "all", NULL);
	const char *t = find(&h, ACT_REPLY, NULL)->msg.text;
	assert_starts(
	    t, "🥇 **Leo**: 200\n🥈 **Ken**: 166\n🥉 **Judy**: 149\n4. **Ivan**: 132\n");
	assert_contains(t, "10. **Carol**: 36\n…\n12. **you**: 11");
	assert_lacks(t, "**Bob**");
	assert_lacks(t, "**Alice**");
	assert_lacks(t, "11.");
	cmd(&h, BOB, false, "leaderboard", "period", "all", NULL);
	assert_contains(find(&h, ACT_REPLY, NULL)->msg.text, "…\n11. **you**: 23");
	cmd(&h, CAROL, false, "leaderboard", "period", "all", NULL);
	assert_lacks(find(&h, ACT_REPLY, NULL)->msg.text, "you");

	/* Per topic. */
	cmd(&h, ALICE, false, "leaderboard", "period", "all", "topic", "beta", NULL);
	const struct action *b = find(&h, ACT_REPLY, NULL);
	assert_string_equal(b->msg.title, "Leaderboard · all time · beta");
	assert_contains(b->msg.text, "🥇 **Leo**: 17\n");
	assert_lacks(b->msg.text, "Ken");
	assert_contains(b->msg.text, "You have no points here yet");
	cmd(&h, ALICE, false, "leaderboard", "period", "all", "topic", "alpha", NULL);
	assert_contains(find(&h, ACT_REPLY, NULL)->msg.text, "🥇 **Leo**: 183\n");
	cmd(&h, ALICE, false, "leaderboard", "period", "all", "topic", "No Such Topic", NULL);
	assert_contains(reply_text(&h), "There is no topic");
	h_free(&h);
}

static void leaderboard_ties(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	/* Bob is known first (the lower member id) but reaches 11 a day later. */
	h.now = day_at(&h, 0, 8, 0);
	cmd(&h, BOB, false, "remind", "state", "off", NULL);
	play_day(&h, 0, 1u << ALICE);
	play_day(&h, 1, 1u << BOB);
	assert_true(mid(&h, BOB) < mid(&h, ALICE));
	long ra, rb;
	assert_int_equal(board(&h, ALICE, "all", "", &ra), 11);
	assert_int_equal(board(&h, BOB, "all", "", &rb), 11);
	assert_int_equal(ra, 1);
	assert_int_equal(rb, 2);
	h.now = day_at(&h, 1, 13, 0);
	cmd(&h, BOB, false, "leaderboard", "period", "all", NULL);
	assert_contains(find(&h, ACT_REPLY, NULL)->msg.text,
	                "🥇 **Alice**: 11\n🥈 **Bob**: 11");
	h_free(&h);
}

/* --- 15. weekly recap
 * ------------------------------------------------------------------------------ */

static void weekly_recap(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	post_day(&h, 2); /* Wednesday 3 June */
	h.now = day_at(&h, 2, 9, 30);
	answer(&h, ALICE, TXT_TWO);
	answer(&h, BOB, TXT_ONE);
	tick(&h, day_at(&h, 2, 11, 0));
	h.now = day_at(&h, 2, 11, 30);
	rate(&h, ALICE, BOB, 3);
	rate(&h, BOB, ALICE, 5);
	tick(&h, day_at(&h, 2, 12, 0));

	/* Monday 8 June: not before the schedule time, then once. */
	tick(&h, day_at(&h, 7, 8, 59));
	assert_int_equal(count(&h, ACT_POST, "Weekly recap"), 0);
	tick(&h, day_at(&h, 7, 9, 0));
	const struct action *rc = find(&h, ACT_POST, "Weekly recap");
	assert_non_null(rc);
	assert_int_equal(count(&h, ACT_POST, "Weekly recap"), 1);
	assert_string_equal(rc->msg.title, "Weekly recap: week of 2026-06-01");
	assert_null(rc->thread_of);
	/* Alice: answer 10, streak 1, key points 5, peer 10, review 1 = 27;
	 * Bob: answer 10, streak 1, peer 5, review 1 = 17. */
	assert_contains(rc->msg.text, "🥇 **Alice**: 27\n🥈 **Bob**: 17");
	assert_contains(field(&rc->msg, "Longest streaks"), "Alice: 1 round");
	assert_contains(field(&rc->msg, "Best-rated answers"), "Alice, 5.0/5 on \"" A_ONE_PROMPT);
	assert_int_equal(questions(&h), 1); /* Monday's own question still comes */
	for (int hh = 10; hh < 24; hh += 3) {
		tick(&h, day_at(&h, 7, hh, 0));
		assert_int_equal(count(&h, ACT_POST, "Weekly recap"), 0);
	}

	/* Nobody scored in the week of 8 June: no recap on the 15th. */
	tick(&h, day_at(&h, 14, 9, 0));
	assert_int_equal(count(&h, ACT_POST, "Weekly recap"), 0);
	assert_int_equal(questions(&h), 1);
	tick(&h, day_at(&h, 14, 12, 0));
	assert_int_equal(count(&h, ACT_POST, "Weekly recap"), 0);
	h_free(&h);
}

/* --- 16. admin commands
 * ------------------------------------------------------------------------------ */

static void same_channel(const struct st_channel *a, const struct st_channel *b)
{
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->workspace, b->workspace);
	assert_int_equal(a->schedule.days, b->schedule.days);
	assert_int_equal(a->schedule.secs, b->schedule.secs);
	assert_string_equal(a->timezone, b->timezone);
	assert_string_equal(a->topics, b->topics);
	assert_int_equal(a->diff_min, b->diff_min);
	assert_int_equal(a->diff_max, b->diff_max);
	assert_int_equal(a->answer_mode, b->answer_mode);
	assert_int_equal(a->paused, b->paused);
}

static void admin_setup(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h.where = "chan-new";
	h.now = utc(2026, 6, 1, 12, 0, 0);
	struct st_channel ch;

	cmd(&h, BOB, false, "setup", "time", "18:30", NULL);
	assert_contains(reply_text(&h), "Only admins can set up study channels");
	assert_int_equal(store_channel_get(h.st, "chan-new", &ch), SB_ERR_NOTFOUND);
	cmd(&h, ALICE, true, "setup", "timezone", "Europe/Berlin", NULL);
	assert_contains(reply_text(&h), "Give the time to post");
	assert_int_equal(store_channel_get(h.st, "chan-new", &ch), SB_ERR_NOTFOUND);

	cmd(&h, ALICE, true, "setup", "time", "18:30", "timezone", "America/New_York", "topics",
	    "alpha, beta", "difficulty", "1-2", "mode", "thread", NULL);
	assert_string_equal(reply_text(&h), "Set up: questions daily 18:30 (America/New_York), "
	                                    "topics alpha,beta, difficulty 1-2, thread answers.");
	assert_int_equal(store_channel_get(h.st, "chan-new", &ch), SB_OK);
	assert_string_equal(ch.workspace, WS);
	assert_int_equal(ch.schedule.days, SCHED_ALL_DAYS);
	assert_int_equal(ch.schedule.secs, 18 * HOUR + 30 * 60);
	assert_string_equal(ch.timezone, "America/New_York");
	assert_string_equal(ch.topics, "alpha,beta");
	assert_int_equal(ch.diff_min, 1);
	assert_int_equal(ch.diff_max, 2);
	assert_int_equal(ch.answer_mode, ANSWER_THREAD);

	cmd(&h, ALICE, true, "setup", "time", "mon-fri 07:15", NULL);
	assert_string_equal(
	    reply_text(&h),
	    "Updated: questions mon,tue,wed,thu,fri 07:15 (America/New_York), topics "
	    "alpha,beta, difficulty 1-2, thread answers.");
	assert_int_equal(store_channel_get(h.st, "chan-new", &ch), SB_OK);
	assert_int_equal(ch.schedule.days, 0x1f);
	assert_int_equal(ch.schedule.secs, 7 * HOUR + 15 * 60);

	/* Refusals name the reason and change nothing. */
	static const struct {
		const char *opt, *value, *says;
	} bad[] = {
	    {"timezone", "Mars/Olympus", "\"Mars/Olympus\" is not a time zone I know"},
	    {"timezone", "../etc/passwd", "is not a time zone I know"},
	    {"time", "25:00", "Time: bad time '25:00'"},
	    {"time", "someday 09:00", "Time: unknown day 'someday'"},
	    {"topics", "alpha,nope", "There is no topic \"nope\""},
	    {"difficulty", "0-4", "Difficulty is 1, 2, 3 or a range such as 1-3."},
	    {"difficulty", "3-1", "Difficulty is 1, 2, 3 or a range such as 1-3."},
	    {"mode", "loud", "Mode is modal (private answers) or thread"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cmd(&h, ALICE, true, "setup", bad[i].opt, bad[i].value, NULL);
		assert_contains(reply_text(&h), bad[i].says);
		struct st_channel now;
		assert_int_equal(store_channel_get(h.st, "chan-new", &now), SB_OK);
		same_channel(&now, &ch);
	}
	cmd(&h, BOB, false, "setup", "time", "10:00", NULL);
	assert_contains(reply_text(&h), "Only admins can");
	struct st_channel now;
	assert_int_equal(store_channel_get(h.st, "chan-new", &now), SB_OK);
	same_channel(&now, &ch);

	/* A channel set up from elsewhere, by its id. */
	h.where = CH;
	cmd(&h, ALICE, true, "setup", "channel", "chan-other", "time", "09:00", "timezone",
	    "Europe/Berlin", NULL);
	assert_contains(reply_text(&h),
	                "Set up: questions daily 09:00 (Europe/Berlin), topics all");
	assert_int_equal(store_channel_get(h.st, "chan-other", &now), SB_OK);
	assert_int_equal(store_channel_get(h.st, CH, &now), SB_ERR_NOTFOUND);
	h_free(&h);
}

static void admin_post_and_skip(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	struct st_round r;
	int64_t first = post_day(&h, 1);
	h.now = day_at(&h, 1, 9, 30);
	answer(&h, BOB, TXT_ONE);
	cmd(&h, ALICE, true, "post", NULL);
	assert_contains(reply_text(&h), "A question is already open here; /study skip it first.");
	assert_int_equal(count(&h, ACT_POST, NULL), 0);
	tick(&h, day_at(&h, 1, 11, 0));
	tick(&h, day_at(&h, 1, 12, 0));
	round_get(&h, first, &r);
	assert_int_equal(r.state, ROUND_CLOSED);

	/* An extra round once the day's is closed. */
	h.now = day_at(&h, 1, 12, 30);
	cmd(&h, CAROL, false, "post", NULL);
	assert_contains(reply_text(&h), "Only admins can post a question now");
	assert_int_equal(questions(&h), 0);
	cmd(&h, ALICE, true, "post", NULL);
	assert_contains(reply_text(&h), "Posted.");
	assert_int_equal(questions(&h), 1);
	assert_string_equal(field(&question_post(&h)->msg, "Answer by"),
	                    "Tue 2 Jun, 14:30 (Europe/Berlin)");
	latest(&h, &r);
	assert_string_equal(r.slot, "2026-06-02#2");
	assert_int_equal(r.state, ROUND_OPEN);
	assert_int_equal(r.scheduled_at, h.now);
	int64_t extra = r.id;
	h.now = day_at(&h, 1, 12, 45);
	cmd(&h, ALICE, true, "post", NULL);
	assert_contains(reply_text(&h), "A question is already open here");
	assert_int_equal(questions(&h), 0);

	/* Skipping the open round: closed, said in its thread, nothing scored. */
	answer(&h, CAROL, TXT_ALL);
	h.now = day_at(&h, 1, 13, 0);
	cmd(&h, CAROL, false, "skip", NULL);
	assert_contains(reply_text(&h), "Only admins can skip rounds");
	cmd(&h, ALICE, true, "skip", NULL);
	assert_contains(reply_text(&h), "Skipped the open round.");
	const struct action *note = find(&h, ACT_POST, "An admin skipped this round");
	assert_non_null(note);
	round_get(&h, extra, &r);
	assert_string_equal(note->thread_of, r.message_id);
	assert_int_equal(r.state, ROUND_SKIPPED);
	char form[CID_MAX + 1];
	cid_of(CID_FORM_ANSWER, extra, 0, form);
	submit(&h, DAVE, form, TXT_ONE);
	assert_contains(reply_text(&h), "This round takes no written answers.");
	char id[CID_MAX + 1];
	cid_of(CID_ANSWER, extra, 0, id);
	click(&h, DAVE, id);
	assert_contains(reply_text(&h), "This round was skipped");
	assert_int_equal(tick(&h, day_at(&h, 1, 14, 30)), 0);
	assert_int_equal(tick(&h, day_at(&h, 1, 16, 0)), 0);
	assert_int_equal(pts(&h, CAROL, NULL), 0);
	struct st_streak s;
	streak_of(&h, CAROL, &s);
	assert_int_equal(s.current, 0);

	/* Nothing open: the next scheduled round is not posted. */
	h.now = day_at(&h, 1, 17, 0);
	cmd(&h, ALICE, true, "skip", NULL);
	assert_contains(reply_text(&h),
	                "The round of Wed 3 Jun, 09:00 (Europe/Berlin) will not be posted.");
	assert_int_equal(store_round_by_slot(h.st, h.ch.id, "2026-06-03", &r), SB_OK);
	assert_int_equal(r.state, ROUND_SKIPPED);
	tick(&h, day_at(&h, 2, 9, 0));
	assert_int_equal(questions(&h), 0);
	tick(&h, day_at(&h, 2, 10, 0));
	assert_int_equal(questions(&h), 0);
	post_day(&h, 3);
	h_free(&h);
}

static void admin_pause_resume(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	h.now = day_at(&h, 0, 20, 0);
	cmd(&h, BOB, false, "pause", NULL);
	assert_contains(reply_text(&h), "Only admins can pause rounds");
	cmd(&h, ALICE, true, "pause", NULL);
	assert_contains(reply_text(&h), "Paused: no new questions until /study resume.");
	cmd(&h, ALICE, true, "pause", NULL);
	assert_contains(reply_text(&h), "Rounds are already paused here.");
	struct st_channel ch;
	assert_int_equal(store_channel_get(h.st, CH, &ch), SB_OK);
	assert_true(ch.paused);

	assert_int_equal(tick(&h, day_at(&h, 1, 9, 0)), 0);
	assert_int_equal(tick(&h, day_at(&h, 1, 10, 0)), 0);
	struct st_round r;
	assert_int_equal(store_round_latest(h.st, h.ch.id, &r), SB_ERR_NOTFOUND);

	h.now = day_at(&h, 1, 20, 0);
	cmd(&h, BOB, false, "resume", NULL);
	assert_contains(reply_text(&h), "Only admins can resume rounds");
	cmd(&h, ALICE, true, "resume", NULL);
	assert_contains(reply_text(&h), "Resumed");
	assert_int_equal(store_channel_get(h.st, CH, &ch), SB_OK);
	assert_false(ch.paused);
	int64_t round = post_day(&h, 2);

	/* A round already open still finishes while paused. */
	h.now = day_at(&h, 2, 9, 30);
	answer(&h, BOB, TXT_ONE);
	cmd(&h, ALICE, true, "pause", NULL);
	tick(&h, day_at(&h, 2, 11, 0));
	assert_int_equal(count(&h, ACT_POST, "Time's up"), 1);
	round_get(&h, round, &r);
	assert_int_equal(r.state, ROUND_REVIEW);
	assert_int_equal(pts(&h, BOB, "answer"), 10);
	tick(&h, day_at(&h, 3, 9, 0));
	assert_int_equal(questions(&h), 0);
	h_free(&h);
}

/* A round whose time came while paused is not posted late on resume (the
 * reply promises "the next question comes at the usual time"); one posted
 * before the pause runs its course, and the next day's comes as usual. */
static void admin_resume_skips_missed_round(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	h.now = day_at(&h, 0, 20, 0);
	cmd(&h, ALICE, true, "pause", NULL);
	assert_int_equal(tick(&h, day_at(&h, 1, 9, 0)), 0);

	h.now = day_at(&h, 1, 9, 30); /* inside the missed round's answer window */
	cmd(&h, ALICE, true, "resume", NULL);
	assert_contains(reply_text(&h), "the next question comes at the usual time");
	assert_int_equal(questions(&h), 0);
	tick(&h, day_at(&h, 1, 9, 31));
	assert_int_equal(questions(&h), 0);
	struct st_round r;
	latest(&h, &r);
	assert_int_equal(r.state, ROUND_SKIPPED);
	assert_int_equal(r.scheduled_at, day_at(&h, 1, 9, 0));

	/* An admin may still post one by hand. */
	h.now = day_at(&h, 1, 9, 40);
	cmd(&h, ALICE, true, "post", NULL);
	assert_int_equal(questions(&h), 1);
	int64_t manual = question_post(&h)->question_round;

	/* Paused and resumed while a round is open: it stays open. */
	h.now = day_at(&h, 1, 9, 45);
	cmd(&h, ALICE, true, "pause", NULL);
	h.now = day_at(&h, 1, 9, 50);
	cmd(&h, ALICE, true, "resume", NULL);
	latest(&h, &r);
	assert_int_equal(r.id, manual);
	assert_int_equal(r.state, ROUND_OPEN);

	int64_t next = post_day(&h, 2);
	assert_true(next > manual);
	h_free(&h);
}

static void admin_export(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	post_day(&h, 1);
	h.now = day_at(&h, 1, 9, 30);
	hint(&h, ALICE);
	answer(&h, ALICE, "Use \"select_related\", then\nprefetch_related.");
	answer(&h, CAROL, "=HYPERLINK(\"http://example.com\",\"x\")");
	answer(&h, BOB, TXT_ONE);
	tick(&h, day_at(&h, 1, 11, 0));
	h.now = day_at(&h, 1, 11, 30);
	rate(&h, BOB, ALICE, 4);
	tick(&h, day_at(&h, 1, 12, 0));

	h.now = day_at(&h, 1, 13, 0);
	cmd(&h, BOB, false, "export", NULL);
	assert_contains(reply_text(&h), "Only admins can export data");
	assert_int_equal(the_reply(&h)->msg.nfiles, 0);

	cmd(&h, ALICE, true, "export", NULL);
	const struct action *a = the_reply(&h);
	assert_int_equal(a->msg.nfiles, 3);
	assert_string_equal(a->msg.files[0].name, "answers.csv");
	assert_string_equal(a->msg.files[1].name, "ratings.csv");
	assert_string_equal(a->msg.files[2].name, "ledger.csv");
	const char *ans = a->msg.files[0].data;
	assert_int_equal(strlen(ans), a->msg.files[0].len);
	assert_starts(ans, "round_slot,question,member_id,member_name,answer,late,edits,"
	                   "submitted_at,avg_rating,ratings\r\n");
	/* The comma, the quotes and the newline survive, quoted per RFC 4180. */
	assert_contains(ans, ",\"Use \"\"select_related\"\", then\nprefetch_related.\",");
	assert_contains(ans, "2026-06-02,a-one,");
	assert_contains(ans, ",Alice,");
	assert_contains(ans, ",Bob,I would add select_related somewhere.,");
	const char *rt = a->msg.files[1].data;
	assert_starts(rt, "round_slot,question,answer_label,author,rater,stars,at\r\n");
	/* Ratings name members by their platform ids. */
	assert_contains(rt, ",u-alice,u-bob,4,");
	const char *lg = a->msg.files[2].data;
	assert_starts(lg, "at,member_id,member_name,points,reason,topic,round_slot\r\n");
	assert_contains(lg, ",Alice,10,answer,alpha,2026-06-02\r\n");
	assert_contains(lg, ",Bob,1,review,alpha,2026-06-02\r\n");
	/* A negative number stays a number; member text that looks like a
	 * formula does not reach a spreadsheet as one. */
	assert_contains(lg, ",Alice,-3,hint,alpha,2026-06-02\r\n");
	assert_contains(ans, ",Carol,\"'=HYPERLINK(\"\"http://example.com\"\",\"\"x\"\")\",");
	h_free(&h);
}

static void admin_only_commands(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	h.now = day_at(&h, 1, 9, 0) - 60;
	static const char *const cmds[] = {"setup",  "post", "skip",  "pause",
	                                   "resume", "add",  "export"};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		cmd(&h, BOB, false, cmds[i], "time", "10:00", NULL);
		assert_int_equal(h.acts.n, 1);
		assert_contains(reply_text(&h), "Only admins can");
		assert_int_equal(the_reply(&h)->msg.nfiles, 0);
	}
	struct st_channel ch;
	assert_int_equal(store_channel_get(h.st, CH, &ch), SB_OK);
	assert_false(ch.paused);
	assert_int_equal(ch.schedule.secs, 9 * HOUR);
	struct st_round r;
	assert_int_equal(store_round_latest(h.st, h.ch.id, &r), SB_ERR_NOTFOUND);
	/* The admin's add opens the form. */
	cmd(&h, ALICE, true, "add", NULL);
	const struct action *f = find(&h, ACT_FORM, NULL);
	assert_non_null(f);
	char id[CID_MAX + 1];
	cid_of(CID_FORM_ADD, 0, 0, id);
	assert_string_equal(f->form.id, id);
	assert_int_equal(f->form.ninputs, 5);
	post_day(&h, 1);
	h_free(&h);
}

/* --- 17. forget-me
 * ------------------------------------------------------------------------------------- */

static void forget_me(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t round = play_round(&h);
	int64_t alice = mid(&h, ALICE), bob_answer = answer_id(&h, round, BOB),
	        carol_answer = answer_id(&h, round, CAROL);
	assert_int_equal(ratings_of(&h, round, bob_answer, NULL), 2);

	h.now = day_at(&h, 1, 13, 0);
	cmd(&h, ALICE, false, "forget-me", NULL);
	const struct action *a = the_reply(&h);
	assert_string_equal(a->msg.title, "Forget me?");
	char id[CID_MAX + 1];
	snprintf(id, sizeof id, "%s", button(a, "Delete my data"));
	struct cid c;
	assert_true(cid_parse(id, &c));
	assert_int_equal(c.verb, CID_FORGET);
	assert_int_equal(c.num, alice);

	/* Someone else's button does nothing. */
	click(&h, BOB, id);
	assert_contains(reply_text(&h), "That button was for someone else");
	assert_int_equal(pts(&h, ALICE, NULL), 24);
	struct st_answer ans;
	assert_true(answer_of(&h, round, ALICE, &ans));
	store_answer_clear(&ans);

	click(&h, ALICE, id);
	assert_contains(reply_text(&h), "Done: your answers, ratings, points, streaks and "
	                                "reminders are deleted.");
	assert_false(answer_of(&h, round, ALICE, &ans));
	long rows;
	assert_int_equal(pts_rows(&h, ALICE, NULL, &rows), 0);
	assert_int_equal(rows, 0);
	long rank;
	assert_int_equal(board(&h, ALICE, "all", "", &rank), 0);
	assert_int_equal(rank, 0);
	int given = -1;
	assert_int_equal(store_ratings_given(h.st, round, alice, &given), SB_OK);
	assert_int_equal(given, 0);
	struct st_streak s;
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 0);
	struct st_card card;
	assert_int_equal(store_card_get(h.st, alice, "a-one", &card), SB_ERR_NOTFOUND);
	struct st_member m;
	assert_int_equal(store_member_get(h.st, alice, &m), SB_OK);
	assert_string_equal(m.name, "");

	/* Everyone else keeps what they had; only Alice's ratings are gone. */
	double avg;
	assert_int_equal(ratings_of(&h, round, bob_answer, &avg), 1);
	assert_true(avg == 2.0);
	assert_int_equal(ratings_of(&h, round, carol_answer, &avg), 1);
	assert_true(avg == 5.0);
	assert_true(answer_of(&h, round, BOB, &ans));
	store_answer_clear(&ans);
	assert_int_equal(pts(&h, BOB, NULL), 17);
	assert_int_equal(pts(&h, CAROL, NULL), 22);
	assert_int_equal(board(&h, CAROL, "all", "", &rank), 22);
	assert_int_equal(rank, 1);
	assert_int_equal(board(&h, BOB, "all", "", &rank), 17);
	assert_int_equal(rank, 2);
	assert_int_equal(store_card_get(h.st, mid(&h, BOB), "a-one", &card), SB_OK);
	cmd(&h, BOB, false, "leaderboard", "period", "all", NULL);
	const char *t = find(&h, ACT_REPLY, NULL)->msg.text;
	assert_contains(t, "🥇 **Carol**: 22\n🥈 **Bob**: 17");
	assert_lacks(t, "Alice");
	h_free(&h);
}

/* Cancel on the forget-me question keeps everything, and says so. */
static void forget_me_cancel(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t round = play_round(&h);
	h.now = day_at(&h, 1, 13, 0);
	cmd(&h, ALICE, false, "forget-me", NULL);
	const struct action *a = the_reply(&h);
	assert_int_equal(a->msg.nbuttons, 2);
	assert_non_null(button(a, "Delete my data"));
	char id[CID_MAX + 1];
	snprintf(id, sizeof id, "%s", button(a, "Cancel"));
	struct cid c;
	assert_true(cid_parse(id, &c));
	assert_int_equal(c.verb, CID_KEEP);
	assert_int_equal(c.num, mid(&h, ALICE));
	char back[CID_MAX + 1];
	cid_format(&c, back);
	assert_string_equal(back, id);

	click(&h, BOB, id);
	assert_contains(reply_text(&h), "That button was for someone else");
	click(&h, ALICE, id);
	assert_contains(reply_text(&h), "Nothing was deleted");
	assert_int_equal(pts(&h, ALICE, NULL), 24);
	struct st_answer ans;
	assert_true(answer_of(&h, round, ALICE, &ans));
	store_answer_clear(&ans);
	h_free(&h);
}

/* --- 18. practice (SM-2)
 * ------------------------------------------------------------------------------ */

static void practice(void **state)
{
	(void)state;
	struct h h;
	h_open(&h, ":memory:");
	h_channel(&h, CH, "Europe/Berlin", "09:00", "alpha", 1, 2, ANSWER_MODAL);
	assert_int_equal(store_channel_set_paused(h.st, h.ch.id, true), SB_OK);
	/* Tuesday: Alice's a-one answer is rated 5/5; Wednesday: her a-two 1/5. */
	post_q(&h, "a-one", day_at(&h, 1, 9, 0));
	h.now = day_at(&h, 1, 9, 30);
	answer(&h, ALICE, TXT_ALL);
	answer(&h, BOB, TXT_ONE);
	tick(&h, day_at(&h, 1, 11, 0));
	h.now = day_at(&h, 1, 11, 30);
	rate(&h, BOB, ALICE, 5);
	tick(&h, day_at(&h, 1, 12, 0));

	/* Nothing is due the same day. */
	h.now = day_at(&h, 1, 12, 30);
	cmd(&h, ALICE, false, "practice", NULL);
	assert_contains(reply_text(&h), "Nothing is due for practice.");

	post_q(&h, "a-two", day_at(&h, 2, 9, 0));
	h.now = day_at(&h, 2, 9, 30);
	answer(&h, ALICE, "No idea.");
	answer(&h, BOB, "Slower writes and storage.");
	tick(&h, day_at(&h, 2, 11, 0));
	h.now = day_at(&h, 2, 11, 30);
	rate(&h, BOB, ALICE, 1);
	tick(&h, day_at(&h, 2, 12, 0));
	int64_t alice = mid(&h, ALICE);
	struct st_card one, two;
	assert_int_equal(store_card_get(h.st, alice, "a-one", &one), SB_OK);
	assert_int_equal(store_card_get(h.st, alice, "a-two", &two), SB_OK);
	assert_true(two.ef < one.ef);

	/* Thursday: both are due; the weaker comes first. */
	h.now = day_at(&h, 3, 13, 0);
	cmd(&h, ALICE, false, "practice", NULL);
	const struct action *p = the_reply(&h);
	assert_string_equal(p->msg.title, "Practice");
	assert_contains(p->msg.text, A_TWO_PROMPT);
	char show[CID_MAX + 1];
	snprintf(show, sizeof show, "%s", button(p, "Show the answer"));
	click(&h, ALICE, show);
	p = the_reply(&h);
	assert_contains(p->msg.text, "Slower writes and extra storage.");
	assert_contains(p->msg.text, "**Key points:** `slower writes` · `storage`");
	assert_non_null(button(p, "Forgot"));
	assert_non_null(button(p, "Hard"));
	assert_non_null(button(p, "Good"));
	char easy[CID_MAX + 1];
	snprintf(easy, sizeof easy, "%s", button(p, "Easy"));
	struct cid c;
	assert_true(cid_parse(easy, &c));
	assert_int_equal(c.verb, CID_GRADE);
	assert_int_equal(c.arg, 5);
	assert_string_equal(c.qid, "a-two");

	/* q = 5 twice: 1 day, then 6 days. */
	click(&h, ALICE, easy);
	assert_contains(reply_text(&h), "You will see this question again in 1d 0h.");
	assert_int_equal(store_card_get(h.st, alice, "a-two", &two), SB_OK);
	assert_int_equal(two.interval_days, 1);
	assert_int_equal(two.due, h.now + 1 * DAYS);
	assert_int_equal(two.last_q, 5);
	click(&h, ALICE, easy);
	assert_contains(reply_text(&h), "You will see this question again in 6d 0h.");
	assert_int_equal(store_card_get(h.st, alice, "a-two", &two), SB_OK);
	assert_int_equal(two.interval_days, 6);
	assert_int_equal(two.due, h.now + 6 * DAYS);

	/* Next comes the other due card, then nothing. */
	cmd(&h, ALICE, false, "practice", NULL);
	assert_contains(reply_text(&h), A_ONE_PROMPT);
	cmd(&h, CAROL, false, "practice", NULL);
	assert_contains(reply_text(&h), "Nothing is due for practice.");
	h_free(&h);
}

/* --- 19. the outbox survives a restart
 * --------------------------------------------------------------- */

static void outbox_resend(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	h.hold = true;
	tick(&h, day_at(&h, 1, 9, 0));
	assert_int_equal(h.acts.n, 1);
	struct action *a = &h.acts.v[0];
	char nonce[64], text[512], title[128];
	int64_t outbox = a->outbox_id, round = a->question_round;
	assert_true(outbox > 0);
	snprintf(nonce, sizeof nonce, "%s", a->nonce);
	snprintf(text, sizeof text, "%s", a->msg.text);
	snprintf(title, sizeof title, "%s", a->msg.title);

	/* A crash before the delivery was confirmed. */
	core_free(&h.core);
	h.now = day_at(&h, 1, 9, 5);
	assert_int_equal(core_init(&h.core, h.st, &h.bank, &scoring, 4000, h.now), SB_OK);
	assert_int_equal(core_resend_pending(&h.core), SB_OK);
	assert_int_equal(take(&h), 1);
	a = &h.acts.v[0];
	assert_int_equal(a->type, ACT_POST);
	assert_int_equal(a->outbox_id, outbox);
	assert_string_equal(a->nonce, nonce);
	assert_string_equal(a->channel, CH);
	assert_string_equal(a->msg.title, title);
	assert_string_equal(a->msg.text, text);
	assert_int_equal(a->question_round, round);
	assert_non_null(button(a, "Answer"));
	/* The slot is taken: the tick does not post it again. */
	assert_int_equal(core_tick(&h.core, h.now), SB_OK);
	struct actions none = {0};
	assert_int_equal(core_take_actions(&h.core, &none), 0);
	actions_free(&none);

	/* Confirmed now: the question has its message and nothing is resent. */
	assert_int_equal(core_delivered(&h.core, a, "m42", h.now), SB_OK);
	struct st_round r;
	round_get(&h, round, &r);
	assert_string_equal(r.message_id, "m42");
	core_free(&h.core);
	assert_int_equal(core_init(&h.core, h.st, &h.bank, &scoring, 4000, h.now), SB_OK);
	assert_int_equal(core_resend_pending(&h.core), SB_OK);
	assert_int_equal(take(&h), 0);
	h_free(&h);
}

/* A platform that commits several events at once learns which reply
 * answers which event from reply_to (the event's tag). */
static void replies_carry_their_event_tag(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	h.now = day_at(&h, 1, 8, 0);
	core_batch_begin(&h.core);
	struct event a = {.type = EV_COMMAND, .command = "remind", .tag = 7, .nopts = 1};
	a.opts[0] = (struct ev_opt){"state", "on"};
	struct event b = a;
	b.tag = 9;
	b.opts[0].value = "off";
	a.workspace = b.workspace = WS;
	a.channel = b.channel = CH;
	a.user = uid[ALICE];
	b.user = uid[BOB];
	assert_int_equal(core_handle(&h.core, &a, h.now), SB_OK);
	assert_int_equal(core_handle(&h.core, &b, h.now), SB_OK);
	assert_int_equal(core_batch_end(&h.core), SB_OK);
	assert_int_equal(take(&h), 2);
	assert_int_equal(h.acts.v[0].type, ACT_REPLY);
	assert_int_equal(h.acts.v[0].reply_to, 7);
	assert_contains(h.acts.v[0].msg.text, "on");
	assert_int_equal(h.acts.v[1].reply_to, 9);
	assert_contains(h.acts.v[1].msg.text, "off");
	h_free(&h);
}

/* --- 20. atomicity
 * ------------------------------------------------------------------------------------ */

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fail_msg("%s: %s", sql, err ? err : "?");
	}
}

/* The ledger refuses every row (a second connection adds a trigger), so
 * any event that scores fails part way: nothing of it may stay. */
static void atomic_events(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	char dir[512], path[600];
	snprintf(dir, sizeof dir, "%s/sbcoreXXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/store.db", dir);

	struct h h;
	h_open(&h, path);
	h_channel(&h, CH, "Europe/Berlin", "09:00", "alpha", 1, 1, ANSWER_MODAL);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);

	int64_t round = post_day(&h, 1);
	h.now = day_at(&h, 1, 9, 30);
	answer(&h, ALICE, TXT_TWO);
	answer(&h, BOB, TXT_ONE);
	cmd(&h, CAROL, false, "remind", "state", "off", NULL);
	int64_t carol = mid(&h, CAROL);

	static const char fail_on[] = "CREATE TRIGGER test_fail BEFORE INSERT ON ledger "
	                              "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;";
	static const char fail_off[] = "DROP TRIGGER test_fail;";
	exec_sql(db, fail_on);

	/* The hint row is written, then its ledger row fails: neither stays,
	 * and the member hears only that nothing was saved. */
	char id[CID_MAX + 1];
	cid_of(CID_HINT, round, 0, id);
	struct event ev = {.type = EV_BUTTON, .id = id};
	h.now = day_at(&h, 1, 9, 40);
	assert_int_not_equal(handle(&h, &ev, CAROL), SB_OK);
	assert_int_equal(h.acts.n, 1);
	assert_contains(reply_text(&h), "could not be recorded, so nothing was saved");
	assert_lacks(reply_text(&h), "Hint 1");
	int taken = -1;
	assert_int_equal(store_hints_taken(h.st, round, carol, &taken), SB_OK);
	assert_int_equal(taken, 0);
	assert_int_equal(pts(&h, CAROL, NULL), 0);

	/* Once the store works again, the same click goes through whole. */
	exec_sql(db, fail_off);
	h.now = day_at(&h, 1, 9, 45);
	ev = (struct event){.type = EV_BUTTON, .id = id};
	assert_int_equal(handle(&h, &ev, CAROL), SB_OK);
	assert_contains(reply_text(&h), "**Hint 1 of 2:**");
	assert_int_equal(store_hints_taken(h.st, round, carol, &taken), SB_OK);
	assert_int_equal(taken, 1);
	assert_int_equal(pts(&h, CAROL, "hint"), -3);

	/* The reveal fails part way: no post, no label, no streak, no review
	 * assignment, the round still open. */
	exec_sql(db, fail_on);
	h.now = day_at(&h, 1, 11, 0);
	assert_int_not_equal(core_tick(&h.core, h.now), SB_OK);
	assert_int_equal(take(&h), 0);
	struct st_round r;
	round_get(&h, round, &r);
	assert_int_equal(r.state, ROUND_OPEN);
	struct st_answer a;
	assert_true(answer_of(&h, round, ALICE, &a));
	assert_int_equal(a.label, 0);
	assert_int_equal(a.kp_hits, 0);
	store_answer_clear(&a);
	struct st_streak s;
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 0);
	struct st_rating_sum *sum = NULL;
	size_t n = 0;
	assert_int_equal(store_rating_summary(h.st, round, &sum, &n), SB_OK);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sum[i].assigned, 0);
	free(sum);
	assert_int_equal(pts(&h, ALICE, NULL), 0);

	exec_sql(db, fail_off);
	tick(&h, day_at(&h, 1, 11, 1));
	assert_int_equal(count(&h, ACT_POST, "Answer A"), 1);
	assert_int_equal(count(&h, ACT_POST, "Answer B"), 1);
	assert_int_equal(count(&h, ACT_DM, NULL), 2);
	round_get(&h, round, &r);
	assert_int_equal(r.state, ROUND_REVIEW);
	assert_int_equal(pts(&h, ALICE, NULL), 10 + 1 + 5);
	streak_of(&h, ALICE, &s);
	assert_int_equal(s.current, 1);

	sqlite3_close(db);
	h_free(&h);
	static const char *const files[] = {"store.db", "store.db-wal", "store.db-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* The page at "/": every channel's boards, member names escaped (they come
 * from chat and must not become markup). */
static void leaderboard_page(void **state)
{
	(void)state;
	struct h h;
	h_std(&h);
	int64_t ada, eve;
	assert_int_equal(store_member(h.st, "u1", "Ada", &ada), SB_OK);
	assert_int_equal(store_member(h.st, "u2", "<script>alert('x')</script> & co", &eve), SB_OK);
	assert_int_equal(core_points(&h.core, &h.ch, ada, 0, 12, "answer", "alpha", h.now), SB_OK);
	assert_int_equal(core_points(&h.core, &h.ch, eve, 0, 7, "answer", "alpha", h.now), SB_OK);
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(core_page_html(&h.core, h.now, &b), SB_OK);
	const char *page = buf_str(&b);
	assert_non_null(strstr(page, "<h2>#study</h2>"));
	assert_non_null(strstr(page, "This week"));
	assert_non_null(strstr(page, "<li value=\"1\">Ada: 12</li>"));
	assert_non_null(
	    strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co: 7</li>"));
	assert_null(strstr(page, "<script>"));
	/* A week later the week's board is empty, all time is not. */
	buf_reset(&b);
	assert_int_equal(core_page_html(&h.core, h.now + 8 * DAYS, &b), SB_OK);
	assert_non_null(strstr(buf_str(&b), "No points yet."));
	assert_non_null(strstr(buf_str(&b), "Ada: 12"));
	buf_free(&b);
	h_free(&h);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(schedule_normal_day),
	    cmocka_unit_test(schedule_dst_berlin),
	    cmocka_unit_test(schedule_dst_new_york),
	    cmocka_unit_test(schedule_weekdays),
	    cmocka_unit_test(catch_up_inside_window),
	    cmocka_unit_test(catch_up_after_window),
	    cmocka_unit_test(catch_up_no_backlog),
	    cmocka_unit_test(rotation),
	    cmocka_unit_test(rotation_added_question_is_posted),
	    cmocka_unit_test(rotation_added_before_setup),
	    cmocka_unit_test(answer_modal),
	    cmocka_unit_test(answer_thread),
	    cmocka_unit_test(hints),
	    cmocka_unit_test(multiple_choice),
	    cmocka_unit_test(reveal),
	    cmocka_unit_test(ratings),
	    cmocka_unit_test(results),
	    cmocka_unit_test(ledger_totals),
	    cmocka_unit_test(streak_freeze),
	    cmocka_unit_test(streak_freezes_capped),
	    cmocka_unit_test(reminders),
	    cmocka_unit_test(replies_carry_their_event_tag),
	    cmocka_unit_test(leaderboard_periods),
	    cmocka_unit_test(leaderboard_topics_and_rank),
	    cmocka_unit_test(leaderboard_ties),
	    cmocka_unit_test(weekly_recap),
	    cmocka_unit_test(admin_setup),
	    cmocka_unit_test(admin_post_and_skip),
	    cmocka_unit_test(admin_pause_resume),
	    cmocka_unit_test(admin_resume_skips_missed_round),
	    cmocka_unit_test(admin_export),
	    cmocka_unit_test(admin_only_commands),
	    cmocka_unit_test(forget_me),
	    cmocka_unit_test(forget_me_cancel),
	    cmocka_unit_test(practice),
	    cmocka_unit_test(outbox_resend),
	    cmocka_unit_test(atomic_events),
	    cmocka_unit_test(leaderboard_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
