/* The /study commands (SPEC §6). Options arrive by name, whatever the
 * platform: Discord's typed options and Slack's words are both mapped to
 * the same names by their adapters. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cid.h"
#include "core/core_int.h"
#include "core/csv.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

static const char not_study[] = "This channel has no study rounds yet. An admin can start them "
                                "with /study setup.";

static bool this_channel(struct core *c, const struct event *ev, struct st_channel *ch,
                         enum sb_rc *rc)
{
	*rc = store_channel_get(c->st, ev->channel, ch);
	if (*rc == SB_ERR_NOTFOUND) {
		*rc = SB_OK;
		core_reply(c, "%s", not_study);
		return false;
	}
	return *rc == SB_OK;
}

static bool admin_only(struct core *c, const struct event *ev, const char *what)
{
	if (ev->admin)
		return true;
	core_reply(c,
	           "Only admins can %s (on Discord: the Manage Server permission; on Slack: "
	           "workspace admins or the admins in the bot's config).",
	           what);
	return false;
}

/* An admin command in a study channel: false when refused (rc says
 * whether the refusal itself failed). */
static bool admin_here(struct core *c, const struct event *ev, const char *what,
                       struct st_channel *ch, enum sb_rc *rc)
{
	*rc = SB_OK;
	return admin_only(c, ev, what) && this_channel(c, ev, ch, rc);
}

/* --- answer ---------------------------------------------------------------------- */

static enum sb_rc cmd_answer(struct core *c, const struct event *ev, int64_t now)
{
	struct st_channel ch;
	struct st_round r;
	enum sb_rc rc;
	if (!this_channel(c, ev, &ch, &rc))
		return rc;
	rc = store_round_latest(c->st, ch.id, &r);
	if (rc == SB_ERR_NOTFOUND || (rc == SB_OK && r.state != ROUND_OPEN)) {
		char when[96];
		int64_t next = round_next_slot(c, &ch, now);
		if (next == INT64_MAX || ch.paused)
			core_reply(c, "No question is open in this channel right now.");
		else {
			core_fmt_time(c, ch.timezone, next, when, sizeof when);
			core_reply(
			    c,
			    "No question is open in this channel right now. The next one comes "
			    "%s.",
			    when);
		}
		return SB_OK;
	}
	if (rc != SB_OK)
		return rc;
	return core_answer_form(c, ev, &r, now);
}

/* --- leaderboard ---------------------------------------------------------------- */

enum sb_rc core_leaderboard_text(struct core *c, const struct st_channel *ch, const char *period,
                                 const char *topic, int64_t caller, struct buf *out)
{
	struct st_rank top[10], me;
	size_t n = 0;
	enum sb_rc rc = store_leaderboard(c->st, ch->id, period, topic, 10, caller, top, &n, &me);
	if (rc != SB_OK || n == 0)
		return rc;
	static const char *const medal[] = {"🥇", "🥈", "🥉"};
	bool me_shown = false;
	for (size_t i = 0; i < n; i++) {
		const char *name = top[i].name[0] ? top[i].name : "someone";
		if (i < 3)
			buf_printf(out, "%s **%s**: %ld\n", medal[i], name, top[i].points);
		else
			buf_printf(out, "%ld. **%s**: %ld\n", top[i].rank, name, top[i].points);
		me_shown |= caller && top[i].member_id == caller;
	}
	if (caller && !me_shown) {
		if (me.rank)
			buf_printf(out, "…\n%ld. **you**: %ld\n", me.rank, me.points);
		else
			buf_adds(out, "\nYou have no points here yet: answer today's question.\n");
	}
	return SB_OK;
}

static enum sb_rc cmd_leaderboard(struct core *c, const struct event *ev, int64_t now)
{
	struct st_channel ch;
	enum sb_rc rc;
	if (!this_channel(c, ev, &ch, &rc))
		return rc;
	const char *period = event_opt(ev, "period"), *topic = event_opt(ev, "topic");
	if (!period || !*period)
		period = "week";
	if (!topic)
		topic = "";
	char key[16];
	if (!core_period_key(core_zone(c, ch.timezone), period, now, key)) {
		core_reply(c, "Period must be one of day, week, month or all (not \"%s\").",
		           period);
		return SB_OK;
	}
	if (*topic && !bank_topic(c->bank, topic) && !str_is_slug(topic, 64)) {
		core_reply(c, "There is no topic \"%s\".", topic);
		return SB_OK;
	}
	int64_t member;
	rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	struct buf b;
	buf_init(&b, 16 * 1024);
	rc = core_leaderboard_text(c, &ch, key, topic, member, &b);
	if (rc != SB_OK) {
		buf_free(&b);
		return rc;
	}
	if (b.len == 0)
		buf_adds(&b, "Nobody has points here yet. Answer today's question to be first.");
	struct action *a = core_reply(c, "%s", buf_str(&b));
	buf_free(&b);
	char title[128];
	snprintf(title, sizeof title, "Leaderboard · %s%s%s",
	         strcmp(period, "all") == 0    ? "all time"
	         : strcmp(period, "day") == 0  ? "today"
	         : strcmp(period, "week") == 0 ? "this week"
	                                       : "this month",
	         *topic ? " · " : "", topic);
	a->msg.title = xstrdup(title);
	a->public_reply = true;
	return SB_OK;
}

/* --- stats ---------------------------------------------------------------------- */

static int cmp_topic_avg(const void *a, const void *b)
{
	const struct st_topic_stat *x = a, *y = b;
	if (x->avg != y->avg)
		return x->avg > y->avg ? -1 : 1;
	return strcmp(x->topic, y->topic);
}

static enum sb_rc cmd_stats(struct core *c, const struct event *ev, int64_t now)
{
	(void)now;
	struct st_channel ch;
	enum sb_rc rc;
	if (!this_channel(c, ev, &ch, &rc))
		return rc;
	const char *who = event_opt(ev, "user");
	struct st_member m;
	if (who && *who) {
		rc = store_member_by_ext(c->st, who, &m);
		if (rc == SB_ERR_NOTFOUND) {
			core_reply(c, "That member has not taken part here yet.");
			return SB_OK;
		}
	} else {
		int64_t id;
		rc = core_member(c, ev, &id);
		if (rc == SB_OK)
			rc = store_member_get(c->st, id, &m);
	}
	if (rc != SB_OK)
		return rc;
	struct st_streak s;
	struct st_reason reasons[16];
	size_t nr = 0, nt = 0;
	struct st_topic_stat *t = NULL;
	rc = store_streak_get(c->st, m.id, ch.id, &s);
	if (rc == SB_OK)
		rc = store_points_by_reason(c->st, ch.id, m.id, reasons, 16, &nr);
	if (rc == SB_OK)
		rc = store_topic_stats(c->st, ch.id, m.id, &t, &nt);
	if (rc != SB_OK)
		return rc;
	long answered = 0, total = 0;
	for (size_t i = 0; i < nt; i++)
		answered += t[i].answered;
	struct buf b;
	buf_init(&b, 16 * 1024);
	for (size_t i = 0; i < nr; i++)
		total += reasons[i].points;
	buf_printf(&b, "**%ld points** · %ld round%s answered on time\n", total, answered,
	           answered == 1 ? "" : "s");
	buf_printf(&b, "Streak: %d (best %d), freezes held: %d\n", s.current, s.best, s.freezes);
	struct action *a = core_reply(c, "%s", buf_str(&b));
	char title[4 * ST_NAME_MAX + 16];
	snprintf(title, sizeof title, "Stats · %s", m.name[0] ? m.name : "member");
	a->msg.title = xstrdup(title);
	buf_reset(&b);
	for (size_t i = 0; i < nr; i++)
		buf_printf(&b, "%s: %+ld (%ld)\n", reasons[i].reason, reasons[i].points,
		           reasons[i].rows);
	if (b.len)
		chat_msg_field(&a->msg, "Points by reason", buf_str(&b));
	/* Only rated topics say anything about strength. */
	size_t nrated = 0;
	for (size_t i = 0; i < nt; i++)
		if (t[i].rated)
			t[nrated++] = t[i];
	if (nrated)
		qsort(t, nrated, sizeof *t, cmp_topic_avg);
	/* The better half (up to 3) is "best", the rest from the bottom (up to
	 * 3) "weakest", so one topic is never both. */
	size_t nbest = (nrated + 1) / 2 < 3 ? (nrated + 1) / 2 : 3;
	size_t nweak = nrated - nbest < 3 ? nrated - nbest : 3;
	if (nbest) {
		buf_reset(&b);
		for (size_t i = 0; i < nbest; i++)
			buf_printf(&b, "%s: %.1f/5\n", t[i].topic, t[i].avg);
		chat_msg_field(&a->msg, "Best topics", buf_str(&b));
	}
	if (nweak) {
		buf_reset(&b);
		for (size_t i = 0; i < nweak; i++)
			buf_printf(&b, "%s: %.1f/5\n", t[nrated - 1 - i].topic,
			           t[nrated - 1 - i].avg);
		chat_msg_field(&a->msg, "Weakest topics", buf_str(&b));
	}
	buf_free(&b);
	free(t);
	return SB_OK;
}

/* --- practice, remind, forget-me ------------------------------------------------------ */

static enum sb_rc cmd_practice(struct core *c, const struct event *ev, int64_t now)
{
	int64_t member;
	enum sb_rc rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	struct st_card card;
	const struct bank_question *q = NULL;
	rc = store_card_due(c->st, member, now, &card);
	if (rc == SB_ERR_NOTFOUND) {
		core_reply(c, "Nothing is due for practice. Cards come from the rounds you answer: "
		              "the weaker your answer, the sooner it comes back.");
		return SB_OK;
	}
	if (rc != SB_OK)
		return rc;
	q = core_question(c, card.qid);
	if (!q) {
		core_reply(c, "Your next practice question has left the bank.");
		return SB_OK;
	}
	struct buf b;
	buf_init(&b, 64 * 1024);
	buf_printf(&b, "**%s**", q->prompt);
	if (*q->body)
		buf_printf(&b, "\n\n%s", q->body);
	struct action *a = core_reply(c, "%s", buf_str(&b));
	buf_free(&b);
	a->msg.title = xstrdup("Practice");
	a->msg.footer = xstrdup("Answer it in your head (or on paper), then look.");
	struct cid id = {.verb = CID_SHOW};
	snprintf(id.qid, sizeof id.qid, "%s", q->id);
	char s[CID_MAX + 1];
	cid_format(&id, s);
	chat_msg_button(&a->msg, "Show the answer", s, STYLE_PRIMARY);
	return SB_OK;
}

static enum sb_rc cmd_remind(struct core *c, const struct event *ev)
{
	struct st_channel ch;
	enum sb_rc rc;
	if (!this_channel(c, ev, &ch, &rc))
		return rc;
	const char *v = event_opt(ev, "state");
	bool on;
	if (v && (str_ieq(v, "on") || str_ieq(v, "yes")))
		on = true;
	else if (v && (str_ieq(v, "off") || str_ieq(v, "no")))
		on = false;
	else {
		core_reply(c, "Use /study remind on, or /study remind off.");
		return SB_OK;
	}
	int64_t member;
	rc = core_member(c, ev, &member);
	if (rc == SB_OK)
		rc = store_remind_set(c->st, member, ch.id, on);
	if (rc != SB_OK)
		return rc;
	char left[32];
	core_fmt_left(ch.remind_before, left, sizeof left);
	if (!on)
		core_reply(c, "Reminders are off for this channel.");
	else if (ch.remind_before > 0)
		core_reply(c,
		           "Reminders are on: if you have not answered %s before the deadline, I "
		           "will nudge you privately.",
		           left);
	else
		core_reply(c,
		           "Reminders are on, but this channel sends none (remind_before = 0); an "
		           "admin can change that.");
	return SB_OK;
}

static enum sb_rc cmd_forget(struct core *c, const struct event *ev)
{
	int64_t member;
	enum sb_rc rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	struct action *a = core_reply(c, "This deletes every answer, rating, point, streak and "
	                                 "practice card of yours, in every channel. It cannot be "
	                                 "undone.");
	a->msg.title = xstrdup("Forget me?");
	char id[CID_MAX + 1];
	cid_format(&(struct cid){.verb = CID_FORGET, .num = member}, id);
	chat_msg_button(&a->msg, "Delete my data", id, STYLE_DANGER);
	cid_format(&(struct cid){.verb = CID_KEEP, .num = member}, id);
	chat_msg_button(&a->msg, "Cancel", id, STYLE_SECONDARY);
	return SB_OK;
}

/* --- admin: setup, post, skip, pause, resume, add, export ------------------------------- */

static bool topics_known(struct core *c, const char *list, char *bad, size_t n)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		const char *s = p;
		size_t sl = len;
		str_trim_span(&s, &sl);
		char t[65];
		snprintf(t, sizeof t, "%.*s", (int)(sl < 64 ? sl : 64), s);
		if (sl && !bank_topic(c->bank, t) && !bank_topic(&c->added, t)) {
			snprintf(bad, n, "%s", t);
			return false;
		}
		p += len + (p[len] == ',');
	}
	return true;
}

static enum sb_rc cmd_setup(struct core *c, const struct event *ev, int64_t now)
{
	(void)now;
	if (!admin_only(c, ev, "set up study channels"))
		return SB_OK;
	const char *target = event_opt(ev, "channel"), *time = event_opt(ev, "time"),
	           *zone = event_opt(ev, "timezone"), *topics = event_opt(ev, "topics"),
	           *diff = event_opt(ev, "difficulty"), *mode = event_opt(ev, "mode");
	if (!target || !*target)
		target = ev->channel;
	struct st_channel ch;
	enum sb_rc rc = store_channel_get(c->st, target, &ch);
	bool exists = rc == SB_OK;
	if (rc != SB_OK && rc != SB_ERR_NOTFOUND)
		return rc;
	if (!exists) {
		memset(&ch, 0, sizeof ch);
		if (strlen(target) > ST_ID_MAX) {
			core_reply(c, "That channel id is too long.");
			return SB_OK;
		}
		snprintf(ch.ext_id, sizeof ch.ext_id, "%s", target);
		snprintf(ch.name, sizeof ch.name, "%s", target);
		snprintf(ch.timezone, sizeof ch.timezone, "UTC");
		ch.schedule = (struct schedule){SCHED_ALL_DAYS, 9 * 3600};
		ch.diff_min = 1;
		ch.diff_max = 3;
		ch.answer_window = 10 * 3600;
		ch.review_window = 12 * 3600;
		ch.remind_before = 2 * 3600;
		ch.answer_mode = ANSWER_MODAL;
		ch.created_at = now;
	}
	snprintf(ch.workspace, sizeof ch.workspace, "%s", ev->workspace ? ev->workspace : "");
	char err[160];
	if (time && *time && !sched_parse(time, &ch.schedule, err, sizeof err)) {
		core_reply(c, "Time: %s", err);
		return SB_OK;
	}
	if (!exists && (!time || !*time)) {
		core_reply(c, "Give the time to post, e.g. `09:00` or `mon,wed,fri 18:30`.");
		return SB_OK;
	}
	if (zone && *zone) {
		struct tz *z = NULL;
		if (tz_load(zone, &z) != SB_OK) {
			core_reply(c,
			           "\"%s\" is not a time zone I know: use an IANA name such as "
			           "Europe/Berlin or America/New_York.",
			           zone);
			return SB_OK;
		}
		tz_free(z);
		snprintf(ch.timezone, sizeof ch.timezone, "%s", zone);
	}
	char bad[65];
	if (topics) {
		if (strlen(topics) > ST_TOPICS_MAX || !topics_known(c, topics, bad, sizeof bad)) {
			core_reply(
			    c,
			    "There is no topic \"%s\". /study leaderboard lists scores by topic; "
			    "`studybot questions list` shows them all.",
			    bad);
			return SB_OK;
		}
		/* Stored without spaces: "python,django". */
		size_t k = 0;
		for (const char *p = topics; *p && k < ST_TOPICS_MAX; p++)
			if (*p != ' ')
				ch.topics[k++] = *p;
		ch.topics[k] = '\0';
	}
	if (diff && *diff) {
		int lo = 0, hi = 0;
		char dash = 0, extra = 0;
		int got = sscanf(diff, "%d%c%d%c", &lo, &dash, &hi, &extra);
		if (got == 1)
			hi = lo;
		if (!(got == 1 || (got == 3 && dash == '-')) || lo < 1 || hi > 3 || lo > hi) {
			core_reply(c, "Difficulty is 1, 2, 3 or a range such as 1-3.");
			return SB_OK;
		}
		ch.diff_min = lo;
		ch.diff_max = hi;
	}
	if (mode && *mode) {
		if (str_ieq(mode, "modal"))
			ch.answer_mode = ANSWER_MODAL;
		else if (str_ieq(mode, "thread"))
			ch.answer_mode = ANSWER_THREAD;
		else {
			core_reply(
			    c, "Mode is modal (private answers) or thread (replies in a thread).");
			return SB_OK;
		}
	}
	rc = store_channel_put(c->st, &ch);
	if (rc != SB_OK)
		return rc;
	char sched[64];
	sched_format(&ch.schedule, sched, sizeof sched);
	core_reply(c, "%s: questions %s (%s), topics %s, difficulty %d-%d, %s answers.",
	           exists ? "Updated" : "Set up", sched, ch.timezone,
	           ch.topics[0] ? ch.topics : "all", ch.diff_min, ch.diff_max,
	           ch.answer_mode == ANSWER_THREAD ? "thread" : "private");
	log_info("channel configured from chat", "channel=%s", log_q(ch.ext_id));
	return SB_OK;
}

static enum sb_rc cmd_post(struct core *c, const struct event *ev, int64_t now)
{
	struct st_channel ch;
	enum sb_rc rc;
	if (!admin_here(c, ev, "post a question now", &ch, &rc))
		return rc;
	struct st_round r;
	rc = store_round_latest(c->st, ch.id, &r);
	if (rc == SB_OK && r.state == ROUND_OPEN) {
		core_reply(c, "A question is already open here; /study skip it first.");
		return SB_OK;
	}
	if (rc != SB_OK && rc != SB_ERR_NOTFOUND)
		return rc;
	char slot[ST_SLOT_MAX + 1];
	rc = round_free_slot(c, &ch, now, slot);
	if (rc == SB_ERR_TOOBIG) {
		core_reply(c, "That is enough rounds for one day.");
		return SB_OK;
	}
	if (rc != SB_OK)
		return rc;
	memset(&r, 0, sizeof r);
	rc = round_post(c, &ch, slot, now, now, &r);
	if (rc != SB_OK)
		return rc;
	if (r.state != ROUND_OPEN)
		core_reply(c, "No question fits this channel's topics and difficulty.");
	else
		core_reply(c, "Posted.");
	return SB_OK;
}

static enum sb_rc cmd_skip(struct core *c, const struct event *ev, int64_t now)
{
	struct st_channel ch;
	enum sb_rc rc;
	if (!admin_here(c, ev, "skip rounds", &ch, &rc))
		return rc;
	struct st_round r;
	rc = store_round_latest(c->st, ch.id, &r);
	if (rc == SB_OK && r.state == ROUND_OPEN) {
		r.state = ROUND_SKIPPED;
		rc = store_round_update(c->st, &r);
		if (rc != SB_OK)
			return rc;
		struct action *a = core_new_post(c, &ch, r.message_id);
		a->msg.text = xstrdup("An admin skipped this round: it is closed and nothing is "
		                      "scored.");
		rc = core_send(c, a, ch.id, r.id, "notice", now);
		if (rc == SB_OK)
			core_reply(c, "Skipped the open round.");
		return rc;
	}
	if (rc != SB_OK && rc != SB_ERR_NOTFOUND)
		return rc;
	/* Nothing open: skip the next scheduled one by taking its slot. */
	int64_t next = round_next_slot(c, &ch, now);
	if (next == INT64_MAX) {
		core_reply(c, "There is no round to skip.");
		return SB_OK;
	}
	struct st_round skip = {.channel_id = ch.id,
	                        .state = ROUND_SKIPPED,
	                        .scheduled_at = next,
	                        .deadline = next,
	                        .review_end = next};
	round_slot(c, &ch, next, skip.slot);
	rc = store_round_create(c->st, &skip);
	if (rc == SB_ERR_INVALID) {
		core_reply(c, "The next round is already settled.");
		return SB_OK;
	}
	if (rc != SB_OK)
		return rc;
	char when[96];
	core_fmt_time(c, ch.timezone, next, when, sizeof when);
	core_reply(c, "The round of %s will not be posted.", when);
	return SB_OK;
}

/* The round whose time came while the channel was paused stays unposted:
 * resuming means "from the next one on" (as the reply says), not a late
 * post of the one the pause held back. Its slot is taken by a skipped round,
 * as /study skip does for the next one. */
static enum sb_rc skip_missed(struct core *c, const struct st_channel *ch, int64_t now)
{
	int64_t last = round_last_slot(c, ch, now);
	if (last == INT64_MIN || now >= last + ch->answer_window)
		return SB_OK; /* none, or its time is over anyway */
	struct st_round r = {.channel_id = ch->id,
	                     .state = ROUND_SKIPPED,
	                     .scheduled_at = last,
	                     .deadline = last,
	                     .review_end = last};
	struct st_round have;
	round_slot(c, ch, last, r.slot);
	enum sb_rc rc = store_round_by_slot(c->st, ch->id, r.slot, &have);
	if (rc != SB_ERR_NOTFOUND)
		return rc; /* posted before the pause: it runs its course */
	return store_round_create(c->st, &r);
}

static enum sb_rc cmd_pause(struct core *c, const struct event *ev, bool pause, int64_t now)
{
	struct st_channel ch;
	enum sb_rc rc;
	if (!admin_here(c, ev, pause ? "pause rounds" : "resume rounds", &ch, &rc))
		return rc;
	if (ch.paused == pause) {
		core_reply(c, pause ? "Rounds are already paused here." : "Rounds are not paused.");
		return SB_OK;
	}
	rc = store_channel_set_paused(c->st, ch.id, pause);
	if (rc == SB_OK && !pause)
		rc = skip_missed(c, &ch, now);
	if (rc == SB_OK)
		core_reply(c, pause
		                  ? "Paused: no new questions until /study resume. A round already "
		                    "open still finishes."
		                  : "Resumed: the next question comes at the usual time.");
	return rc;
}

static enum sb_rc cmd_add(struct core *c, const struct event *ev)
{
	if (!admin_only(c, ev, "add questions"))
		return SB_OK;
	struct action *f = actions_push(&c->out, ACT_FORM);
	char id[CID_MAX + 1];
	cid_format(&(struct cid){.verb = CID_FORM_ADD}, id);
	f->form.id = xstrdup(id);
	f->form.title = xstrdup("Add a question");
	struct chat_input *in = chat_form_input(&f->form, "topic", "Topic (e.g. django)");
	in->max_len = 40;
	in = chat_form_input(&f->form, "difficulty", "Difficulty: 1, 2 or 3");
	in->max_len = 1;
	in = chat_form_input(&f->form, "prompt", "Question (one line)");
	in->min_len = BANK_PROMPT_MIN;
	in->max_len = BANK_PROMPT_MAX;
	in = chat_form_input(&f->form, "answer", "Model answer");
	in->multiline = true;
	in->max_len = (int)c->answer_max;
	in = chat_form_input(&f->form, "key_points", "Key points, one per line");
	in->multiline = true;
	in->required = false;
	in->max_len = 1000;
	return SB_OK;
}

struct csv_sink {
	struct csv csv;
	enum sb_rc err;
};

static enum sb_rc csv_row(void *ud, int ncols, const char *const *cols)
{
	struct csv_sink *s = ud;
	for (int i = 0; i < ncols; i++) {
		/* A negative number (points) is no formula: it stays a number. */
		const char *v = cols[i] ? cols[i] : "";
		bool number = v[0] == '-' && v[1] && !v[1 + strspn(v + 1, "0123456789")];
		s->csv.guard_formulas = !number;
		enum sb_rc rc = csv_field(&s->csv, cols[i]);
		s->csv.guard_formulas = true;
		if (rc != SB_OK)
			return rc;
	}
	return csv_end_row(&s->csv);
}

#define EXPORT_MAX (8 * 1024 * 1024) /* under Discord's and Slack's upload caps */

static enum sb_rc cmd_export(struct core *c, const struct event *ev)
{
	struct st_channel ch;
	enum sb_rc rc;
	if (!admin_here(c, ev, "export data", &ch, &rc))
		return rc;
	static const char *const tables[] = {"answers", "ratings", "ledger"};
	struct action *a = core_reply(c, "Answers, ratings and the points ledger of this channel, "
	                                 "as CSV (RFC 4180, UTF-8).");
	size_t total = 0;
	for (size_t i = 0; i < 3; i++) {
		struct buf b;
		buf_init(&b, EXPORT_MAX);
		struct csv_sink sink;
		csv_init(&sink.csv, &b, true);
		rc = store_export(c->st, ch.id, tables[i], csv_row, &sink);
		if (rc == SB_ERR_TOOBIG) {
			buf_free(&b);
			free(a->msg.text);
			a->msg.text =
			    xstrdup("This channel's data is larger than one upload can hold; "
			            "run the export from the command line instead.");
			for (size_t k = 0; k < a->msg.nfiles; k++) {
				free(a->msg.files[k].name);
				free(a->msg.files[k].data);
			}
			a->msg.nfiles = 0;
			return SB_OK;
		}
		if (rc != SB_OK) {
			buf_free(&b);
			return rc;
		}
		char name[64];
		snprintf(name, sizeof name, "%s.csv", tables[i]);
		chat_msg_file(&a->msg, name, buf_str(&b), b.len);
		total += b.len;
		buf_free(&b);
	}
	log_info("export", "channel=%s bytes=%zu", log_q(ch.ext_id), total);
	return SB_OK;
}

static enum sb_rc cmd_help(struct core *c)
{
	struct action *a = core_reply(
	    c,
	    "**/study answer**: answer today's question\n"
	    "**/study leaderboard** [day|week|month|all] [topic]: the top 10 and your rank\n"
	    "**/study stats** [user]: rounds, streak, points by reason, best and weakest topics\n"
	    "**/study practice**: a question due for review (spaced repetition)\n"
	    "**/study remind** on|off: a private nudge before the deadline\n"
	    "**/study forget-me**: delete your data\n"
	    "Admins: **/study setup**, **post**, **skip**, **pause**, **resume**, **add**, "
	    "**export**");
	a->msg.title = xstrdup("studybot");
	return SB_OK;
}

enum sb_rc core_on_command(struct core *c, const struct event *ev, int64_t now)
{
	const char *cmd = ev->command ? ev->command : "";
	if (strcmp(cmd, "answer") == 0)
		return cmd_answer(c, ev, now);
	if (strcmp(cmd, "leaderboard") == 0)
		return cmd_leaderboard(c, ev, now);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(c, ev, now);
	if (strcmp(cmd, "practice") == 0)
		return cmd_practice(c, ev, now);
	if (strcmp(cmd, "remind") == 0)
		return cmd_remind(c, ev);
	if (strcmp(cmd, "forget-me") == 0)
		return cmd_forget(c, ev);
	if (strcmp(cmd, "setup") == 0)
		return cmd_setup(c, ev, now);
	if (strcmp(cmd, "post") == 0)
		return cmd_post(c, ev, now);
	if (strcmp(cmd, "skip") == 0)
		return cmd_skip(c, ev, now);
	if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0)
		return cmd_pause(c, ev, strcmp(cmd, "pause") == 0, now);
	if (strcmp(cmd, "add") == 0)
		return cmd_add(c, ev);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(c, ev);
	if (strcmp(cmd, "help") != 0 && *cmd)
		core_reply(c, "There is no /study %s.", cmd);
	return cmd_help(c);
}
