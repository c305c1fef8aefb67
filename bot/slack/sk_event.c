/* Slack payloads → core events (see sk_event.h). Every field is
 * type-checked before use; strings must be well-formed UTF-8.
 *
 * Ownership: out's strings point into the payload tree, into out->buf or
 * out->text, or at static text; nothing is allocated. */
#include "slack/sk_event.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/str.h"

#define ID_MAX        64  /* bytes of a Slack id (U…, C…, T…, V…) */
#define TS_MAX        32  /* bytes of a message ts, "1355517523.000005" */
#define CUSTOM_ID_MAX 255 /* characters of an action_id, block_id, callback_id */
#define TRIGGER_MAX   256
#define NAME_MAX      256
#define SLASH_MAX     1000 /* bytes of slash text read; more gets a usage reply */
#define WORDS_MAX     32
#define SHOWN_MAX     32 /* bytes of an unknown word repeated in a reply */

/* --- typed access ----------------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static bool present(const cJSON *v)
{
	return v && !cJSON_IsNull(v);
}

static bool utf8_ok(const char *s)
{
	size_t n = strlen(s);
	return utf8_invalid_at(s, n) == n;
}

/* A string member: SB_OK with *out set, or NULL when absent or null;
 * SB_ERR_INVALID when of another type, not UTF-8, or past max bytes. */
static enum sb_rc opt_str(const cJSON *o, const char *key, size_t max, const char **out)
{
	const cJSON *v = get(o, key);
	*out = NULL;
	if (!present(v))
		return SB_OK;
	if (!cJSON_IsString(v) || !v->valuestring || !utf8_ok(v->valuestring) ||
	    strlen(v->valuestring) > max)
		return SB_ERR_INVALID;
	*out = v->valuestring;
	return SB_OK;
}

/* A required, non-empty string member. */
static enum sb_rc need_str(const cJSON *o, const char *key, size_t max, const char **out)
{
	enum sb_rc rc = opt_str(o, key, max, out);
	if (rc == SB_OK && (!*out || !**out))
		rc = SB_ERR_INVALID;
	return rc;
}

static bool is_str(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = get(o, key);
	return cJSON_IsString(v) && v->valuestring && strcmp(v->valuestring, want) == 0;
}

/* A message ts: digits and one dot. */
static bool ts_ok(const char *s)
{
	size_t n = strlen(s), d = strspn(s, "0123456789");
	return n && n <= TS_MAX && d &&
	       (d == n || (s[d] == '.' && strspn(s + d + 1, "0123456789") == n - d - 1));
}

static enum sb_rc opt_ts(const cJSON *o, const char *key, const char **out)
{
	enum sb_rc rc = opt_str(o, key, TS_MAX, out);
	if (rc == SB_OK && *out && !ts_ok(*out))
		rc = SB_ERR_INVALID;
	return rc;
}

static void reset(struct sk_event *out)
{
	/* buf and text need no clearing: only what the event points at is read. */
	memset(out, 0, offsetof(struct sk_event, buf));
	out->buf[0] = '\0';
	out->text[0] = '\0';
}

/* An empty team or user name is as good as none. */
static void drop_blank(struct event *ev)
{
	if (ev->workspace && !*ev->workspace)
		ev->workspace = NULL;
	if (ev->user_name && !*ev->user_name)
		ev->user_name = NULL;
}

static enum sb_rc ignore(struct sk_event *out, const char *why)
{
	out->kind = SK_IGNORE;
	out->ignore_why = why;
	return SB_OK;
}

static enum sb_rc fail(struct sk_event *out, enum sb_rc rc)
{
	reset(out);
	out->kind = SK_IGNORE;
	out->ignore_why = rc == SB_ERR_TOOBIG ? "too big" : "malformed";
	return rc;
}

/* &amp; &lt; &gt; → & < > into [dst, dst+cap); false when it does not fit. */
static bool unescape(const char *s, size_t n, char *dst, size_t cap)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		char c = s[i];
		size_t used = 1;
		if (c == '&') {
			for (size_t e = 0; e < sizeof ents / sizeof ents[0]; e++) {
				size_t len = strlen(ents[e].ent);
				if (n - i >= len && memcmp(s + i, ents[e].ent, len) == 0) {
					c = ents[e].c;
					used = len;
					break;
				}
			}
		}
		if (k + 1 >= cap)
			return false;
		dst[k++] = c;
		i += used;
	}
	dst[k] = '\0';
	return true;
}

/* --- the slash command --------------------------------------------------------- */

struct pool {
	char *p;
	size_t len, cap;
};

/* A copy of [s, s+n) in the pool; NULL when full. */
static char *keep(struct pool *pl, const char *s, size_t n)
{
	if (n + 1 > pl->cap - pl->len)
		return NULL;
	char *d = pl->p + pl->len;
	memcpy(d, s, n);
	d[n] = '\0';
	pl->len += n + 1;
	return d;
}

enum shape { NO_WORDS, LEADERBOARD, STATS, REMIND, SETUP };

struct sub {
	const char *name;
	enum shape shape;
	bool admin;
	const char *usage; /* NULL: "/study NAME takes no more words" */
};

static const struct sub subs[] = {
    {"answer", NO_WORDS, false, NULL},
    {"leaderboard", LEADERBOARD, false,
     "Use /study leaderboard [day|week|month|all] [topic], e.g. /study leaderboard week "
     "django."},
    {"stats", STATS, false,
     "Use /study stats for yours, or /study stats @member (pick the member from the list, so "
     "Slack says who it is)."},
    {"practice", NO_WORDS, false, NULL},
    {"remind", REMIND, false, "Use /study remind on, or /study remind off."},
    {"setup", SETUP, true,
     "Use /study setup #channel TIME TIME-ZONE [topics] [difficulty] [modal|thread], e.g. "
     "/study setup #study mon,wed,fri 18:30 Europe/Berlin python,django 1-3 thread (pick the "
     "channel from the list, so Slack says which it is)."},
    {"post", NO_WORDS, true, NULL},
    {"skip", NO_WORDS, true, NULL},
    {"pause", NO_WORDS, true, NULL},
    {"resume", NO_WORDS, true, NULL},
    {"add", NO_WORDS, true, NULL},
    {"export", NO_WORDS, true, NULL},
    {"forget-me", NO_WORDS, false, NULL},
    {"help", NO_WORDS, false, NULL},
};

struct words {
	const char *v[WORDS_MAX];
	size_t n;
};

static bool add_opt(struct event *ev, const char *name, const char *value)
{
	if (ev->nopts == EV_MAX_OPTS)
		return false;
	ev->opts[ev->nopts].name = name;
	ev->opts[ev->nopts].value = value;
	ev->nopts++;
	return true;
}

static bool id_chars(const char *s, size_t n)
{
	if (n == 0 || n > ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* The id of "<@U123|name>" / "<@U123>" (kind '@') or "<#C123|name>"
 * (kind '#') into the pool; NULL when w is not one. */
static const char *mention(struct pool *pl, const char *w, char kind)
{
	size_t n = strlen(w);
	if (n < 4 || w[0] != '<' || w[1] != kind || w[n - 1] != '>')
		return NULL;
	size_t k = strcspn(w + 2, "|>");
	if (!id_chars(w + 2, k))
		return NULL;
	return keep(pl, w + 2, k);
}

static bool word_is(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (str_ieq(w, *set))
			return true;
	return false;
}

/* Lower-case copy, for words compared by the core as written. */
static const char *lower(struct pool *pl, const char *w)
{
	char *c = keep(pl, w, strlen(w));
	for (char *p = c; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return c;
}

static bool difficulty_word(const char *w)
{
	size_t n = strlen(w);
	bool digit0 = n >= 1 && w[0] >= '0' && w[0] <= '9';
	if (n == 1)
		return digit0;
	return n == 3 && digit0 && w[1] == '-' && w[2] >= '0' && w[2] <= '9';
}

static bool has_colon(const char *w)
{
	return strchr(w, ':') != NULL;
}

/* The words after the subcommand as options; false: they do not fit the
 * form, say sub->usage. */
static bool read_words(const struct sub *sub, const struct words *w, struct pool *pl,
                       struct event *ev)
{
	static const char *const periods[] = {"day", "week", "month", "all", NULL};
	static const char *const states[] = {"on", "off", "yes", "no", NULL};
	static const char *const modes[] = {"modal", "thread", NULL};
	switch (sub->shape) {
	case NO_WORDS:
		return w->n == 0;
	case LEADERBOARD: {
		const char *period = NULL, *topic = NULL;
		for (size_t i = 0; i < w->n; i++) {
			if (!period && word_is(w->v[i], periods))
				period = lower(pl, w->v[i]);
			else if (!topic && w->v[i][0] != '<')
				topic = w->v[i];
			else
				return false;
		}
		return (!period || add_opt(ev, "period", period)) &&
		       (!topic || add_opt(ev, "topic", topic)) && (!w->n || period || topic);
	}
	case STATS: {
		if (w->n == 0)
			return true;
		const char *id = w->n == 1 ? mention(pl, w->v[0], '@') : NULL;
		return id && add_opt(ev, "user", id);
	}
	case REMIND:
		return w->n == 1 && word_is(w->v[0], states) &&
		       add_opt(ev, "state", lower(pl, w->v[0]));
	case SETUP: {
		size_t i = 0;
		const char *channel = w->n ? mention(pl, w->v[0], '#') : NULL;
		if (!channel)
			return false;
		i = 1;
		/* The time: "09:00", or days then a clock: "mon,wed,fri 18:30". */
		const char *time = NULL;
		if (i < w->n && has_colon(w->v[i])) {
			time = w->v[i++];
		} else if (i + 1 < w->n && has_colon(w->v[i + 1])) {
			char both[160];
			int k = snprintf(both, sizeof both, "%s %s", w->v[i], w->v[i + 1]);
			if (k < 0 || (size_t)k >= sizeof both)
				return false;
			time = keep(pl, both, (size_t)k);
			i += 2;
		} else if (i < w->n) {
			time = w->v[i++]; /* the core says what a time looks like */
		}
		if (!time || time[0] == '<' || i >= w->n)
			return false;
		const char *zone = w->v[i++];
		if (zone[0] == '<')
			return false;
		const char *mode = NULL, *diff = NULL;
		char topics[512] = "";
		size_t tlen = 0;
		for (; i < w->n; i++) {
			const char *x = w->v[i];
			if (word_is(x, modes)) {
				if (mode)
					return false;
				mode = lower(pl, x);
			} else if (difficulty_word(x)) {
				if (diff)
					return false;
				diff = x;
			} else if (x[0] == '<') {
				return false;
			} else {
				/* "python, django" arrives as two words: one list. */
				const char *t = x + strspn(x, ",");
				size_t n = strlen(t);
				while (n && t[n - 1] == ',')
					n--;
				if (!n)
					continue;
				if (tlen + n + 2 > sizeof topics)
					return false;
				if (tlen)
					topics[tlen++] = ',';
				memcpy(topics + tlen, t, n);
				tlen += n;
				topics[tlen] = '\0';
			}
		}
		const char *tp = tlen ? keep(pl, topics, tlen) : NULL;
		return time && add_opt(ev, "channel", channel) && add_opt(ev, "time", time) &&
		       add_opt(ev, "timezone", zone) &&
		       (!tlen || (tp && add_opt(ev, "topics", tp))) &&
		       (!diff || add_opt(ev, "difficulty", diff)) &&
		       (!mode || add_opt(ev, "mode", mode));
	}
	}
	return false;
}

/* A usage sentence (snprintf's result k in tmp) kept in the pool; a
 * static fallback when it does not fit. */
static const char *say(struct pool *pl, const char *tmp, int k, size_t cap)
{
	const char *s = k > 0 && (size_t)k < cap ? keep(pl, tmp, (size_t)k) : NULL;
	return s ? s : "Try /study help.";
}

/* w cut to SHOWN_MAX bytes on a character boundary, for repeating it. */
static const char *shown(struct pool *pl, const char *w)
{
	return keep(pl, w, utf8_floor(w, strlen(w), SHOWN_MAX));
}

static enum sb_rc slash(const cJSON *p, struct sk_event *out)
{
	struct event *ev = &out->ev;
	const char *text;
	enum sb_rc rc = need_str(p, "user_id", ID_MAX, &ev->user);
	if (rc == SB_OK)
		rc = need_str(p, "channel_id", ID_MAX, &ev->channel);
	if (rc == SB_OK)
		rc = opt_str(p, "team_id", ID_MAX, &ev->workspace);
	if (rc == SB_OK)
		rc = opt_str(p, "user_name", NAME_MAX, &ev->user_name);
	if (rc == SB_OK)
		rc = opt_str(p, "trigger_id", TRIGGER_MAX, &out->trigger_id);
	if (rc == SB_OK)
		rc = opt_str(p, "text", SIZE_MAX, &text);
	if (rc != SB_OK)
		return rc;
	drop_blank(ev);
	ev->type = EV_COMMAND;
	struct pool pl = {out->buf, 0, sizeof out->buf};
	if (!text)
		text = "";
	if (strlen(text) > SLASH_MAX) {
		out->usage = "That is more than /study reads: try /study help.";
		return ignore(out, "slash text too long");
	}
	/* Words, split at white space, a no-break space included. */
	struct words w = {.n = 0};
	char *copy = keep(&pl, text, strlen(text));
	if (!copy)
		return SB_ERR_TOOBIG;
	for (char *s = copy; (s = strstr(s, "\xc2\xa0"));)
		s[0] = s[1] = ' ';
	for (char *s = copy; *s;) {
		s += strspn(s, " \t\r\n");
		if (!*s)
			break;
		size_t k = strcspn(s, " \t\r\n");
		/* A mention is one word even when its name has spaces. */
		const char *gt = s[0] == '<' ? strchr(s, '>') : NULL;
		if (gt && (size_t)(gt - s) >= k)
			k = (size_t)(gt - s) + 1 + strcspn(gt + 1, " \t\r\n");
		if (w.n == WORDS_MAX) {
			out->usage = "That is more words than /study reads: try /study help.";
			return ignore(out, "too many words");
		}
		w.v[w.n++] = s;
		if (s[k])
			s[k++] = '\0';
		s += k;
	}
	/* Slack escaped &, < and > in what was typed; mentions are left as
	 * they are, read as ids below. */
	for (size_t i = 0; i < w.n; i++) {
		const char *x = w.v[i];
		if (x[0] == '<' && (x[1] == '@' || x[1] == '#'))
			continue;
		char tmp[SLASH_MAX + 1];
		if (!unescape(x, strlen(x), tmp, sizeof tmp))
			return SB_ERR_TOOBIG;
		strcpy((char *)w.v[i], tmp); /* never longer than before */
	}
	const char *cmd = w.n ? w.v[0] : "help";
	const struct sub *sub = NULL;
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (str_ieq(cmd, subs[i].name))
			sub = &subs[i];
	if (!sub) {
		char tmp[128];
		const char *w0 = shown(&pl, cmd);
		int k = snprintf(tmp, sizeof tmp, "There is no /study %s%s: try /study help.",
		                 w0 ? w0 : "", strlen(cmd) > SHOWN_MAX ? "…" : "");
		out->usage = say(&pl, tmp, k, sizeof tmp);
		return ignore(out, "unknown subcommand");
	}
	ev->command = sub->name;
	out->admin_needed = sub->admin;
	struct words rest = {.n = w.n ? w.n - 1 : 0};
	for (size_t i = 0; i < rest.n; i++)
		rest.v[i] = w.v[i + 1];
	if (!read_words(sub, &rest, &pl, ev)) {
		ev->nopts = 0;
		char tmp[128];
		int k = snprintf(tmp, sizeof tmp, "/study %s takes no more words: just /study %s.",
		                 sub->name, sub->name);
		out->usage = sub->usage ? sub->usage : say(&pl, tmp, k, sizeof tmp);
		out->admin_needed = false;
		return ignore(out, "slash words do not fit");
	}
	out->kind = SK_CORE;
	return SB_OK;
}

enum sb_rc sk_parse_slash(const cJSON *payload, struct sk_event *out)
{
	reset(out);
	if (!cJSON_IsObject(payload))
		return fail(out, SB_ERR_INVALID);
	enum sb_rc rc = slash(payload, out);
	return rc == SB_OK ? rc : fail(out, rc);
}

/* --- interactions --------------------------------------------------------------- */

static bool custom_id_ok(const char *s)
{
	return s && *s && utf8_len(s, strlen(s)) <= CUSTOM_ID_MAX;
}

/* Who and where: user, team, trigger. */
static enum sb_rc who(const cJSON *p, struct sk_event *out)
{
	struct event *ev = &out->ev;
	const cJSON *user = get(p, "user"), *team = get(p, "team");
	if (!cJSON_IsObject(user))
		return SB_ERR_INVALID;
	enum sb_rc rc = need_str(user, "id", ID_MAX, &ev->user);
	if (rc == SB_OK)
		rc = opt_str(user, "username", NAME_MAX, &ev->user_name);
	if (rc == SB_OK && !ev->user_name)
		rc = opt_str(user, "name", NAME_MAX, &ev->user_name);
	if (rc == SB_OK && present(team)) {
		if (!cJSON_IsObject(team))
			return SB_ERR_INVALID;
		rc = opt_str(team, "id", ID_MAX, &ev->workspace);
	}
	if (rc == SB_OK && !ev->workspace)
		rc = opt_str(user, "team_id", ID_MAX, &ev->workspace);
	if (rc == SB_OK)
		rc = opt_str(p, "trigger_id", TRIGGER_MAX, &out->trigger_id);
	drop_blank(ev);
	return rc;
}

/* A view's private_metadata as the channel: "" when it holds none. */
static enum sb_rc view_channel(const cJSON *view, struct sk_event *out)
{
	const char *md;
	enum sb_rc rc = opt_str(view, "private_metadata", ID_MAX, &md);
	if (rc != SB_OK)
		return rc;
	out->ev.channel = md ? md : "";
	return SB_OK;
}

static enum sb_rc block_actions(const cJSON *p, struct sk_event *out)
{
	struct event *ev = &out->ev;
	enum sb_rc rc = who(p, out);
	if (rc != SB_OK)
		return rc;
	const cJSON *actions = get(p, "actions");
	const cJSON *a = cJSON_IsArray(actions) ? cJSON_GetArrayItem(actions, 0) : NULL;
	if (!cJSON_IsObject(a))
		return SB_ERR_INVALID;
	const char *id, *type;
	rc = need_str(a, "action_id", 4 * CUSTOM_ID_MAX, &id);
	if (rc == SB_OK)
		rc = opt_str(a, "type", NAME_MAX, &type);
	if (rc != SB_OK || !custom_id_ok(id))
		return SB_ERR_INVALID;
	if (type && strcmp(type, "button") != 0)
		return ignore(out, "an action that is not a button");
	ev->type = EV_BUTTON;
	ev->id = id;

	const cJSON *container = get(p, "container"), *channel = get(p, "channel"),
	            *message = get(p, "message"), *view = get(p, "view");
	if (present(container) && !cJSON_IsObject(container))
		return SB_ERR_INVALID;
	if (present(message) && !cJSON_IsObject(message))
		return SB_ERR_INVALID;
	if (present(channel) && !cJSON_IsObject(channel))
		return SB_ERR_INVALID;
	if (present(view) && !cJSON_IsObject(view))
		return SB_ERR_INVALID;
	if (is_str(container, "type", "view") || (!present(container) && view)) {
		rc = opt_str(container, "view_id", ID_MAX, &out->view_id);
		if (rc == SB_OK && !out->view_id)
			rc = opt_str(view, "id", ID_MAX, &out->view_id);
		if (rc == SB_OK)
			rc = view_channel(view, out);
		if (rc == SB_OK && !*ev->channel && present(channel))
			rc = need_str(channel, "id", ID_MAX, &ev->channel);
		return rc;
	}
	/* On a message (ephemeral ones have no "message"). */
	rc = opt_str(container, "channel_id", ID_MAX, &ev->channel);
	if (rc == SB_OK && !ev->channel)
		rc = need_str(channel, "id", ID_MAX, &ev->channel);
	if (rc == SB_OK)
		rc = opt_ts(container, "message_ts", &out->message_ts);
	if (rc == SB_OK && !out->message_ts)
		rc = opt_ts(message, "ts", &out->message_ts);
	if (rc == SB_OK)
		rc = opt_ts(message, "thread_ts", &out->thread_ts);
	if (rc == SB_OK && !*ev->channel)
		rc = SB_ERR_INVALID;
	/* A thread's parent (the question) is in the channel, not in its
	 * thread: what answers a click on it goes to the channel. */
	if (out->thread_ts && out->message_ts && strcmp(out->thread_ts, out->message_ts) == 0)
		out->thread_ts = NULL;
	return rc;
}

static enum sb_rc view_submission(const cJSON *p, struct sk_event *out)
{
	struct event *ev = &out->ev;
	enum sb_rc rc = who(p, out);
	const cJSON *view = get(p, "view");
	if (rc != SB_OK)
		return rc;
	if (!cJSON_IsObject(view))
		return SB_ERR_INVALID;
	const char *id;
	rc = need_str(view, "callback_id", 4 * CUSTOM_ID_MAX, &id);
	if (rc == SB_OK)
		rc = opt_str(view, "id", ID_MAX, &out->view_id);
	if (rc == SB_OK)
		rc = view_channel(view, out);
	if (rc != SB_OK || !custom_id_ok(id))
		return SB_ERR_INVALID;
	ev->type = EV_FORM;
	ev->id = id;
	const cJSON *state = get(view, "state"), *values = get(state, "values"), *block;
	if (!present(state) || !present(values))
		return SB_OK; /* a form of no inputs */
	if (!cJSON_IsObject(values))
		return SB_ERR_INVALID;
	cJSON_ArrayForEach(block, values)
	{
		const char *name = block->string;
		if (!name || !utf8_ok(name) || !custom_id_ok(name) || !cJSON_IsObject(block))
			return SB_ERR_INVALID;
		/* One element per input block: ours are plain_text_input. */
		const cJSON *el = block->child;
		if (!el)
			continue;
		if (!cJSON_IsObject(el))
			return SB_ERR_INVALID;
		const char *value;
		rc = opt_str(el, "value", SK_MSG_TEXT_MAX, &value);
		if (rc != SB_OK) {
			const cJSON *v = get(el, "value");
			return cJSON_IsString(v) && v->valuestring && utf8_ok(v->valuestring)
			           ? SB_ERR_TOOBIG
			           : SB_ERR_INVALID;
		}
		if (!value && present(get(el, "type")) && !is_str(el, "type", "plain_text_input"))
			continue; /* a select or the like: nothing the core reads */
		if (!add_opt(ev, name, value ? value : ""))
			return SB_ERR_TOOBIG;
	}
	return SB_OK;
}

enum sb_rc sk_parse_interactive(const cJSON *payload, struct sk_event *out)
{
	reset(out);
	const char *type;
	if (!cJSON_IsObject(payload) || need_str(payload, "type", NAME_MAX, &type) != SB_OK)
		return fail(out, SB_ERR_INVALID);
	enum sb_rc rc;
	if (strcmp(type, "block_actions") == 0)
		rc = block_actions(payload, out);
	else if (strcmp(type, "view_submission") == 0)
		rc = view_submission(payload, out);
	else
		return ignore(out, "an interaction type we do not handle");
	if (rc != SB_OK)
		return fail(out, rc);
	if (out->ignore_why)
		return SB_OK;
	out->kind = SK_CORE;
	return SB_OK;
}

/* --- events ------------------------------------------------------------------------ */

/* Subtypes that are still a member's message with text. */
static bool member_subtype(const char *st)
{
	return !st || strcmp(st, "thread_broadcast") == 0 || strcmp(st, "file_share") == 0;
}

static enum sb_rc message(const cJSON *e, const char *bot_user, struct sk_event *out)
{
	struct event *ev = &out->ev;
	const char *subtype, *channel;
	enum sb_rc rc = opt_str(e, "subtype", NAME_MAX, &subtype);
	if (rc == SB_OK)
		rc = need_str(e, "channel", ID_MAX, &channel);
	if (rc != SB_OK)
		return rc;
	const cJSON *m = e;
	const char *before = NULL;
	if (subtype && strcmp(subtype, "message_changed") == 0) {
		m = get(e, "message");
		if (!cJSON_IsObject(m))
			return SB_ERR_INVALID;
		rc = opt_str(m, "subtype", NAME_MAX, &subtype);
		const cJSON *prev = get(e, "previous_message");
		if (rc == SB_OK && present(prev)) {
			if (!cJSON_IsObject(prev))
				return SB_ERR_INVALID;
			rc = opt_str(prev, "text", SIZE_MAX, &before);
		}
		if (rc != SB_OK)
			return rc;
	}
	if (!member_subtype(subtype))
		return ignore(out, "a message subtype we do not read");
	if (present(get(m, "bot_id")) || present(get(e, "bot_id")))
		return ignore(out, "a bot's message");
	const char *user, *text, *ts, *thread;
	rc = opt_str(m, "user", ID_MAX, &user);
	if (rc == SB_OK)
		rc = opt_str(m, "text", SIZE_MAX, &text);
	if (rc == SB_OK)
		rc = opt_ts(m, "ts", &ts);
	if (rc == SB_OK)
		rc = opt_ts(m, "thread_ts", &thread);
	if (rc != SB_OK)
		return rc;
	if (!user || !*user)
		return ignore(out, "a message without a user");
	if (bot_user && strcmp(user, bot_user) == 0)
		return ignore(out, "our own message");
	if (!thread || (ts && strcmp(ts, thread) == 0))
		return ignore(out, "not a reply in a thread");
	if (!text || !*text)
		return ignore(out, "a message without text");
	if (before && strcmp(before, text) == 0)
		return ignore(out, "an edit that kept the text");
	size_t n = strlen(text);
	ev->type = EV_MESSAGE;
	ev->channel = channel;
	ev->user = user;
	ev->thread = thread;
	out->thread_ts = thread;
	out->message_ts = ts;
	/* Slack escaped &, < and >; the core keeps what the member typed. A
	 * text too long to copy is past any answer's cap: passed as sent. */
	ev->text = unescape(text, n, out->text, sizeof out->text) ? out->text : text;
	out->kind = SK_CORE;
	return SB_OK;
}

enum sb_rc sk_parse_event(const cJSON *payload, const char *bot_user, struct sk_event *out)
{
	reset(out);
	const char *type, *etype, *team = NULL;
	if (!cJSON_IsObject(payload) || need_str(payload, "type", NAME_MAX, &type) != SB_OK)
		return fail(out, SB_ERR_INVALID);
	if (strcmp(type, "event_callback") != 0)
		return ignore(out, "not an event_callback");
	const cJSON *e = get(payload, "event");
	if (!cJSON_IsObject(e) || need_str(e, "type", NAME_MAX, &etype) != SB_OK ||
	    opt_str(payload, "team_id", ID_MAX, &team) != SB_OK)
		return fail(out, SB_ERR_INVALID);
	if (!team && opt_str(e, "team", ID_MAX, &team) != SB_OK)
		team = NULL;
	enum sb_rc rc;
	if (strcmp(etype, "app_home_opened") == 0) {
		const char *tab, *channel;
		rc = need_str(e, "user", ID_MAX, &out->ev.user);
		if (rc == SB_OK)
			rc = opt_str(e, "tab", NAME_MAX, &tab);
		if (rc == SB_OK)
			rc = opt_str(e, "channel", ID_MAX, &channel);
		if (rc != SB_OK)
			return fail(out, rc);
		if (!tab || strcmp(tab, "home") != 0)
			return ignore(out, "app home opened on another tab");
		out->ev.channel = channel ? channel : "";
		out->kind = SK_HOME;
	} else if (strcmp(etype, "message") == 0) {
		rc = message(e, bot_user, out);
		if (rc != SB_OK)
			return fail(out, rc);
	} else {
		return ignore(out, "an event we do not handle");
	}
	out->ev.workspace = team && *team ? team : NULL;
	return SB_OK;
}
