/* A round's life (SPEC §5): post on schedule → answers → reveal → review →
 * results, with reminders before the deadline and a weekly recap. Every
 * step is driven by round_tick() from the injected clock and is idempotent:
 * the round's state in the store says what has been done. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cid.h"
#include "core/core_int.h"
#include "core/keypoint.h"
#include "core/srs.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

/* A stable shuffle that needs no random state in the store. */
static uint64_t mix(const char *a, const char *b, int64_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (const char *p = a; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (const char *p = b; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	/* splitmix64's finaliser: neighbouring ids land far apart. */
	h ^= (uint64_t)n;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

void round_slot(struct core *c, const struct st_channel *ch, int64_t t, char slot[16])
{
	struct civil cv;
	tz_local(core_zone(c, ch->timezone), t, &cv);
	snprintf(slot, 16, "%04d-%02d-%02d", cv.year % 10000, cv.month % 100, cv.day % 100);
}

/* The posting instants of the days around now, in the channel's zone. A
 * wall time skipped by spring-forward maps to the first instant after the
 * gap and a repeated one to its first occurrence (tz_mktime), and a round
 * is unique per local date, so DST never skips or doubles a post. */
static int64_t slot_at(struct core *c, const struct st_channel *ch, int64_t today, int k)
{
	int64_t days = today + k;
	if (!(ch->schedule.days & (1u << civil_wday(days))))
		return INT64_MIN;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	return tz_mktime(core_zone(c, ch->timezone), y, m, d, ch->schedule.secs);
}

static int64_t local_today(struct core *c, const struct st_channel *ch, int64_t now)
{
	struct civil cv;
	tz_local(core_zone(c, ch->timezone), now, &cv);
	return civil_to_days(cv.year, cv.month, cv.day);
}

int64_t round_last_slot(struct core *c, const struct st_channel *ch, int64_t now)
{
	int64_t today = local_today(c, ch, now);
	for (int k = 0; k >= -8; k--) {
		int64_t t = slot_at(c, ch, today, k);
		if (t != INT64_MIN && t <= now)
			return t;
	}
	return INT64_MIN;
}

int64_t round_next_slot(struct core *c, const struct st_channel *ch, int64_t now)
{
	int64_t today = local_today(c, ch, now);
	for (int k = 0; k <= 8; k++) {
		int64_t t = slot_at(c, ch, today, k);
		if (t != INT64_MIN && t > now)
			return t;
	}
	return INT64_MAX;
}

/* --- rotation ------------------------------------------------------------------- */

static bool in_topics(const char *topics, const char *topic)
{
	if (!*topics)
		return true;
	size_t n = strlen(topic);
	for (const char *p = topics; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, topic, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static bool in_pool(const struct st_channel *ch, const struct bank_question *q)
{
	return in_topics(ch->topics, q->topic) && q->difficulty >= ch->diff_min &&
	       q->difficulty <= ch->diff_max;
}

static int cmp_usage(const void *a, const void *b)
{
	return strcmp(((const struct st_usage *)a)->qid, ((const struct st_usage *)b)->qid);
}

/* Never-asked questions first (in a per-channel shuffled order), then the
 * least recently asked: no repeat until the pool is exhausted. */
static const struct bank_question *rotation_pick(struct core *c, const struct st_channel *ch,
                                                 const char *slot)
{
	struct st_usage *u = NULL;
	size_t nu = 0;
	if (store_question_usage(c->st, ch->id, &u, &nu) != SB_OK)
		return NULL;
	if (nu) /* u is NULL when nothing was asked yet */
		qsort(u, nu, sizeof *u, cmp_usage);
	const struct bank_question *best = NULL;
	int64_t best_last = 0;
	uint64_t best_h = 0;
	const struct bank *banks[2] = {c->bank, &c->added};
	for (int b = 0; b < 2; b++) {
		for (size_t i = 0; i < banks[b]->nq; i++) {
			const struct bank_question *q = &banks[b]->q[i];
			if (!in_pool(ch, q))
				continue;
			if (b == 1 && !core_added_in_workspace(c, q->id, ch->workspace))
				continue;
			struct st_usage key;
			snprintf(key.qid, sizeof key.qid, "%s", q->id);
			const struct st_usage *hit =
			    nu ? bsearch(&key, u, nu, sizeof *u, cmp_usage) : NULL;
			int64_t last = hit ? hit->last_asked : INT64_MIN;
			uint64_t h = mix(q->id, ch->ext_id, 0);
			if (!best || last < best_last || (last == best_last && h < best_h)) {
				best = q;
				best_last = last;
				best_h = h;
			}
		}
	}
	(void)slot;
	free(u);
	return best;
}

/* --- the question post ------------------------------------------------------------ */

static const char *topic_title(struct core *c, const char *slug)
{
	const struct bank_topic *t = bank_topic(c->bank, slug);
	return t ? t->title : slug;
}

void round_question_msg(struct core *c, const struct st_channel *ch, const struct st_round *r,
                        const struct bank_question *q, struct chat_msg *m)
{
	struct buf b;
	buf_init(&b, 64 * 1024);
	char t[96];
	snprintf(t, sizeof t, "Question of the day · %s · %s", topic_title(c, q->topic),
	         core_difficulty_name(q->difficulty));
	m->title = xstrdup(t);
	buf_printf(&b, "**%s**", q->prompt);
	if (*q->body)
		buf_printf(&b, "\n\n%s", q->body);
	for (size_t i = 0; i < q->nchoices; i++)
		buf_printf(&b, "%s**%c.** %s", i ? "\n" : "\n\n", (char)('A' + i), q->choices[i]);
	m->text = buf_take(&b);
	buf_free(&b);
	char when[96];
	core_fmt_time(c, ch->timezone, r->deadline, when, sizeof when);
	chat_msg_field(m, "Answer by", when);
	char id[CID_MAX + 1];
	if (q->correct < 0) {
		cid_format(&(struct cid){.verb = CID_ANSWER, .num = r->id}, id);
		chat_msg_button(m, "Answer", id, STYLE_PRIMARY);
	} else {
		for (size_t i = 0; i < q->nchoices; i++) {
			char label[2] = {(char)('A' + i), 0};
			cid_format(&(struct cid){.verb = CID_PICK, .num = r->id, .arg = (int)i},
			           id);
			chat_msg_button(m, label, id, STYLE_SECONDARY);
		}
	}
	if (q->nhints) {
		cid_format(&(struct cid){.verb = CID_HINT, .num = r->id}, id);
		char label[48];
		snprintf(label, sizeof label, "Hint (%+d points)", c->scoring.hint);
		chat_msg_button(m, c->scoring.hint ? label : "Hint", id, STYLE_SECONDARY);
	}
	if (q->correct >= 0)
		m->footer = xstrdup("Pick one; you can change it until the deadline.");
	else if (ch->answer_mode == ANSWER_THREAD)
		m->footer = xstrdup("Reply in this message's thread; your last reply counts.");
	else
		m->footer = xstrdup("Answers stay private until the reveal; you can edit until the "
		                    "deadline.");
}

static enum sb_rc post_question(struct core *c, const struct st_channel *ch, const char *slot,
                                int64_t scheduled_at, int64_t now, const struct bank_question *q,
                                struct st_round *out);

enum sb_rc round_post(struct core *c, const struct st_channel *ch, const char *slot,
                      int64_t scheduled_at, int64_t now, struct st_round *out)
{
	return post_question(c, ch, slot, scheduled_at, now, rotation_pick(c, ch, slot), out);
}

static enum sb_rc post_question(struct core *c, const struct st_channel *ch, const char *slot,
                                int64_t scheduled_at, int64_t now, const struct bank_question *q,
                                struct st_round *out)
{
	struct st_round r = {0};
	r.channel_id = ch->id;
	snprintf(r.slot, sizeof r.slot, "%s", slot);
	r.scheduled_at = scheduled_at;
	r.deadline = scheduled_at + ch->answer_window;
	r.review_end = r.deadline + ch->review_window;
	if (!q) {
		/* Recorded as skipped so the empty pool is reported once, not
		 * on every tick. */
		r.state = ROUND_SKIPPED;
		log_warn("no question in this channel's pool; the round is skipped", "channel=%s",
		         log_q(ch->ext_id));
		return store_round_create(c->st, &r);
	}
	snprintf(r.qid, sizeof r.qid, "%s", q->id);
	r.state = ROUND_OPEN;
	enum sb_rc rc = store_round_create(c->st, &r);
	if (rc != SB_OK)
		return rc;
	c->stats_tx.rounds++;
	struct action *a = core_new_post(c, ch, NULL);
	a->question_round = r.id;
	round_question_msg(c, ch, &r, q, &a->msg);
	rc = core_send(c, a, ch->id, r.id, "question", now);
	if (rc == SB_OK) {
		log_info("question posted", "channel=%s round=%" PRId64 " question=%s",
		         log_q(ch->ext_id), r.id, q->id);
		if (out)
			*out = r;
	}
	return rc;
}

/* --- reminders -------------------------------------------------------------------- */

static enum sb_rc remind(struct core *c, const struct st_channel *ch, struct st_round *r,
                         const struct bank_question *q, int64_t now)
{
	int64_t *ids = NULL;
	size_t n = 0;
	enum sb_rc rc = store_remind_members(c->st, ch->id, &ids, &n);
	for (size_t i = 0; rc == SB_OK && i < n; i++) {
		struct st_answer a;
		if (store_answer_get(c->st, r->id, ids[i], &a) == SB_OK) {
			store_answer_clear(&a);
			continue;
		}
		struct st_member m;
		rc = store_member_get(c->st, ids[i], &m);
		if (rc != SB_OK)
			break;
		struct action *act = core_new_dm(c, ch, m.ext_id);
		char left[32], when[96];
		core_fmt_left(r->deadline - now, left, sizeof left);
		core_fmt_time(c, ch->timezone, r->deadline, when, sizeof when);
		struct buf b;
		buf_init(&b, 8192);
		buf_printf(&b, "Today's question in **%s** closes in %s (%s):\n**%s**", ch->name,
		           left, when, q->prompt);
		act->msg.title = xstrdup("Reminder");
		act->msg.text = buf_take(&b);
		buf_free(&b);
		act->msg.footer = xstrdup("You get this because you turned on /study remind.");
		char id[CID_MAX + 1];
		if (q->correct < 0) {
			cid_format(&(struct cid){.verb = CID_ANSWER, .num = r->id}, id);
			chat_msg_button(&act->msg, "Answer", id, STYLE_PRIMARY);
		}
		rc = core_send(c, act, ch->id, r->id, "dm", now);
	}
	free(ids);
	if (rc != SB_OK)
		return rc;
	r->reminded = true;
	return store_round_update(c->st, r);
}

/* --- streaks ------------------------------------------------------------------------ */

#define STREAK_FREEZE_EVERY 7
#define STREAK_FREEZES_MAX  2

static bool answered_has(const int64_t *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

/* Consecutive rounds answered on time; every 7th earns a freeze (at most 2
 * held) that a missed round uses up instead of breaking the streak. Returns
 * through *bonus_streak the streak each answerer now has. */
static enum sb_rc update_streaks(struct core *c, const struct st_channel *ch,
                                 const struct st_round *r, const int64_t *answered, size_t n,
                                 int *streak_of)
{
	for (size_t i = 0; i < n; i++) {
		struct st_streak s;
		enum sb_rc rc = store_streak_get(c->st, answered[i], ch->id, &s);
		if (rc != SB_OK)
			return rc;
		s.member_id = answered[i];
		s.channel_id = ch->id;
		if (s.last_round_id != r->id) {
			s.current++;
			if (s.current > s.best)
				s.best = s.current;
			if (s.current % STREAK_FREEZE_EVERY == 0 && s.freezes < STREAK_FREEZES_MAX)
				s.freezes++;
			s.last_round_id = r->id;
			rc = store_streak_put(c->st, &s);
			if (rc != SB_OK)
				return rc;
		}
		streak_of[i] = s.current;
	}
	struct st_streak *all = NULL;
	size_t na = 0;
	enum sb_rc rc = store_streaks(c->st, ch->id, &all, &na);
	for (size_t i = 0; rc == SB_OK && i < na; i++) {
		struct st_streak *s = &all[i];
		if (answered_has(answered, n, s->member_id) || s->last_round_id == r->id ||
		    s->current == 0)
			continue;
		if (s->freezes > 0)
			s->freezes--;
		else
			s->current = 0;
		s->last_round_id = r->id;
		rc = store_streak_put(c->st, s);
	}
	free(all);
	return rc;
}

/* --- reveal ------------------------------------------------------------------------- */

struct labelled {
	size_t idx;
	uint64_t key;
};

static int cmp_labelled(const void *a, const void *b)
{
	const struct labelled *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void rate_buttons(struct chat_msg *m, int64_t answer_id)
{
	static const char *const labels[] = {"1", "2", "3", "4", "5"};
	char id[CID_MAX + 1];
	for (int s = 1; s <= 5; s++) {
		cid_format(&(struct cid){.verb = CID_RATE, .num = answer_id, .arg = s}, id);
		chat_msg_button(m, labels[s - 1], id, s >= 4 ? STYLE_SUCCESS : STYLE_SECONDARY);
	}
}

static void answer_card(struct core *c, const struct bank_question *q, const struct st_answer *a,
                        struct chat_msg *m)
{
	char label[8], t[64];
	core_label(a->label, label, sizeof label);
	snprintf(t, sizeof t, "Answer %s%s", label, a->late ? " (late)" : "");
	m->title = xstrdup(t);
	m->text = xstrdup(a->text ? a->text : "");
	if (q->nkey_points) {
		char kp[48];
		snprintf(kp, sizeof kp, "%d of %zu", a->kp_hits, q->nkey_points);
		chat_msg_field(m, "Key points covered", kp);
	}
	rate_buttons(m, a->id);
	(void)c;
}

static void key_points_text(const struct bank_question *q, struct buf *b)
{
	for (size_t i = 0; i < q->nkey_points; i++) {
		char d[BANK_KEYPOINT_MAX * 4 + 1];
		kp_display(q->key_points[i], d, sizeof d);
		/* Points written as code already carry their backticks. */
		buf_printf(b, strchr(d, '`') ? "%s%s" : "%s`%s`", i ? " · " : "", d);
	}
}

static enum sb_rc assign_reviews(struct core *c, const struct st_channel *ch,
                                 const struct st_round *r, const struct bank_question *q,
                                 struct st_answer *ans, size_t n, int64_t now);

static enum sb_rc score_answer(struct core *c, const struct st_channel *ch,
                               const struct st_round *r, const struct bank_question *q,
                               const struct st_answer *a, int streak, int64_t now)
{
	const struct cfg_scoring *s = &c->scoring;
	enum sb_rc rc = SB_OK;
	if (q->correct >= 0) {
		if (a->choice == q->correct)
			rc = core_points(c, ch, a->member_id, r->id, s->mcq, "mcq", q->topic, now);
	} else {
		rc = core_points(c, ch, a->member_id, r->id, s->answer, "answer", q->topic, now);
		if (rc == SB_OK && q->nkey_points && (size_t)a->kp_hits * 2 >= q->nkey_points)
			rc = core_points(c, ch, a->member_id, r->id, s->key_points, "key_points",
			                 q->topic, now);
	}
	int bonus = (streak < s->streak_cap ? streak : s->streak_cap) * s->streak;
	if (rc == SB_OK)
		rc = core_points(c, ch, a->member_id, r->id, bonus, "streak", q->topic, now);
	return rc;
}

enum sb_rc core_card_review(struct core *c, int64_t member, const char *qid, int quality,
                            int64_t now)
{
	struct st_card card;
	struct srs_card sc;
	if (store_card_get(c->st, member, qid, &card) == SB_OK) {
		sc = (struct srs_card){card.ef, card.reps, card.interval_days, card.due};
	} else {
		memset(&card, 0, sizeof card);
		card.member_id = member;
		snprintf(card.qid, sizeof card.qid, "%s", qid);
		srs_card_new(&sc, now);
	}
	srs_review(&sc, quality, now);
	card.ef = sc.ef;
	card.reps = sc.reps;
	card.interval_days = sc.interval_days;
	card.due = sc.due;
	card.last_q = quality;
	return store_card_put(c->st, &card);
}

static enum sb_rc reveal_choice(struct core *c, const struct st_channel *ch, struct st_round *r,
                                const struct bank_question *q, struct st_answer *ans, size_t n,
                                int64_t now)
{
	int votes[BANK_CHOICES_MAX] = {0}, total = 0, right = 0;
	for (size_t i = 0; i < n; i++) {
		if (ans[i].late || ans[i].choice < 0 || (size_t)ans[i].choice >= q->nchoices)
			continue;
		votes[ans[i].choice]++;
		total++;
		right += ans[i].choice == q->correct;
	}
	struct action *a = core_new_post(c, ch, r->message_id);
	struct buf b;
	buf_init(&b, 64 * 1024);
	buf_printf(&b, "The right answer is **%c.** %s\n\n", (char)('A' + q->correct),
	           q->choices[q->correct]);
	for (size_t i = 0; i < q->nchoices; i++) {
		int pct = total ? (votes[i] * 100 + total / 2) / total : 0;
		buf_printf(&b, "**%c.** %s: %d vote%s (%d%%)%s\n", (char)('A' + i), q->choices[i],
		           votes[i], votes[i] == 1 ? "" : "s", pct,
		           (int)i == q->correct ? " ✓" : "");
		(void)pct;
	}
	buf_printf(&b, "\n%d of %d got it right.\n\n%s", right, total, q->answer);
	a->msg.title = xstrdup("Reveal");
	a->msg.text = buf_take(&b);
	buf_free(&b);
	enum sb_rc rc = core_send(c, a, ch->id, r->id, "reveal", now);
	r->state = ROUND_CLOSED;
	return rc;
}

static enum sb_rc reveal(struct core *c, const struct st_channel *ch, struct st_round *r,
                         const struct bank_question *q, int64_t now)
{
	struct st_answer *ans = NULL;
	size_t n = 0;
	enum sb_rc rc = store_answers(c->st, r->id, &ans, &n);
	if (rc != SB_OK)
		return rc;
	int64_t *ontime = xcalloc(n + 1, sizeof *ontime);
	int *streak = xcalloc(n + 1, sizeof *streak);
	size_t non = 0;
	for (size_t i = 0; i < n; i++)
		if (!ans[i].late)
			ontime[non++] = ans[i].member_id;
	rc = update_streaks(c, ch, r, ontime, non, streak);

	if (rc == SB_OK && q->correct >= 0) {
		rc = reveal_choice(c, ch, r, q, ans, n, now);
		for (size_t i = 0, k = 0; rc == SB_OK && i < n; i++) {
			if (ans[i].late)
				continue;
			rc = score_answer(c, ch, r, q, &ans[i], streak[k++], now);
			if (rc == SB_OK)
				rc = core_card_review(
				    c, ans[i].member_id, q->id,
				    srs_quality_from_choice(ans[i].choice == q->correct), now);
		}
		goto out;
	}

	/* Labels in a shuffled order, so "Answer A" is not "whoever was first". */
	struct labelled *order = xcalloc(n + 1, sizeof *order);
	for (size_t i = 0; i < n; i++)
		order[i] = (struct labelled){i, mix(r->slot, NULL, ans[i].id)};
	qsort(order, n, sizeof *order, cmp_labelled);
	for (size_t k = 0; rc == SB_OK && k < n; k++) {
		struct st_answer *a = &ans[order[k].idx];
		a->label = (int)k + 1;
		a->kp_hits =
		    (int)kp_coverage(a->text ? a->text : "", q->key_points, q->nkey_points, NULL);
		rc = store_answer_set_label(c->st, a->id, a->label, a->kp_hits);
	}

	struct action *head = core_new_post(c, ch, r->message_id);
	struct buf b;
	buf_init(&b, 64 * 1024);
	buf_printf(&b, "**%s**\n\n**Model answer**\n%s", q->prompt, q->answer);
	if (q->nkey_points) {
		buf_adds(&b, "\n\n**Key points:** ");
		key_points_text(q, &b);
	}
	head->msg.title = xstrdup(n ? "Time's up: the answers" : "Time's up");
	head->msg.text = buf_take(&b);
	buf_free(&b);
	char when[96];
	core_fmt_time(c, ch->timezone, r->review_end, when, sizeof when);
	struct buf f;
	buf_init(&f, 1024);
	if (n)
		buf_printf(&f,
		           "%zu answer%s below, anonymised. Rate each 1-5 until %s; ratings stay "
		           "hidden until then.",
		           n, n == 1 ? "" : "s", when);
	else
		buf_adds(&f, "Nobody answered this one. There is always tomorrow.");
	head->msg.footer = buf_take(&f);
	buf_free(&f);
	if (rc == SB_OK)
		rc = core_send(c, head, ch->id, r->id, "reveal", now);
	for (size_t k = 0; rc == SB_OK && k < n; k++) {
		struct st_answer *a = &ans[order[k].idx];
		struct action *card = core_new_post(c, ch, r->message_id);
		answer_card(c, q, a, &card->msg);
		rc = core_send(c, card, ch->id, r->id, "reveal", now);
	}
	free(order);
	for (size_t i = 0, k = 0; rc == SB_OK && i < n; i++) {
		if (ans[i].late)
			continue;
		rc = score_answer(c, ch, r, q, &ans[i], streak[k++], now);
	}
	if (rc == SB_OK)
		rc = assign_reviews(c, ch, r, q, ans, n, now);
	r->state = n ? ROUND_REVIEW : ROUND_CLOSED;
out:
	free(ontime);
	free(streak);
	store_answers_free(ans, n);
	if (rc == SB_OK)
		rc = store_round_update(c->st, r);
	if (rc == SB_OK)
		log_info("round revealed", "round=%" PRId64 " answers=%zu", r->id, n);
	return rc;
}

/* Each member who answered is handed up to two answers (not their own)
 * with the fewest ratings and assignments so far, so every answer gets
 * read. */
#define REVIEWS_PER_MEMBER 2

static enum sb_rc assign_reviews(struct core *c, const struct st_channel *ch,
                                 const struct st_round *r, const struct bank_question *q,
                                 struct st_answer *ans, size_t n, int64_t now)
{
	if (n < 2)
		return SB_OK;
	int *load = xcalloc(n, sizeof *load);
	enum sb_rc rc = SB_OK;
	for (size_t i = 0; rc == SB_OK && i < n; i++) {
		if (ans[i].late)
			continue;
		struct st_member m;
		rc = store_member_get(c->st, ans[i].member_id, &m);
		unsigned char *taken = xcalloc(n, 1);
		for (int k = 0; rc == SB_OK && k < REVIEWS_PER_MEMBER; k++) {
			size_t best = n;
			for (size_t j = 0; j < n; j++) {
				if (j == i || taken[j])
					continue;
				if (best == n || load[j] < load[best])
					best = j;
			}
			if (best == n)
				break;
			taken[best] = 1;
			load[best]++;
			rc = store_review_assign(c->st, r->id, ans[i].member_id, ans[best].id, now);
			if (rc != SB_OK)
				break;
			struct action *dm = core_new_dm(c, ch, m.ext_id);
			answer_card(c, q, &ans[best], &dm->msg);
			char t[128];
			snprintf(t, sizeof t, "Please review: %s", dm->msg.title);
			free(dm->msg.title);
			dm->msg.title = xstrdup(t);
			struct buf f;
			buf_init(&f, 2048);
			buf_printf(
			    &f,
			    "From %s: \"%s\". Your rating stays private; you earn %d point%s "
			    "per rating (up to %d a round).",
			    ch->name, q->prompt, c->scoring.review,
			    c->scoring.review == 1 ? "" : "s", c->scoring.review_cap);
			dm->msg.footer = buf_take(&f);
			buf_free(&f);
			rc = core_send(c, dm, ch->id, r->id, "dm", now);
		}
		free(taken);
	}
	free(load);
	return rc;
}

/* --- results ------------------------------------------------------------------------ */

static int cmp_sum(const void *a, const void *b)
{
	const struct st_rating_sum *x = a, *y = b;
	if (x->count && !y->count)
		return -1;
	if (!x->count && y->count)
		return 1;
	if (x->avg != y->avg)
		return x->avg > y->avg ? -1 : 1;
	if (x->count != y->count)
		return y->count - x->count;
	return x->answer_id < y->answer_id ? -1 : x->answer_id > y->answer_id;
}

static enum sb_rc results(struct core *c, const struct st_channel *ch, struct st_round *r,
                          const struct bank_question *q, int64_t now)
{
	struct st_rating_sum *sum = NULL;
	size_t n = 0;
	enum sb_rc rc = store_rating_summary(c->st, r->id, &sum, &n);
	if (rc != SB_OK)
		return rc;
	if (n)
		qsort(sum, n, sizeof *sum, cmp_sum);
	struct buf b;
	buf_init(&b, 64 * 1024);
	for (size_t i = 0; rc == SB_OK && i < n; i++) {
		struct st_answer a;
		struct st_member m;
		rc = store_answer_by_id(c->st, sum[i].answer_id, &a);
		if (rc != SB_OK)
			break;
		rc = store_member_get(c->st, a.member_id, &m);
		if (rc != SB_OK) {
			store_answer_clear(&a);
			break;
		}
		char label[16] = "Late answer";
		if (a.label) {
			memcpy(label, "Answer ", 7);
			core_label(a.label, label + 7, sizeof label - 7);
		}
		const char *name = m.name[0] ? m.name : "someone";
		if (sum[i].count)
			buf_printf(&b, "%s**%s**: %s · %.1f/5 from %d rating%s", i == 0 ? "🏆 " : "",
			           label, name, sum[i].avg, sum[i].count,
			           sum[i].count == 1 ? "" : "s");
		else
			buf_printf(&b, "**%s**: %s · no ratings", label, name);
		if (q->nkey_points)
			buf_printf(&b, " · %d/%zu key points", a.kp_hits, q->nkey_points);
		buf_printf(&b, "%s\n", a.late && a.label ? " · late" : "");
		/* Peer points: 5/5 earns peer_max, 1/5 earns nothing, linear between. */
		if (sum[i].count) {
			int pts = (int)lround(c->scoring.peer_max * (sum[i].avg - 1.0) / 4.0);
			rc = core_points(c, ch, a.member_id, r->id, pts, "peer", q->topic, now);
		}
		if (rc == SB_OK)
			rc = core_card_review(
			    c, a.member_id, q->id,
			    srs_quality_from_rating(sum[i].avg, sum[i].count > 0, !a.late), now);
		store_answer_clear(&a);
	}
	free(sum);
	if (rc != SB_OK) {
		buf_free(&b);
		return rc;
	}
	struct action *act = core_new_post(c, ch, r->message_id);
	act->msg.title = xstrdup("Results");
	act->msg.text = buf_take(&b);
	buf_free(&b);
	act->msg.footer = xstrdup("Points are in: /study leaderboard, /study stats.");
	rc = core_send(c, act, ch->id, r->id, "results", now);
	r->state = ROUND_CLOSED;
	if (rc == SB_OK)
		rc = store_round_update(c->st, r);
	return rc;
}

/* --- weekly recap ------------------------------------------------------------------- */

static enum sb_rc recap(struct core *c, const struct st_channel *ch, int64_t now)
{
	const struct tz *z = core_zone(c, ch->timezone);
	struct civil cv;
	tz_local(z, now, &cv);
	if (cv.wday != 0 || cv.hour * 3600 + cv.min * 60 + cv.sec < ch->schedule.secs)
		return SB_OK;
	int64_t monday = civil_to_days(cv.year, cv.month, cv.day);
	int y, m, d;
	civil_from_days(monday - 7, &y, &m, &d);
	char key[40], period[16];
	snprintf(key, sizeof key, "recap:%04d-%02d-%02d", y % 10000, m % 100, d % 100);
	snprintf(period, sizeof period, "w%04d-%02d-%02d", y % 10000, m % 100, d % 100);
	bool first = false;
	enum sb_rc rc = store_once(c->st, ch->id, key, now, &first);
	if (rc != SB_OK || !first)
		return rc;
	struct buf b;
	buf_init(&b, 64 * 1024);
	rc = core_leaderboard_text(c, ch, period, "", 0, &b);
	if (rc != SB_OK || b.len == 0) {
		buf_free(&b); /* a quiet week gets no recap */
		return rc;
	}
	struct action *a = core_new_post(c, ch, NULL);
	char title[64];
	snprintf(title, sizeof title, "Weekly recap: week of %04d-%02d-%02d", y, m, d);
	a->msg.title = xstrdup(title);
	a->msg.text = buf_take(&b);
	struct st_streak *s = NULL;
	size_t ns = 0;
	rc = store_streaks(c->st, ch->id, &s, &ns);
	for (size_t i = 0; rc == SB_OK && i < ns && i < 3 && s[i].current > 0; i++) {
		struct st_member mem;
		if (store_member_get(c->st, s[i].member_id, &mem) == SB_OK)
			buf_printf(&b, "%s: %d round%s\n", mem.name[0] ? mem.name : "someone",
			           s[i].current, s[i].current == 1 ? "" : "s");
	}
	free(s);
	if (b.len)
		chat_msg_field(&a->msg, "Longest streaks", buf_str(&b));
	buf_reset(&b);
	int64_t from = tz_mktime(z, y, m, d, 0), to = from + 7 * DAY + 2 * 3600;
	struct st_best best[3];
	size_t nb = 0;
	if (rc == SB_OK)
		rc = store_best_answers(c->st, ch->id, from, to, 3, best, &nb);
	for (size_t i = 0; rc == SB_OK && i < nb; i++) {
		const struct bank_question *q = core_question(c, best[i].qid);
		buf_printf(&b, "%s, %.1f/5 on \"%s\"\n", best[i].name[0] ? best[i].name : "someone",
		           best[i].avg, q ? q->prompt : best[i].qid);
	}
	if (b.len)
		chat_msg_field(&a->msg, "Best-rated answers", buf_str(&b));
	buf_free(&b);
	if (rc == SB_OK)
		rc = core_send(c, a, ch->id, 0, "recap", now);
	return rc;
}

/* --- the tick -------------------------------------------------------------------- */

static enum sb_rc advance(struct core *c, struct st_round *r, int64_t now)
{
	struct st_channel ch;
	enum sb_rc rc = store_channel_by_id(c->st, r->channel_id, &ch);
	if (rc != SB_OK)
		return rc;
	const struct bank_question *q = core_question(c, r->qid);
	if (!q) {
		log_warn("a round's question left the bank; the round is closed",
		         "round=%" PRId64 " question=%s", r->id, r->qid);
		r->state = ROUND_CLOSED;
		return store_round_update(c->st, r);
	}
	if (r->state == ROUND_OPEN && !r->reminded && ch.remind_before > 0 && now < r->deadline &&
	    now >= r->deadline - ch.remind_before) {
		rc = remind(c, &ch, r, q, now);
		if (rc != SB_OK)
			return rc;
	}
	if (r->state == ROUND_OPEN && now >= r->deadline)
		rc = reveal(c, &ch, r, q, now);
	if (rc == SB_OK && r->state == ROUND_REVIEW && now >= r->review_end)
		rc = results(c, &ch, r, q, now);
	return rc;
}

enum sb_rc round_tick(struct core *c, int64_t now)
{
	struct st_channel *chs = NULL;
	size_t nch = 0;
	enum sb_rc rc = store_channels(c->st, &chs, &nch);
	for (size_t i = 0; rc == SB_OK && i < nch; i++) {
		struct st_channel *ch = &chs[i];
		rc = recap(c, ch, now);
		if (rc != SB_OK || ch->paused)
			continue;
		/* Only the latest slot is considered: after downtime the bot
		 * catches up once if its window is still open, never a backlog. */
		int64_t last = round_last_slot(c, ch, now);
		if (last == INT64_MIN || now >= last + ch->answer_window)
			continue;
		char slot[16];
		round_slot(c, ch, last, slot);
		struct st_round r;
		rc = store_round_by_slot(c->st, ch->id, slot, &r);
		if (rc == SB_ERR_NOTFOUND)
			rc = round_post(c, ch, slot, last, now, NULL);
	}
	free(chs);
	struct st_round *act = NULL;
	size_t na = 0;
	if (rc == SB_OK)
		rc = store_rounds_active(c->st, &act, &na);
	for (size_t i = 0; rc == SB_OK && i < na; i++)
		rc = advance(c, &act[i], now);
	free(act);
	return rc;
}

int64_t core_next_wake(struct core *c, int64_t now)
{
	int64_t next = now + 3600; /* the recap and config changes are looked at hourly */
	struct st_channel *chs = NULL;
	size_t nch = 0;
	if (store_channels(c->st, &chs, &nch) == SB_OK) {
		for (size_t i = 0; i < nch; i++) {
			if (chs[i].paused)
				continue;
			int64_t t = round_next_slot(c, &chs[i], now);
			if (t < next)
				next = t;
		}
	}
	struct st_round *act = NULL;
	size_t na = 0;
	if (store_rounds_active(c->st, &act, &na) == SB_OK) {
		for (size_t i = 0; i < na; i++) {
			int64_t t =
			    act[i].state == ROUND_OPEN ? act[i].deadline : act[i].review_end;
			if (act[i].state == ROUND_OPEN && !act[i].reminded) {
				for (size_t k = 0; k < nch; k++)
					if (chs[k].id == act[i].channel_id &&
					    chs[k].remind_before > 0 &&
					    act[i].deadline - chs[k].remind_before > now)
						t = act[i].deadline - chs[k].remind_before;
			}
			if (t < next)
				next = t;
		}
	}
	free(act);
	free(chs);
	return next > now ? next : now + 1;
}

enum sb_rc round_free_slot(struct core *c, const struct st_channel *ch, int64_t now,
                           char slot[ST_SLOT_MAX + 1])
{
	char day[16];
	round_slot(c, ch, now, day);
	for (int i = 1; i < 100; i++) {
		if (i == 1)
			snprintf(slot, ST_SLOT_MAX + 1, "%s", day);
		else
			snprintf(slot, ST_SLOT_MAX + 1, "%s#%d", day, i);
		struct st_round r;
		enum sb_rc rc = store_round_by_slot(c->st, ch->id, slot, &r);
		if (rc == SB_ERR_NOTFOUND)
			return SB_OK;
		if (rc != SB_OK)
			return rc;
	}
	return SB_ERR_TOOBIG;
}

static enum sb_rc post_now(struct core *c, const void *arg, int64_t now)
{
	const char *const *a = arg;
	struct st_channel ch;
	enum sb_rc rc = store_channel_get(c->st, a[0], &ch);
	if (rc != SB_OK)
		return rc;
	const struct bank_question *q = a[1] ? core_question(c, a[1]) : rotation_pick(c, &ch, "");
	if (!q)
		return SB_ERR_NOTFOUND;
	char slot[ST_SLOT_MAX + 1];
	rc = round_free_slot(c, &ch, now, slot);
	if (rc != SB_OK)
		return rc;
	return post_question(c, &ch, slot, now, now, q, NULL);
}

enum sb_rc core_post_now(struct core *c, const char *channel, const char *qid, int64_t now)
{
	const char *arg[2] = {channel, qid};
	return core_run(c, post_now, arg, now);
}
