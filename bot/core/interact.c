/* Buttons, forms and thread replies: a member answering, picking, taking a
 * hint, rating, practising. Every refusal is a private reply that says why
 * and what to do instead. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cid.h"
#include "core/core_int.h"
#include "core/keypoint.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

static const char stale[] = "That button belongs to a round that no longer exists here.";

/* The round a custom id names, with its channel; refuses ids that name
 * nothing or another workspace's round. */
static bool load_round(struct core *c, const struct event *ev, int64_t id, struct st_round *r,
                       struct st_channel *ch, enum sb_rc *rc)
{
	*rc = store_round_get(c->st, id, r);
	if (*rc == SB_OK)
		*rc = store_channel_by_id(c->st, r->channel_id, ch);
	if (*rc == SB_ERR_NOTFOUND) {
		*rc = SB_OK;
		core_reply(c, "%s", stale);
		return false;
	}
	if (*rc != SB_OK)
		return false;
	if (ev->workspace && *ev->workspace && ch->workspace[0] &&
	    strcmp(ev->workspace, ch->workspace) != 0) {
		core_reply(c, "%s", stale);
		return false;
	}
	return true;
}

static const struct bank_question *round_question(struct core *c, const struct st_round *r)
{
	const struct bank_question *q = r->qid[0] ? core_question(c, r->qid) : NULL;
	if (!q)
		core_reply(c, "This round's question is no longer in the bank.");
	return q;
}

/* load_round() and the round's question; false (refused) if either is gone. */
static bool load_round_question(struct core *c, const struct event *ev, int64_t id,
                                struct st_round *r, struct st_channel *ch,
                                const struct bank_question **q, enum sb_rc *rc)
{
	if (!load_round(c, ev, id, r, ch, rc))
		return false;
	*q = round_question(c, r);
	return *q != NULL;
}

enum sb_rc core_answer_form(struct core *c, const struct event *ev, const struct st_round *r,
                            int64_t now)
{
	struct st_channel ch;
	enum sb_rc rc = store_channel_by_id(c->st, r->channel_id, &ch);
	if (rc != SB_OK)
		return rc;
	const struct bank_question *q = round_question(c, r);
	if (!q)
		return SB_OK;
	if (r->state == ROUND_SKIPPED) {
		core_reply(c, "This round was skipped, so it takes no answers.");
		return SB_OK;
	}
	if (q->correct >= 0) {
		core_reply(c,
		           "This one is multiple choice: pick your answer with the buttons under "
		           "the question.");
		return SB_OK;
	}
	if (ch.answer_mode == ANSWER_THREAD) {
		core_reply(c, "In this channel, answers are replies in the question's thread.");
		return SB_OK;
	}
	int64_t member;
	rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	struct st_answer a;
	bool have = store_answer_get(c->st, r->id, member, &a) == SB_OK;
	if (have && !a.late && now >= r->deadline) {
		store_answer_clear(&a);
		core_reply(c, "The deadline has passed, so your answer stands as it was.");
		return SB_OK;
	}
	struct action *f = actions_push(&c->out, ACT_FORM);
	char id[CID_MAX + 1];
	cid_format(&(struct cid){.verb = CID_FORM_ANSWER, .num = r->id}, id);
	f->form.id = xstrdup(id);
	f->form.title = xstrdup(have ? "Edit your answer" : "Your answer");
	struct chat_input *in = chat_form_input(&f->form, "answer", "Answer");
	in->multiline = true;
	in->min_len = 1;
	in->max_len = (int)c->answer_max;
	char ph[101];
	snprintf(ph, sizeof ph, "%s", q->prompt);
	if (strlen(q->prompt) > 100) {
		/* Cut on a character boundary and mark it. */
		size_t k = 96;
		while (k > 0 && ((unsigned char)ph[k] & 0xc0) == 0x80)
			k--;
		memcpy(ph + k, "...", 4);
	}
	in->placeholder = xstrdup(ph);
	if (have) {
		in->value = a.text ? xstrdup(a.text) : NULL;
		store_answer_clear(&a);
	}
	return SB_OK;
}

/* --- buttons ---------------------------------------------------------------------- */

static enum sb_rc on_hint(struct core *c, const struct event *ev, const struct cid *id, int64_t now)
{
	struct st_round r;
	struct st_channel ch;
	const struct bank_question *q;
	enum sb_rc rc;
	if (!load_round_question(c, ev, id->num, &r, &ch, &q, &rc))
		return rc;
	if (!q->nhints) {
		core_reply(c, "This question has no hints.");
		return SB_OK;
	}
	int64_t member;
	int taken = 0;
	rc = core_member(c, ev, &member);
	if (rc == SB_OK)
		rc = store_hints_taken(c->st, r.id, member, &taken);
	if (rc != SB_OK)
		return rc;
	bool open = r.state == ROUND_OPEN && now < r.deadline;
	bool fresh = open && (size_t)taken < q->nhints;
	if (fresh) {
		taken++;
		rc = store_hint_take(c->st, r.id, member, taken, now);
		if (rc == SB_OK)
			rc = core_points(c, &ch, member, r.id, c->scoring.hint, "hint", q->topic,
			                 now);
		if (rc != SB_OK)
			return rc;
	}
	struct buf b;
	buf_init(&b, 16 * 1024);
	if (taken == 0) {
		buf_adds(&b, "Hints are over for this round: the answers are out.");
	} else {
		for (int i = 0; i < taken; i++)
			buf_printf(&b, "**Hint %d of %zu:** %s\n", i + 1, q->nhints, q->hints[i]);
		if (fresh && c->scoring.hint)
			buf_printf(&b, "\nThat hint cost %d point%s.", -c->scoring.hint,
			           c->scoring.hint == -1 ? "" : "s");
		else if (!fresh && open)
			buf_adds(&b, "\nThat was the last hint.");
	}
	core_reply(c, "%s", buf_str(&b));
	buf_free(&b);
	return SB_OK;
}

static enum sb_rc on_pick(struct core *c, const struct event *ev, const struct cid *id, int64_t now)
{
	struct st_round r;
	struct st_channel ch;
	const struct bank_question *q;
	enum sb_rc rc;
	if (!load_round_question(c, ev, id->num, &r, &ch, &q, &rc))
		return rc;
	if (q->correct < 0 || (size_t)id->arg >= q->nchoices) {
		core_reply(c, "%s", stale);
		return SB_OK;
	}
	char when[96];
	core_fmt_time(c, ch.timezone, r.deadline, when, sizeof when);
	if (r.state != ROUND_OPEN || now >= r.deadline) {
		core_reply(c, "This question closed at %s; picks no longer count.", when);
		return SB_OK;
	}
	int64_t member;
	rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	struct st_answer a = {.round_id = r.id,
	                      .member_id = member,
	                      .choice = id->arg,
	                      .created_at = now,
	                      .updated_at = now};
	bool created = false;
	rc = store_answer_put(c->st, &a, &created);
	if (rc != SB_OK)
		return rc;
	c->stats_tx.answers += created;
	core_reply(c, "%s **%c.** %s\nYou can change it until %s.",
	           created ? "You picked" : "You changed your pick to", (char)('A' + id->arg),
	           q->choices[id->arg], when);
	return SB_OK;
}

static enum sb_rc on_rate(struct core *c, const struct event *ev, const struct cid *id, int64_t now)
{
	struct st_answer a;
	enum sb_rc rc = store_answer_by_id(c->st, id->num, &a);
	if (rc == SB_ERR_NOTFOUND) {
		core_reply(c, "That answer no longer exists.");
		return SB_OK;
	}
	if (rc != SB_OK)
		return rc;
	int64_t author = a.member_id;
	int label = a.label;
	store_answer_clear(&a);
	struct st_round r;
	struct st_channel ch;
	if (!load_round(c, ev, a.round_id, &r, &ch, &rc))
		return rc;
	int64_t member;
	rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	char lab[8], when[96];
	core_label(label, lab, sizeof lab);
	core_fmt_time(c, ch.timezone, r.review_end, when, sizeof when);
	if (member == author) {
		core_reply(c, "You can't rate your own answer. Rate the others: every rating earns "
		              "you review points.");
		return SB_OK;
	}
	if (r.state == ROUND_OPEN) {
		core_fmt_time(c, ch.timezone, r.deadline, when, sizeof when);
		core_reply(c, "Ratings open when the answers are revealed, at %s.", when);
		return SB_OK;
	}
	if (r.state != ROUND_REVIEW || now >= r.review_end) {
		core_reply(c, "Rating for this round closed at %s.", when);
		return SB_OK;
	}
	if (label == 0) {
		core_reply(c, "That answer came in after the reveal, so it cannot be rated.");
		return SB_OK;
	}
	bool replaced = false;
	rc = store_rating_put(c->st, id->num, member, id->arg, now, &replaced);
	if (rc != SB_OK)
		return rc;
	c->stats_tx.ratings += !replaced;
	int given = 0;
	rc = store_ratings_given(c->st, r.id, member, &given);
	if (rc == SB_OK && !replaced && given <= c->scoring.review_cap) {
		const struct bank_question *q = core_question(c, r.qid);
		rc = core_points(c, &ch, member, r.id, c->scoring.review, "review",
		                 q ? q->topic : "", now);
	}
	if (rc != SB_OK)
		return rc;
	core_reply(c, "%s Answer %s: %d/5. Ratings stay hidden until %s.",
	           replaced ? "Your rating is changed for" : "Your rating is recorded for", lab,
	           id->arg, when);
	return SB_OK;
}

static enum sb_rc on_forget(struct core *c, const struct event *ev, const struct cid *id)
{
	int64_t member;
	enum sb_rc rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	if (member != id->num) {
		core_reply(c, "That button was for someone else: run /study forget-me yourself.");
		return SB_OK;
	}
	rc = store_forget_member(c->st, member);
	if (rc == SB_OK) {
		log_info("member data deleted on request", "member=%" PRId64, member);
		core_reply(
		    c, "Done: your answers, ratings, points, streaks and reminders are deleted.");
	}
	return rc;
}

/* Cancel on the forget-me question: a word back, so the member knows. */
static enum sb_rc on_keep(struct core *c, const struct event *ev, const struct cid *id)
{
	int64_t member;
	enum sb_rc rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	if (member != id->num)
		core_reply(c, "That button was for someone else: run /study forget-me yourself.");
	else
		core_reply(c, "Nothing was deleted: your answers, ratings and points stay.");
	return SB_OK;
}

static void grade_buttons(struct chat_msg *m, const char *qid)
{
	static const struct {
		const char *label;
		int q, style;
	} g[] = {{"Forgot", 1, STYLE_DANGER},
	         {"Hard", 3, STYLE_SECONDARY},
	         {"Good", 4, STYLE_PRIMARY},
	         {"Easy", 5, STYLE_SUCCESS}};
	char id[CID_MAX + 1];
	for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
		struct cid c = {.verb = CID_GRADE, .arg = g[i].q};
		snprintf(c.qid, sizeof c.qid, "%s", qid);
		cid_format(&c, id);
		chat_msg_button(m, g[i].label, id, g[i].style);
	}
}

static enum sb_rc on_show(struct core *c, const struct cid *id)
{
	const struct bank_question *q = core_question(c, id->qid);
	if (!q) {
		core_reply(c, "That question is no longer in the bank.");
		return SB_OK;
	}
	struct buf b;
	buf_init(&b, 64 * 1024);
	buf_printf(&b, "**%s**\n\n%s", q->prompt, q->answer);
	for (size_t i = 0; i < q->nkey_points; i++) {
		char d[BANK_KEYPOINT_MAX * 4 + 1];
		kp_display(q->key_points[i], d, sizeof d);
		buf_printf(&b, strchr(d, '`') ? "%s%s" : "%s`%s`",
		           i ? " · " : "\n\n**Key points:** ", d);
	}
	struct action *a = core_reply(c, "%s", buf_str(&b));
	buf_free(&b);
	a->msg.footer = xstrdup("How well did you remember it?");
	grade_buttons(&a->msg, q->id);
	return SB_OK;
}

static enum sb_rc on_grade(struct core *c, const struct event *ev, const struct cid *id,
                           int64_t now)
{
	if (!core_question(c, id->qid)) {
		core_reply(c, "That question is no longer in the bank.");
		return SB_OK;
	}
	int64_t member;
	enum sb_rc rc = core_member(c, ev, &member);
	if (rc == SB_OK)
		rc = core_card_review(c, member, id->qid, id->arg, now);
	if (rc != SB_OK)
		return rc;
	struct st_card card;
	rc = store_card_get(c->st, member, id->qid, &card);
	if (rc != SB_OK)
		return rc;
	char left[32];
	core_fmt_left(card.due - now, left, sizeof left);
	core_reply(c,
	           "Noted. You will see this question again in %s. /study practice for the "
	           "next one.",
	           left);
	return SB_OK;
}

enum sb_rc core_on_button(struct core *c, const struct event *ev, int64_t now)
{
	struct cid id;
	if (!cid_parse(ev->id, &id)) {
		log_warn("unknown button ignored", "id=%s", log_q(ev->id ? ev->id : ""));
		core_reply(c, "That button is not one of mine, or it is from an older version.");
		return SB_OK;
	}
	switch (id.verb) {
	case CID_ANSWER: {
		struct st_round r;
		struct st_channel ch;
		enum sb_rc rc;
		if (!load_round(c, ev, id.num, &r, &ch, &rc))
			return rc;
		return core_answer_form(c, ev, &r, now);
	}
	case CID_HINT:
		return on_hint(c, ev, &id, now);
	case CID_PICK:
		return on_pick(c, ev, &id, now);
	case CID_RATE:
		return on_rate(c, ev, &id, now);
	case CID_FORGET:
		return on_forget(c, ev, &id);
	case CID_KEEP:
		return on_keep(c, ev, &id);
	case CID_SHOW:
		return on_show(c, &id);
	case CID_GRADE:
		return on_grade(c, ev, &id, now);
	case CID_FORM_ANSWER:
	case CID_FORM_ADD:
		break;
	}
	core_reply(c, "That button is not one of mine, or it is from an older version.");
	return SB_OK;
}

/* --- answers ------------------------------------------------------------------------- */

/* Checks member text against the platform's cap (in characters) and UTF-8;
 * writes the refusal into why. */
static bool text_ok(struct core *c, const char *text, char *why, size_t n)
{
	size_t len = strlen(text);
	if (utf8_invalid_at(text, len) != len) {
		snprintf(why, n,
		         "Your answer has bytes that are not valid text, so it was not saved.");
		return false;
	}
	size_t chars = utf8_len(text, len);
	if (chars > c->answer_max) {
		snprintf(why, n,
		         "Your answer is %zu characters; the limit here is %zu. Nothing was saved: "
		         "shorten it and send it again.",
		         chars, c->answer_max);
		return false;
	}
	return true;
}

/* Records an answer; returns a confirmation in msg (for the form path). */
static enum sb_rc record_answer(struct core *c, const struct st_channel *ch,
                                const struct st_round *r, int64_t member, const char *text,
                                int64_t now, struct buf *msg)
{
	struct st_answer old;
	bool have = store_answer_get(c->st, r->id, member, &old) == SB_OK;
	bool old_late = have && old.late;
	if (have)
		store_answer_clear(&old);
	char when[96];
	core_fmt_time(c, ch->timezone, r->deadline, when, sizeof when);
	bool late = now >= r->deadline || r->state != ROUND_OPEN;
	if (late && have && !old_late) {
		buf_adds(msg, "The deadline has passed, so your on-time answer stands as it was.");
		return SB_OK;
	}
	struct st_answer a = {.round_id = r->id,
	                      .member_id = member,
	                      .text = (char *)text,
	                      .choice = -1,
	                      .late = late,
	                      .created_at = now,
	                      .updated_at = now};
	bool created = false;
	enum sb_rc rc = store_answer_put(c->st, &a, &created);
	if (rc != SB_OK)
		return rc;
	c->stats_tx.answers += created;
	size_t chars = utf8_len(text, strlen(text));
	if (late) {
		buf_printf(msg,
		           "The deadline passed at %s. Your answer is kept and marked late: it "
		           "earns no answer points.",
		           when);
	} else {
		char left[32];
		core_fmt_left(r->deadline - now, left, sizeof left);
		buf_printf(msg, "%s (%zu characters). You can edit it until %s (%s left).",
		           created ? "Your answer is recorded" : "Your answer is updated", chars,
		           when, left);
	}
	return SB_OK;
}

static enum sb_rc on_answer_form(struct core *c, const struct event *ev, const struct cid *id,
                                 int64_t now)
{
	struct st_round r;
	struct st_channel ch;
	const struct bank_question *q;
	enum sb_rc rc;
	if (!load_round_question(c, ev, id->num, &r, &ch, &q, &rc))
		return rc;
	if (r.state == ROUND_SKIPPED || q->correct >= 0) {
		core_reply(c, "This round takes no written answers.");
		return SB_OK;
	}
	const char *text = event_opt(ev, "answer");
	char why[256];
	if (!text || !*text) {
		core_invalid(c, "answer", "Your answer was empty, so nothing was saved.");
		return SB_OK;
	}
	if (!text_ok(c, text, why, sizeof why)) {
		core_invalid(c, "answer", "%s", why);
		return SB_OK;
	}
	/* Whitespace-only answers are no answers. */
	const char *p = text;
	size_t n = strlen(text);
	str_trim_span(&p, &n);
	if (n == 0) {
		core_invalid(c, "answer", "Your answer was empty, so nothing was saved.");
		return SB_OK;
	}
	int64_t member;
	rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	struct buf msg;
	buf_init(&msg, 4096);
	rc = record_answer(c, &ch, &r, member, text, now, &msg);
	if (rc == SB_OK)
		core_reply(c, "%s", buf_str(&msg));
	buf_free(&msg);
	return rc;
}

enum sb_rc core_on_message(struct core *c, const struct event *ev, int64_t now)
{
	if (!ev->thread || !ev->text)
		return SB_OK;
	/* A reply without text (a picture alone) is no answer: the last one stands. */
	const char *p = ev->text;
	size_t n = strlen(p);
	str_trim_span(&p, &n);
	if (n == 0)
		return SB_OK;
	struct st_round r;
	enum sb_rc rc = store_round_by_message(c->st, ev->thread, &r);
	if (rc == SB_ERR_NOTFOUND)
		return SB_OK; /* a thread that is not a question's: not ours */
	struct st_channel ch;
	if (rc == SB_OK)
		rc = store_channel_by_id(c->st, r.channel_id, &ch);
	if (rc != SB_OK)
		return rc;
	const struct bank_question *q = core_question(c, r.qid);
	if (ch.answer_mode != ANSWER_THREAD || !q || q->correct >= 0 || r.state == ROUND_SKIPPED)
		return SB_OK;
	int64_t member;
	rc = core_member(c, ev, &member);
	if (rc != SB_OK)
		return rc;
	char why[256];
	if (!text_ok(c, ev->text, why, sizeof why)) {
		struct action *dm = core_new_dm(c, &ch, ev->user);
		dm->msg.text = xstrdup(why);
		return core_send(c, dm, ch.id, r.id, "dm", now);
	}
	struct buf msg;
	buf_init(&msg, 4096);
	rc = record_answer(c, &ch, &r, member, ev->text, now, &msg);
	buf_free(&msg); /* a thread reply is its own confirmation */
	return rc;
}

/* --- the add-a-question form -------------------------------------------------------- */

static void slugify(const char *s, char *out, size_t n)
{
	size_t k = 0;
	bool dash = false;
	for (; *s && k + 1 < n; s++) {
		char ch = *s;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
			if (dash && k)
				out[k++] = '-';
			if (k + 1 < n)
				out[k++] = ch;
			dash = false;
		} else {
			dash = true;
		}
	}
	out[k] = '\0';
}

static enum sb_rc on_add_form(struct core *c, const struct event *ev, int64_t now)
{
	if (!ev->admin) {
		core_reply(c, "Only server admins can add questions.");
		return SB_OK;
	}
	const char *topic = event_opt(ev, "topic"), *diff = event_opt(ev, "difficulty"),
	           *prompt = event_opt(ev, "prompt"), *answer = event_opt(ev, "answer"),
	           *kps = event_opt(ev, "key_points");
	long d = 0;
	char why[256];
	if (!topic || !str_is_slug(topic, 40)) {
		core_invalid(c, "topic",
		             "Topic must be a short slug such as `django` or `system-design`.");
		return SB_OK;
	}
	if (!diff || !str_to_long(diff, 1, 3, &d)) {
		core_invalid(c, "difficulty",
		             "Difficulty must be 1 (easy), 2 (medium) or 3 (hard).");
		return SB_OK;
	}
	size_t plen = prompt ? utf8_len(prompt, strlen(prompt)) : 0;
	if (plen < BANK_PROMPT_MIN || plen > BANK_PROMPT_MAX || strchr(prompt, '\n')) {
		core_invalid(c, "prompt", "The question must be one line of %d to %d characters.",
		             BANK_PROMPT_MIN, BANK_PROMPT_MAX);
		return SB_OK;
	}
	if (!answer || !*answer || !text_ok(c, answer, why, sizeof why)) {
		core_invalid(c, "answer",
		             "The model answer must be non-empty text of at most %zu characters.",
		             c->answer_max);
		return SB_OK;
	}
	struct buf points;
	buf_init(&points, 8192);
	int np = 0;
	for (const char *p = kps ? kps : ""; *p;) {
		size_t len = strcspn(p, "\n");
		const char *s = p;
		size_t sl = len;
		str_trim_span(&s, &sl);
		if (sl > 0 && (s[0] == '-' || s[0] == '*')) {
			s++;
			sl--;
			str_trim_span(&s, &sl);
		}
		if (sl > BANK_KEYPOINT_MAX || np == BANK_KEYPOINTS_MAX) {
			buf_free(&points);
			core_reply(
			    c,
			    "Give at most %d key points, one per line, each up to %d characters.",
			    BANK_KEYPOINTS_MAX, BANK_KEYPOINT_MAX);
			return SB_OK;
		}
		if (sl) {
			buf_printf(&points, "%.*s\n", (int)sl, s);
			np++;
		}
		p += len + (p[len] == '\n');
	}
	int64_t member;
	enum sb_rc rc = core_member(c, ev, &member);
	if (rc != SB_OK) {
		buf_free(&points);
		return rc;
	}
	struct st_question q = {0};
	char slug[41];
	slugify(prompt, slug, sizeof slug);
	snprintf(q.workspace, sizeof q.workspace, "%s", ev->workspace ? ev->workspace : "");
	snprintf(q.topic, sizeof q.topic, "%s", topic);
	q.difficulty = (int)d;
	q.prompt = (char *)prompt;
	q.body = (char *)"";
	q.answer = (char *)answer;
	q.hints = (char *)"";
	q.key_points = points.data ? points.data : (char *)"";
	q.choices = (char *)"";
	q.correct = -1;
	q.added_by = member;
	q.created_at = now;
	for (int i = 1; i <= 50; i++) {
		if (i == 1)
			snprintf(q.qid, sizeof q.qid, "added-%s", slug);
		else
			snprintf(q.qid, sizeof q.qid, "added-%s-%d", slug, i);
		if (core_question(c, q.qid))
			continue;
		rc = store_question_add(c->st, &q);
		if (rc != SB_ERR_INVALID)
			break;
	}
	buf_free(&points);
	if (rc == SB_OK)
		rc = core_load_added(c);
	if (rc != SB_OK)
		return rc;
	core_reply(c,
	           "Added `%s` (%s, %s) to this server's questions. Channels that cover `%s` "
	           "will ask it in turn.",
	           q.qid, topic, core_difficulty_name((int)d), topic);
	return SB_OK;
}

enum sb_rc core_on_form(struct core *c, const struct event *ev, int64_t now)
{
	struct cid id;
	if (!cid_parse(ev->id, &id)) {
		core_reply(c, "That form is not one of mine, or it is from an older version.");
		return SB_OK;
	}
	if (id.verb == CID_FORM_ANSWER)
		return on_answer_form(c, ev, &id, now);
	if (id.verb == CID_FORM_ADD)
		return on_add_form(c, ev, now);
	core_reply(c, "That form is not one of mine, or it is from an older version.");
	return SB_OK;
}
