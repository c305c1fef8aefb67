#include "core_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

enum sb_rc core_init(struct core *c, struct store *st, const struct bank *b,
                     const struct cfg_scoring *scoring, size_t answer_max, int64_t now)
{
	memset(c, 0, sizeof *c);
	c->st = st;
	c->bank = b;
	c->scoring = *scoring;
	c->answer_max = answer_max;
	c->platform = "console";
	c->nonce_salt = now;
	bank_init(&c->added);
	enum sb_rc rc = store_questions_sync(st, b, now);
	if (rc != SB_OK) {
		log_error("could not record the question bank", "error=%s",
		          log_q(store_errmsg(st)));
		return rc;
	}
	return core_load_added(c);
}

void core_free(struct core *c)
{
	for (size_t i = 0; i < c->nzones; i++) {
		free(c->zones[i].name);
		tz_free(c->zones[i].tz);
	}
	bank_free(&c->added);
	free(c->added_ws);
	actions_free(&c->out);
	memset(c, 0, sizeof *c);
}

const struct tz *core_zone(struct core *c, const char *name)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (strcmp(c->zones[i].name, name) == 0)
			return c->zones[i].tz;
	struct tz *z = NULL;
	if (tz_load(name, &z) != SB_OK) {
		log_warn("unknown time zone, using UTC", "zone=%s", log_q(name));
		if (tz_load("UTC", &z) != SB_OK)
			return NULL;
	}
	if (c->nzones == CORE_MAX_ZONES) {
		/* More zones than any group uses: recycle the oldest slot. */
		free(c->zones[0].name);
		tz_free(c->zones[0].tz);
		memmove(&c->zones[0], &c->zones[1], (CORE_MAX_ZONES - 1) * sizeof c->zones[0]);
		c->nzones--;
	}
	c->zones[c->nzones].name = xstrdup(name);
	c->zones[c->nzones].tz = z;
	return c->zones[c->nzones++].tz;
}

/* Added questions live in their own bank so that every round, reveal and
 * practice card treats them exactly like the bundled ones. The store lists
 * them per workspace: those of every workspace with a channel, and of none. */
enum sb_rc core_load_added(struct core *c)
{
	/* Every workspace's: rotation filters by the channel's workspace. */
	struct st_question *q = NULL;
	size_t n = 0;
	enum sb_rc rc = store_questions_added(c->st, NULL, &q, &n);
	if (rc != SB_OK)
		return rc;
	bank_free(&c->added);
	bank_init(&c->added);
	free(c->added_ws);
	c->added_ws = n ? xcalloc(n, sizeof *c->added_ws) : NULL;
	c->nadded = n;
	for (size_t i = 0; i < n; i++) {
		memcpy(c->added_ws[i].qid, q[i].qid, sizeof q[i].qid);
		memcpy(c->added_ws[i].workspace, q[i].workspace, sizeof q[i].workspace);
	}
	struct buf md;
	buf_init(&md, 16 * 1024 * 1024);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(q[j].topic, q[i].topic) == 0;
		if (seen)
			continue; /* already in its topic's file */
		for (size_t t = i; t < n; t++) {
			if (strcmp(q[t].topic, q[i].topic) != 0)
				continue;
			buf_printf(&md, "## %s\nid: %s\ndifficulty: %d\n\n", q[t].prompt, q[t].qid,
			           q[t].difficulty);
			if (q[t].body && *q[t].body)
				buf_printf(&md, "%s\n\n", q[t].body);
			buf_printf(&md, "### Answer\n%s\n\n", q[t].answer);
			const char *lists[2] = {q[t].hints, q[t].key_points};
			const char *heads[2] = {"Hints", "Key points"};
			for (int k = 0; k < 2; k++) {
				if (!lists[k] || !*lists[k])
					continue;
				buf_printf(&md, "### %s\n", heads[k]);
				for (const char *p = lists[k]; *p;) {
					size_t len = strcspn(p, "\n");
					if (len)
						buf_printf(&md, "- %.*s\n", (int)len, p);
					p += len + (p[len] == '\n');
				}
				buf_adds(&md, "\n");
			}
		}
		/* One pseudo-file per topic keeps the bank's "topic = file" rule. */
		char path[128];
		snprintf(path, sizeof path, "added/%s.md", q[i].topic);
		struct diags d = {0};
		char *doc = NULL;
		size_t len = md.len;
		doc = buf_take(&md);
		char *full = xmalloc(len + 64);
		int hl = snprintf(full, 64, "# %s\n\n", q[i].topic);
		memcpy(full + hl, doc, len + 1);
		if (bank_parse(&c->added, path, full, (size_t)hl + len, &d) != SB_OK)
			log_warn("an added question no longer parses; it is left out", "topic=%s",
			         log_q(q[i].topic));
		diags_free(&d);
		free(doc);
		free(full);
	}
	buf_free(&md);
	store_questions_free(q, n);
	struct diags d = {0};
	if (c->added.nq)
		bank_finish(&c->added, &d);
	diags_free(&d);
	return SB_OK;
}

bool core_added_in_workspace(struct core *c, const char *qid, const char *workspace)
{
	for (size_t i = 0; i < c->nadded; i++)
		if (strcmp(c->added_ws[i].qid, qid) == 0)
			return strcmp(c->added_ws[i].workspace, workspace) == 0;
	return false;
}

const struct bank_question *core_question(struct core *c, const char *qid)
{
	const struct bank_question *q = bank_find(c->bank, qid);
	if (!q && c->added.nq)
		q = bank_find(&c->added, qid);
	return q;
}

enum sb_rc core_member(struct core *c, const struct event *ev, int64_t *id)
{
	if (!ev->user || !*ev->user || strlen(ev->user) > ST_ID_MAX)
		return SB_ERR_INVALID;
	char name[4 * ST_NAME_MAX + 1] = "";
	if (ev->user_name)
		snprintf(name, sizeof name, "%s", ev->user_name);
	return store_member(c->st, ev->user, ev->user_name ? name : NULL, id);
}

struct action *core_reply(struct core *c, const char *fmt, ...)
{
	struct action *a = actions_push(&c->out, ACT_REPLY);
	struct buf b;
	buf_init(&b, 64 * 1024);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	a->msg.text = buf_take(&b);
	buf_free(&b);
	return a;
}

struct action *core_invalid(struct core *c, const char *input, const char *fmt, ...)
{
	struct action *a = actions_push(&c->out, ACT_REPLY);
	struct buf b;
	buf_init(&b, 1024);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	a->msg.text = buf_take(&b);
	buf_free(&b);
	a->invalid_input = xstrdup(input);
	return a;
}

struct action *core_new_post(struct core *c, const struct st_channel *ch, const char *thread_of)
{
	struct action *a = actions_push(&c->out, ACT_POST);
	a->channel = xstrdup(ch->ext_id);
	if (thread_of && *thread_of)
		a->thread_of = xstrdup(thread_of);
	return a;
}

struct action *core_new_dm(struct core *c, const struct st_channel *ch, const char *user)
{
	struct action *a = actions_push(&c->out, ACT_DM);
	a->channel = xstrdup(ch->ext_id);
	a->user = xstrdup(user);
	return a;
}

void core_drop_last(struct core *c)
{
	if (c->out.n > c->committed)
		actions_truncate(&c->out, c->out.n - 1);
}

enum sb_rc core_send(struct core *c, struct action *act, int64_t channel_id, int64_t round_id,
                     const char *kind, int64_t now)
{
	struct st_outbox o = {0};
	o.channel_id = channel_id;
	o.round_id = round_id;
	snprintf(o.kind, sizeof o.kind, "%s", kind);
	o.created_at = now;
	o.payload = action_to_json(act);
	enum sb_rc rc;
	/* Discord takes nonces of up to 25 characters; the salt (start time)
	 * keeps two runs apart and a retry covers the rare clash. */
	for (int tries = 0;; tries++) {
		snprintf(o.nonce, sizeof o.nonce, "%" PRIx64 "-%lx", (uint64_t)c->nonce_salt,
		         ++c->nonce_seq);
		rc = store_outbox_add(c->st, &o);
		if (rc != SB_ERR_INVALID || tries == 3)
			break;
		c->nonce_salt++;
	}
	free(o.payload);
	if (rc != SB_OK)
		return rc;
	act->outbox_id = o.id;
	act->nonce = xstrdup(o.nonce);
	return SB_OK;
}

enum sb_rc core_delivered(struct core *c, const struct action *act, const char *message_id,
                          int64_t now)
{
	if (!act->outbox_id)
		return SB_OK;
	enum sb_rc rc = store_begin(c->st);
	if (rc != SB_OK)
		return rc;
	rc = store_outbox_done(c->st, act->outbox_id, message_id, now);
	if (rc == SB_OK && act->question_round && message_id && *message_id) {
		struct st_round r;
		rc = store_round_get(c->st, act->question_round, &r);
		if (rc == SB_OK) {
			snprintf(r.message_id, sizeof r.message_id, "%s", message_id);
			rc = store_round_update(c->st, &r);
		}
	}
	if (rc != SB_OK) {
		store_rollback(c->st);
		return rc;
	}
	return store_commit(c->st);
}

enum sb_rc core_resend_pending(struct core *c)
{
	struct st_outbox *o = NULL;
	size_t n = 0;
	enum sb_rc rc = store_outbox_pending(c->st, &o, &n);
	if (rc != SB_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct action tmp;
		if (action_from_json(o[i].payload, &tmp) != SB_OK) {
			log_error("an unsendable message in the outbox is skipped",
			          "outbox=%" PRId64, o[i].id);
			continue;
		}
		struct action *a = actions_push(&c->out, tmp.type);
		*a = tmp;
		a->outbox_id = o[i].id;
		a->nonce = xstrdup(o[i].nonce);
		/* The question message may have been posted since the reveal was
		 * built; threading it there is still right. */
		if (a->type == ACT_POST && !a->thread_of && o[i].round_id &&
		    strcmp(o[i].kind, "question") != 0) {
			struct st_round r;
			if (store_round_get(c->st, o[i].round_id, &r) == SB_OK && r.message_id[0])
				a->thread_of = xstrdup(r.message_id);
		}
	}
	store_outbox_free(o, n);
	c->committed = c->out.n;
	return SB_OK;
}

/* --- counts for /metrics --------------------------------------------------------- */

/* What the transaction counted becomes true once it is committed. */
static void stats_commit(struct core *c)
{
	c->stats.rounds += c->stats_tx.rounds;
	c->stats.answers += c->stats_tx.answers;
	c->stats.ratings += c->stats_tx.ratings;
	memset(&c->stats_tx, 0, sizeof c->stats_tx);
}

void core_get_stats(const struct core *c, struct core_stats *out)
{
	*out = c->stats;
}

/* One transaction per event; in a batch, one savepoint per event. */
static enum sb_rc run_in_tx(struct core *c, enum sb_rc (*fn)(struct core *, const void *, int64_t),
                            const void *arg, int64_t now, bool reply_on_error)
{
	size_t mark = c->out.n;
	struct core_stats counted = c->stats_tx;
	enum sb_rc rc = store_begin(c->st);
	if (rc == SB_OK) {
		rc = fn(c, arg, now);
		if (rc == SB_OK)
			rc = store_commit(c->st);
		else
			store_rollback(c->st);
	}
	if (rc != SB_OK) {
		actions_truncate(&c->out, mark);
		c->stats_tx = counted;
		log_error("an event could not be recorded; nothing of it was kept",
		          "error=%s rc=%s", log_q(store_errmsg(c->st)), sb_strerror(rc));
		if (reply_on_error)
			core_reply(c, "Sorry, that could not be recorded, so nothing was saved. "
			              "Please try again in a moment.");
	}
	if (c->batch == 0) {
		c->committed = c->out.n;
		stats_commit(c);
	}
	return rc;
}

enum sb_rc core_run(struct core *c, enum sb_rc (*fn)(struct core *, const void *, int64_t),
                    const void *arg, int64_t now)
{
	return run_in_tx(c, fn, arg, now, false);
}

static enum sb_rc handle_event(struct core *c, const void *arg, int64_t now)
{
	const struct event *ev = arg;
	switch (ev->type) {
	case EV_COMMAND:
		return core_on_command(c, ev, now);
	case EV_BUTTON:
		return core_on_button(c, ev, now);
	case EV_FORM:
		return core_on_form(c, ev, now);
	case EV_MESSAGE:
		return core_on_message(c, ev, now);
	}
	return SB_ERR_INVALID;
}

enum sb_rc core_handle(struct core *c, const struct event *ev, int64_t now)
{
	/* Events carrying no member or channel are dropped here, with a log
	 * line, before anything is written. */
	if (!ev->user || !*ev->user || !ev->channel || !*ev->channel) {
		log_warn("event without a member or channel ignored", "type=%d", (int)ev->type);
		return SB_ERR_INVALID;
	}
	size_t mark = c->out.n;
	enum sb_rc rc = run_in_tx(c, handle_event, ev, now, ev->type != EV_MESSAGE);
	for (size_t i = mark; i < c->out.n; i++)
		if (c->out.v[i].type == ACT_REPLY || c->out.v[i].type == ACT_FORM)
			c->out.v[i].reply_to = ev->tag;
	return rc;
}

void core_batch_begin(struct core *c)
{
	if (c->batch++ == 0 && store_begin(c->st) != SB_OK)
		log_error("could not open a batch", "error=%s", log_q(store_errmsg(c->st)));
}

enum sb_rc core_batch_end(struct core *c)
{
	if (c->batch == 0 || --c->batch > 0)
		return SB_OK;
	enum sb_rc rc = store_commit(c->st);
	if (rc != SB_OK) {
		/* A failed commit has already undone the batch (store.h): nothing
		 * of it is durable, so nothing of it may be said. */
		actions_truncate(&c->out, c->committed);
		memset(&c->stats_tx, 0, sizeof c->stats_tx);
		return rc;
	}
	c->committed = c->out.n;
	stats_commit(c);
	return SB_OK;
}

size_t core_take_actions(struct core *c, struct actions *out)
{
	size_t n = c->committed;
	for (size_t i = 0; i < n; i++) {
		struct action *a = actions_push(out, c->out.v[i].type);
		*a = c->out.v[i];
	}
	/* The moved actions' strings now belong to out. */
	if (c->out.n > n)
		memmove(c->out.v, c->out.v + n, (c->out.n - n) * sizeof *c->out.v);
	c->out.n -= n;
	c->committed = 0;
	return n;
}

/* --- time and text helpers ---------------------------------------------------- */

static const char *const wdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void core_fmt_time(struct core *c, const char *zone, int64_t t, char *out, size_t n)
{
	struct civil cv;
	tz_local(core_zone(c, zone), t, &cv);
	snprintf(out, n, "%s %d %s, %02d:%02d (%s)", wdays[cv.wday], cv.day, months[cv.month - 1],
	         cv.hour, cv.min, zone);
}

void core_fmt_left(int64_t secs, char *out, size_t n)
{
	if (secs < 0)
		secs = 0;
	long d = (long)(secs / DAY), h = (long)(secs % DAY / 3600), m = (long)(secs % 3600 / 60);
	if (d)
		snprintf(out, n, "%ldd %ldh", d, h);
	else if (h)
		snprintf(out, n, "%ldh %02ldm", h, m);
	else if (m)
		snprintf(out, n, "%ldm", m);
	else
		snprintf(out, n, "%lds", (long)secs);
}

void core_label(int label, char *out, size_t n)
{
	char tmp[8];
	int len = 0;
	for (int v = label; v > 0 && len < 7; v = (v - 1) / 26)
		tmp[len++] = (char)('A' + (v - 1) % 26);
	size_t k = 0;
	for (; len > 0 && k + 1 < n; k++)
		out[k] = tmp[--len];
	out[k] = '\0';
}

const char *core_difficulty_name(int d)
{
	return d <= 1 ? "easy" : d == 2 ? "medium" : "hard";
}

void core_period_keys(const struct tz *z, int64_t t, char keys[4][16])
{
	struct civil cv;
	tz_local(z, t, &cv);
	int64_t days = civil_to_days(cv.year, cv.month, cv.day);
	int y, m, d;
	civil_from_days(days - cv.wday, &y, &m, &d);
	snprintf(keys[0], 16, "all");
	snprintf(keys[1], 16, "d%04d-%02d-%02d", cv.year % 10000, cv.month % 100, cv.day % 100);
	snprintf(keys[2], 16, "w%04d-%02d-%02d", y % 10000, m % 100, d % 100);
	snprintf(keys[3], 16, "m%04d-%02d", cv.year % 10000, cv.month % 100);
}

bool core_period_key(const struct tz *z, const char *period, int64_t now, char key[16])
{
	static const char *const names[] = {"all", "day", "week", "month"};
	char keys[4][16];
	for (int i = 0; i < 4; i++) {
		if (strcmp(period, names[i]) != 0)
			continue;
		core_period_keys(z, now, keys);
		memcpy(key, keys[i], 16);
		return true;
	}
	return false;
}

enum sb_rc core_points(struct core *c, const struct st_channel *ch, int64_t member_id,
                       int64_t round_id, int points, const char *reason, const char *topic,
                       int64_t now)
{
	if (points == 0)
		return SB_OK;
	char keys[4][16];
	core_period_keys(core_zone(c, ch->timezone), now, keys);
	const char *kp[4] = {keys[0], keys[1], keys[2], keys[3]};
	struct st_ledger e = {.member_id = member_id,
	                      .channel_id = ch->id,
	                      .round_id = round_id,
	                      .points = points,
	                      .reason = reason,
	                      .topic = topic ? topic : "",
	                      .at = now};
	return store_ledger_add(c->st, &e, kp, 4);
}

/* --- config ---------------------------------------------------------------------- */

enum sb_rc core_apply_config(struct core *c, const struct config *cfg, const char *workspace)
{
	enum sb_rc rc = store_begin(c->st);
	for (size_t i = 0; rc == SB_OK && i < cfg->nchannels; i++) {
		const struct cfg_channel *cc = &cfg->channels[i];
		struct st_channel ch = {0};
		snprintf(ch.ext_id, sizeof ch.ext_id, "%s", cc->id);
		snprintf(ch.workspace, sizeof ch.workspace, "%s", workspace ? workspace : "");
		snprintf(ch.name, sizeof ch.name, "%s", cc->name);
		ch.schedule = cc->schedule;
		snprintf(ch.timezone, sizeof ch.timezone, "%s", cc->timezone);
		struct buf t;
		buf_init(&t, ST_TOPICS_MAX);
		for (size_t k = 0; k < cc->ntopics; k++)
			buf_printf(&t, "%s%s", k ? "," : "", cc->topics[k]);
		snprintf(ch.topics, sizeof ch.topics, "%s", buf_str(&t));
		buf_free(&t);
		ch.diff_min = cc->diff_min;
		ch.diff_max = cc->diff_max;
		ch.answer_window = cc->answer_window;
		ch.review_window = cc->review_window;
		ch.remind_before = cc->remind_before;
		ch.answer_mode = cc->answer_mode;
		rc = store_channel_put(c->st, &ch);
	}
	if (rc == SB_OK)
		rc = store_commit(c->st);
	else
		store_rollback(c->st);
	return rc;
}

/* --- the clock ---------------------------------------------------------------------- */

static enum sb_rc tick(struct core *c, const void *arg, int64_t now);

enum sb_rc core_tick(struct core *c, int64_t now)
{
	return run_in_tx(c, tick, NULL, now, false);
}

static enum sb_rc tick(struct core *c, const void *arg, int64_t now)
{
	(void)arg;
	return round_tick(c, now);
}
