#include "discord/dc_render.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/str.h"

#define CUT_MARK_CHARS    7
#define FENCE_CLOSE       "\n```\n"
#define FENCE_CLOSE_CHARS 5
#define ELLIPSIS          "\xe2\x80\xa6"
#define ZWSP              "\xe2\x80\x8b" /* U+200B: not white space to Discord's trimming */
#define BREAK_LOOKBACK    64             /* bytes searched back for a space to cut at */
#define MIN_BODY_CHARS    64             /* what a cut embed text should still show */
#define FLAG_EPHEMERAL    64             /* message flag 1 << 6 */

/* --- text: clean, count, cut ------------------------------------------------ */

static bool has(const char *s)
{
	return s && *s;
}

static size_t chars(const char *s)
{
	return utf8_len(s, strlen(s));
}

/* Appends [p, p+n) with a zero-width space after the '@' of every
 * "@everyone" and "@here". */
static void add_defused(struct buf *b, const char *p, size_t n)
{
	static const char *const mass[] = {"everyone", "here"};
	while (n) {
		const char *at = memchr(p, '@', n);
		size_t upto = at ? (size_t)(at - p) + 1 : n;
		buf_add(b, p, upto);
		p += upto;
		n -= upto;
		if (!at)
			break;
		for (size_t i = 0; i < sizeof mass / sizeof mass[0]; i++) {
			size_t k = strlen(mass[i]);
			if (n >= k && memcmp(p, mass[i], k) == 0) {
				buf_add(b, ZWSP, 3);
				break;
			}
		}
	}
}

/* s as well-formed UTF-8 (each bad byte becomes U+FFFD), with mass mentions
 * defused when defuse. Returns new. */
static char *prep(const char *s, bool defuse)
{
	char *t = utf8_repair(s);
	if (!defuse)
		return t;
	size_t n = strlen(t);
	struct buf b;
	/* Worst case: "@here" (5 bytes) grows to 8. */
	buf_init(&b, 2 * n + 16);
	buf_add(&b, "", 0);
	add_defused(&b, t, n);
	free(t);
	return buf_take(&b);
}

/* Whether [s, s+n) leaves a ``` fence open. */
static bool fence_open(const char *s, size_t n)
{
	bool open = false;
	for (size_t i = 0; i + 3 <= n;) {
		if (memcmp(s + i, "```", 3) == 0) {
			open = !open;
			i += 3;
		} else {
			i++;
		}
	}
	return open;
}

/* A cut at off moved back to just before a nearby space or line break
 * (words stay whole), with the white space before it dropped. */
static size_t soft_break(const char *s, size_t off)
{
	size_t floor = off > BREAK_LOOKBACK ? off - BREAK_LOOKBACK : 0;
	for (size_t j = off; j > floor && j > off / 2; j--) {
		if (s[j] == ' ' || s[j] == '\n') {
			while (j > 0 && (s[j - 1] == ' ' || s[j - 1] == '\n'))
				j--;
			return j > 0 ? j : off;
		}
	}
	return off;
}

/* s (well-formed UTF-8) in at most limit code points, cut as the header
 * says. Returns new. */
static char *cut(const char *s, size_t limit)
{
	size_t n = strlen(s);
	if (utf8_len(s, n) <= limit)
		return xstrdup(s);
	struct buf b;
	buf_init(&b, n + 32);
	if (limit <= CUT_MARK_CHARS) {
		/* No room for the marker: an ellipsis says it all. */
		if (limit) {
			buf_add(&b, s, utf8_offset(s, limit - 1));
			buf_adds(&b, ELLIPSIS);
		}
		buf_add(&b, "", 0);
		return buf_take(&b);
	}
	size_t room = limit - CUT_MARK_CHARS, budget = room, off;
	bool open;
	for (;;) {
		off = soft_break(s, utf8_offset(s, budget));
		open = fence_open(s, off);
		if (!open || utf8_len(s, off) + FENCE_CLOSE_CHARS <= room)
			break;
		if (budget != room || room < FENCE_CLOSE_CHARS) {
			open = false; /* no room to close it: Discord shows the backticks */
			break;
		}
		budget = room - FENCE_CLOSE_CHARS;
	}
	buf_add(&b, s, off);
	if (open)
		buf_adds(&b, FENCE_CLOSE);
	buf_adds(&b, DC_CUT_MARK);
	return buf_take(&b);
}

/* One text of a body, ready to send: prepared, and cut to its limit. */
enum piece_kind { PIECE_SHORT, PIECE_BODY };

struct piece {
	char *s;
	size_t n; /* code points */
	enum piece_kind kind;
};

static bool blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* nonempty: Discord trims white space and refuses what is left empty
 * (field names and values), so such text becomes a zero-width space. */
static void piece_set(struct piece *p, const char *raw, size_t limit, bool nonempty)
{
	char *t = prep(raw, true);
	if (nonempty && blank(t)) {
		free(t);
		t = xstrdup(ZWSP);
	}
	p->s = cut(t, limit);
	p->n = chars(p->s);
	p->kind = PIECE_SHORT;
	free(t);
}

static size_t capped_sum(struct piece *const *v, size_t n, size_t cap)
{
	size_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i]->n < cap ? v[i]->n : cap;
	return sum;
}

/* Makes v's texts fit max together: finds the largest common cap that fits
 * (water-filling) and cuts every text longer than it to it. */
static void fit_total(struct piece *const *v, size_t n, size_t max)
{
	size_t total = 0, longest = 0;
	for (size_t i = 0; i < n; i++) {
		total += v[i]->n;
		if (v[i]->n > longest)
			longest = v[i]->n;
	}
	if (total <= max)
		return;
	size_t lo = 1, hi = longest;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (capped_sum(v, n, mid) <= max)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i]->n > lo) {
			char *t = cut(v[i]->s, lo);
			free(v[i]->s);
			v[i]->s = t;
			v[i]->n = chars(t);
		}
	}
}

/* The embed's texts within max together. Short texts (title, field names,
 * footer) are kept whole when the long ones (description, field values)
 * can absorb the excess and still say something; else all share the cut. */
static void fit_embed(struct piece *const *all, size_t n, size_t max)
{
	struct piece *bodies[1 + CHAT_MAX_FIELDS];
	size_t nb = 0, fixed = 0;
	for (size_t i = 0; i < n; i++) {
		if (all[i]->kind == PIECE_BODY)
			bodies[nb++] = all[i];
		else
			fixed += all[i]->n;
	}
	if (fixed <= max && max - fixed >= nb * MIN_BODY_CHARS)
		fit_total(bodies, nb, max - fixed);
	else
		fit_total(all, n, max);
}

/* --- messages --------------------------------------------------------------- */

/* Custom ids come back to us as they were sent: one Discord would refuse
 * is left out rather than altered. */
static bool custom_id_ok(const char *id)
{
	if (!has(id))
		return false;
	size_t n = strlen(id);
	return utf8_invalid_at(id, n) == n && utf8_len(id, n) <= DC_CUSTOM_ID_MAX;
}

static int button_style(int style)
{
	static const int map[] = {
	    [STYLE_PRIMARY] = 1,
	    [STYLE_SECONDARY] = 2,
	    [STYLE_SUCCESS] = 3,
	    [STYLE_DANGER] = 4,
	};
	if (style < 0 || (size_t)style >= sizeof map / sizeof map[0])
		return 2;
	return map[style];
}

static void add_buttons(cJSON *o, const struct chat_msg *m)
{
	cJSON *rows = NULL, *row = NULL;
	size_t placed = 0;
	for (size_t i = 0; i < m->nbuttons && i < CHAT_MAX_BUTTONS; i++) {
		const struct chat_button *b = &m->buttons[i];
		if (!custom_id_ok(b->id)) {
			log_warn("button left out: its custom id is empty, too long or not UTF-8",
			         "label=%s", log_q(b->label));
			continue;
		}
		if (placed == DC_ROWS_MAX * DC_BUTTONS_PER_ROW)
			break;
		if (!rows)
			rows = cJSON_AddArrayToObject(o, "components");
		if (placed % DC_BUTTONS_PER_ROW == 0) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddNumberToObject(r, "type", 1);
			row = cJSON_AddArrayToObject(r, "components");
			cJSON_AddItemToArray(rows, r);
		}
		struct piece label;
		piece_set(&label, b->label, DC_LABEL_MAX, false);
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "type", 2);
		cJSON_AddNumberToObject(j, "style", button_style(b->style));
		/* A button needs a label or an emoji. */
		cJSON_AddStringToObject(j, "label", !blank(label.s) ? label.s : ELLIPSIS);
		cJSON_AddStringToObject(j, "custom_id", b->id);
		cJSON_AddItemToArray(row, j);
		free(label.s);
		placed++;
	}
}

static cJSON *embed_json(const struct chat_msg *m, bool text_inside)
{
	struct piece title = {0}, desc = {0}, footer = {0};
	struct piece names[CHAT_MAX_FIELDS], values[CHAT_MAX_FIELDS];
	struct piece *all[3 + 2 * CHAT_MAX_FIELDS];
	size_t n = 0, nf = m->nfields < CHAT_MAX_FIELDS ? m->nfields : CHAT_MAX_FIELDS;
	if (has(m->title)) {
		piece_set(&title, m->title, DC_EMBED_TITLE_MAX, false);
		all[n++] = &title;
	}
	if (text_inside && has(m->text)) {
		piece_set(&desc, m->text, DC_EMBED_DESC_MAX, false);
		desc.kind = PIECE_BODY;
		all[n++] = &desc;
	}
	for (size_t i = 0; i < nf; i++) {
		piece_set(&names[i], m->fields[i].name, DC_FIELD_NAME_MAX, true);
		piece_set(&values[i], m->fields[i].value, DC_FIELD_VALUE_MAX, true);
		values[i].kind = PIECE_BODY;
		all[n++] = &names[i];
		all[n++] = &values[i];
	}
	if (has(m->footer)) {
		piece_set(&footer, m->footer, DC_FOOTER_MAX, false);
		all[n++] = &footer;
	}
	fit_embed(all, n, DC_EMBED_TOTAL_MAX);

	cJSON *e = cJSON_CreateObject();
	if (title.s && *title.s)
		cJSON_AddStringToObject(e, "title", title.s);
	if (desc.s && *desc.s)
		cJSON_AddStringToObject(e, "description", desc.s);
	if (nf) {
		cJSON *fields = cJSON_AddArrayToObject(e, "fields");
		for (size_t i = 0; i < nf; i++) {
			cJSON *f = cJSON_CreateObject();
			cJSON_AddStringToObject(f, "name", names[i].s);
			cJSON_AddStringToObject(f, "value", values[i].s);
			cJSON_AddItemToArray(fields, f);
			free(names[i].s);
			free(values[i].s);
		}
	}
	if (footer.s && *footer.s) {
		cJSON *f = cJSON_AddObjectToObject(e, "footer");
		cJSON_AddStringToObject(f, "text", footer.s);
	}
	free(title.s);
	free(desc.s);
	free(footer.s);
	return e;
}

/* The message fields shared by a created message and an interaction
 * response. with_files: the body will carry files, which alone make a
 * message non-empty. */
static cJSON *message_json(const struct chat_msg *m, bool with_files)
{
	cJSON *o = cJSON_CreateObject();
	bool embed = has(m->title) || m->nfields || has(m->footer);
	bool text_in_embed = has(m->title);
	bool content = false;
	if (has(m->text) && !text_in_embed) {
		struct piece c;
		piece_set(&c, m->text, DC_CONTENT_MAX, false);
		if (!blank(c.s)) { /* Discord trims content and refuses it empty */
			cJSON_AddStringToObject(o, "content", c.s);
			content = true;
		}
		free(c.s);
	}
	if (embed) {
		cJSON *embeds = cJSON_AddArrayToObject(o, "embeds");
		cJSON_AddItemToArray(embeds, embed_json(m, text_in_embed));
	}
	add_buttons(o, m);
	if (!content && !embed && !with_files && !cJSON_HasObjectItem(o, "components"))
		cJSON_AddStringToObject(o, "content", ZWSP);
	/* Never a ping, whatever member text the message quotes. */
	cJSON *am = cJSON_AddObjectToObject(o, "allowed_mentions");
	cJSON_AddArrayToObject(am, "parse");
	return o;
}

static void add_nonce(cJSON *o, const char *nonce)
{
	if (!nonce)
		return;
	size_t n = strlen(nonce);
	if (n == 0 || utf8_invalid_at(nonce, n) != n || utf8_len(nonce, n) > DC_NONCE_MAX) {
		log_warn("nonce left out: Discord takes 1-25 characters", "nonce=%s", log_q(nonce));
		return;
	}
	cJSON_AddStringToObject(o, "nonce", nonce);
	cJSON_AddBoolToObject(o, "enforce_nonce", 1);
}

static cJSON *reply_json(const struct action *a, bool with_files)
{
	cJSON *data = message_json(&a->msg, with_files);
	if (!a->public_reply)
		cJSON_AddNumberToObject(data, "flags", FLAG_EPHEMERAL);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "type", 4); /* CHANNEL_MESSAGE_WITH_SOURCE */
	cJSON_AddItemToObject(o, "data", data);
	return o;
}

char *dc_render_message(const struct chat_msg *m, const char *nonce)
{
	cJSON *o = message_json(m, false);
	add_nonce(o, nonce);
	return json_take(o);
}

char *dc_render_message_ref(const struct chat_msg *m, const char *nonce, const char *reply_to)
{
	cJSON *o = message_json(m, false);
	add_nonce(o, nonce);
	if (has(reply_to)) {
		cJSON *ref = cJSON_AddObjectToObject(o, "message_reference");
		cJSON_AddStringToObject(ref, "message_id", reply_to);
		/* A deleted question must not cost the post. */
		cJSON_AddBoolToObject(ref, "fail_if_not_exists", 0);
	}
	return json_take(o);
}

char *dc_render_reply(const struct action *a)
{
	if (a->type == ACT_FORM)
		return dc_render_form(&a->form);
	return json_take(reply_json(a, false));
}

/* --- forms ------------------------------------------------------------------------ */

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static cJSON *input_json(const struct chat_input *in)
{
	int max = clamp(in->max_len > 0 ? in->max_len : DC_INPUT_MAX, 1, DC_INPUT_MAX);
	int min = clamp(in->min_len, 0, max);
	struct piece label;
	piece_set(&label, in->label, DC_INPUT_LABEL_MAX, false);
	cJSON *t = cJSON_CreateObject();
	cJSON_AddNumberToObject(t, "type", 4);
	cJSON_AddStringToObject(t, "custom_id", in->id);
	cJSON_AddNumberToObject(t, "style", in->multiline ? 2 : 1);
	cJSON_AddStringToObject(t, "label", !blank(label.s) ? label.s : ELLIPSIS);
	cJSON_AddNumberToObject(t, "min_length", min);
	cJSON_AddNumberToObject(t, "max_length", max);
	cJSON_AddBoolToObject(t, "required", in->required);
	free(label.s);
	if (has(in->value)) {
		/* The member's own text goes back to them as it was (a form
		 * pings nobody), only made well-formed. */
		char *v = prep(in->value, false), *c = cut(v, (size_t)max);
		cJSON_AddStringToObject(t, "value", c);
		free(v);
		free(c);
	}
	if (has(in->placeholder)) {
		struct piece ph;
		piece_set(&ph, in->placeholder, DC_PLACEHOLDER_MAX, false);
		cJSON_AddStringToObject(t, "placeholder", ph.s);
		free(ph.s);
	}
	return t;
}

char *dc_render_form(const struct chat_form *f)
{
	if (!custom_id_ok(f->id))
		return NULL;
	cJSON *rows = cJSON_CreateArray();
	for (size_t i = 0; i < f->ninputs && i < CHAT_MAX_INPUTS; i++) {
		if (!custom_id_ok(f->inputs[i].id))
			continue;
		cJSON *row = cJSON_CreateObject();
		cJSON_AddNumberToObject(row, "type", 1);
		cJSON *inner = cJSON_AddArrayToObject(row, "components");
		cJSON_AddItemToArray(inner, input_json(&f->inputs[i]));
		cJSON_AddItemToArray(rows, row);
	}
	if (cJSON_GetArraySize(rows) == 0) {
		cJSON_Delete(rows);
		return NULL;
	}
	struct piece title;
	piece_set(&title, f->title, DC_MODAL_TITLE_MAX, false);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "type", 9); /* MODAL */
	cJSON *data = cJSON_AddObjectToObject(o, "data");
	cJSON_AddStringToObject(data, "custom_id", f->id);
	cJSON_AddStringToObject(data, "title", !blank(title.s) ? title.s : "studybot");
	cJSON_AddItemToObject(data, "components", rows);
	free(title.s);
	return json_take(o);
}

/* --- the /study command --------------------------------------------------------------- */

enum { OPT_SUBCOMMAND = 1, OPT_STRING = 3, OPT_USER = 6, OPT_CHANNEL = 7 };

struct cmd_choice {
	const char *name, *value;
};

struct cmd_opt {
	int type; /* 0 ends a list */
	const char *name, *desc;
	bool required;                    /* required options come first (Discord's rule) */
	const struct cmd_choice *choices; /* ends with a NULL name; NULL: free text */
	int max_length;                   /* strings; 0: Discord's default */
};

struct cmd_sub {
	const char *name, *desc;
	const struct cmd_opt *opts; /* NULL: none */
};

static const struct cmd_choice periods[] = {
    {"Today", "day"}, {"This week", "week"}, {"This month", "month"}, {"All time", "all"}, {0}};
static const struct cmd_choice on_off[] = {{"On", "on"}, {"Off", "off"}, {0}};
static const struct cmd_choice modes[] = {
    {"Private form", "modal"}, {"Replies in the question's thread", "thread"}, {0}};

static const struct cmd_opt leaderboard_opts[] = {
    {OPT_STRING, "period", "day, week, month or all (default: week)", false, periods, 0},
    {OPT_STRING, "topic", "Only this topic, e.g. django", false, NULL, 64},
    {0}};
static const struct cmd_opt stats_opts[] = {
    {OPT_USER, "user", "Whose stats (default: yours)", false, NULL, 0}, {0}};
static const struct cmd_opt remind_opts[] = {{OPT_STRING, "state", "on or off", true, on_off, 0},
                                             {0}};
static const struct cmd_opt setup_opts[] = {
    {OPT_CHANNEL, "channel", "The channel to post questions in", true, NULL, 0},
    {OPT_STRING, "time", "When to post, e.g. 09:00 or mon,wed,fri 18:30", true, NULL, 100},
    {OPT_STRING, "timezone", "An IANA time zone, e.g. Europe/Berlin", true, NULL, 64},
    {OPT_STRING, "topics", "Comma-separated topics (default: all)", false, NULL, 200},
    {OPT_STRING, "difficulty", "1, 2, 3 or a range such as 1-3", false, NULL, 8},
    {OPT_STRING, "mode", "How members answer", false, modes, 0},
    {0}};

static const struct cmd_sub study_subs[] = {
    {"answer", "Answer today's question (a private form)", NULL},
    {"leaderboard", "The top 10 of this channel and your own rank", leaderboard_opts},
    {"stats", "Rounds answered, streak, points by reason, best and weakest topics", stats_opts},
    {"practice", "A private question due for review (spaced repetition)", NULL},
    {"remind", "A private nudge before the deadline when you have not answered", remind_opts},
    {"setup", "Admins: set up a study channel", setup_opts},
    {"post", "Admins: post a question now", NULL},
    {"skip", "Admins: skip the open round, or the next one", NULL},
    {"pause", "Admins: post no new questions until resumed", NULL},
    {"resume", "Admins: post questions again", NULL},
    {"add", "Admins: add a question to this server's bank", NULL},
    {"export", "Admins: answers, ratings and points of this channel as CSV", NULL},
    {"forget-me", "Delete your answers, ratings and points (asks to confirm)", NULL},
};

static cJSON *option_json(const struct cmd_opt *op)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "type", op->type);
	cJSON_AddStringToObject(o, "name", op->name);
	cJSON_AddStringToObject(o, "description", op->desc);
	if (op->required)
		cJSON_AddBoolToObject(o, "required", 1);
	if (op->choices) {
		cJSON *ch = cJSON_AddArrayToObject(o, "choices");
		for (const struct cmd_choice *c = op->choices; c->name; c++) {
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "name", c->name);
			cJSON_AddStringToObject(j, "value", c->value);
			cJSON_AddItemToArray(ch, j);
		}
	}
	if (op->max_length)
		cJSON_AddNumberToObject(o, "max_length", op->max_length);
	if (op->type == OPT_CHANNEL) {
		/* Where a round can run: text and announcement channels (both
		 * take threads). */
		cJSON *t = cJSON_AddArrayToObject(o, "channel_types");
		cJSON_AddItemToArray(t, cJSON_CreateNumber(0));
		cJSON_AddItemToArray(t, cJSON_CreateNumber(5));
	}
	return o;
}

char *dc_render_commands(void)
{
	cJSON *cmd = cJSON_CreateObject();
	cJSON_AddStringToObject(cmd, "name", "study");
	cJSON_AddNumberToObject(cmd, "type", 1); /* CHAT_INPUT */
	cJSON_AddStringToObject(cmd, "description", "Daily study questions, answers and scores");
	cJSON *subs = cJSON_AddArrayToObject(cmd, "options");
	for (size_t i = 0; i < sizeof study_subs / sizeof study_subs[0]; i++) {
		const struct cmd_sub *s = &study_subs[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "type", OPT_SUBCOMMAND);
		cJSON_AddStringToObject(j, "name", s->name);
		cJSON_AddStringToObject(j, "description", s->desc);
		if (s->opts) {
			cJSON *opts = cJSON_AddArrayToObject(j, "options");
			for (const struct cmd_opt *op = s->opts; op->type; op++)
				cJSON_AddItemToArray(opts, option_json(op));
		}
		cJSON_AddItemToArray(subs, j);
	}
	cJSON *all = cJSON_CreateArray();
	cJSON_AddItemToArray(all, cmd);
	return json_take(all);
}

/* --- files: multipart/form-data ------------------------------------------------------ */

int dc_render_needs_multipart(const struct chat_msg *m)
{
	return m->nfiles > 0;
}

/* RFC 2046 boundary characters, without the space (allowed only inside). */
static bool boundary_ok(const char *b)
{
	size_t n = b ? strlen(b) : 0;
	if (n < 1 || n > 70)
		return false;
	return b[strspn(
	           b,
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'()+_,-./:=?")] ==
	       '\0';
}

static bool contains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (const char *p = hay; k && (size_t)(p - hay) + k <= n; p++) {
		p = memchr(p, needle[0], n - (size_t)(p - hay) - k + 1);
		if (!p)
			return false;
		if (memcmp(p, needle, k) == 0)
			return true;
	}
	return false;
}

/* A file name safe in a header and in attachment:// URLs: [A-Za-z0-9._-],
 * at most 100 bytes. Returns new. */
static char *safe_name(const char *name)
{
	char *s = xstrdup(has(name) ? name : "file");
	size_t n = strlen(s);
	if (n > 100)
		s[n = 100] = '\0';
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			s[i] = '_';
	}
	return s;
}

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {".csv", "text/csv; charset=utf-8"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".md", "text/markdown; charset=utf-8"},
	    {".json", "application/json"},
	    {".png", "image/png"},
	};
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t k = strlen(types[i].ext);
		if (n > k && str_ieq(name + n - k, types[i].ext))
			return types[i].type;
	}
	return "application/octet-stream";
}

/* Adds `attachments` to holder, prints payload (deleting it) and frames it
 * and m's files. */
static char *multipart(cJSON *payload, cJSON *holder, const struct chat_msg *m,
                       const char *boundary, size_t *len)
{
	*len = 0;
	size_t nfiles = m->nfiles < CHAT_MAX_FILES ? m->nfiles : CHAT_MAX_FILES;
	char *names[CHAT_MAX_FILES] = {0};
	size_t total = 0;
	bool ok = boundary_ok(boundary);
	for (size_t i = 0; i < nfiles; i++) {
		total += m->files[i].len;
		if (m->files[i].len > DC_FILE_MAX)
			ok = false;
	}
	if (total > DC_REQUEST_MAX)
		ok = false;
	if (!ok) {
		cJSON_Delete(payload);
		return NULL;
	}
	cJSON *att = cJSON_AddArrayToObject(holder, "attachments");
	for (size_t i = 0; i < nfiles; i++) {
		char id[24];
		snprintf(id, sizeof id, "%zu", i);
		names[i] = safe_name(m->files[i].name);
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "id", id); /* the snowflake placeholder n of files[n] */
		cJSON_AddStringToObject(a, "filename", names[i]);
		cJSON_AddItemToArray(att, a);
	}
	char *json = json_take(payload);
	ok = !contains(json, strlen(json), boundary);
	for (size_t i = 0; i < nfiles && ok; i++)
		ok = !m->files[i].data || !contains(m->files[i].data, m->files[i].len, boundary);

	struct buf b;
	buf_init(&b, DC_REQUEST_MAX + 64 * 1024);
	enum sb_rc rc = ok ? SB_OK : SB_ERR_INVALID;
	if (rc == SB_OK)
		rc = buf_printf(&b,
		                "--%s\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n"
		                "Content-Type: application/json\r\n\r\n%s\r\n",
		                boundary, json);
	for (size_t i = 0; i < nfiles && rc == SB_OK; i++) {
		rc = buf_printf(&b,
		                "--%s\r\nContent-Disposition: form-data; name=\"files[%zu]\"; "
		                "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n",
		                boundary, i, names[i], content_type(names[i]));
		if (rc == SB_OK && m->files[i].len)
			rc = buf_add(&b, m->files[i].data, m->files[i].len);
		if (rc == SB_OK)
			rc = buf_adds(&b, "\r\n");
	}
	if (rc == SB_OK)
		rc = buf_printf(&b, "--%s--\r\n", boundary);
	free(json);
	for (size_t i = 0; i < nfiles; i++)
		free(names[i]);
	if (rc != SB_OK) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_take(&b);
}

char *dc_render_multipart(const struct chat_msg *m, const char *nonce, const char *boundary,
                          size_t *len)
{
	cJSON *o = message_json(m, m->nfiles > 0);
	add_nonce(o, nonce);
	return multipart(o, o, m, boundary, len);
}

char *dc_render_reply_multipart(const struct action *a, const char *boundary, size_t *len)
{
	cJSON *o = reply_json(a, a->msg.nfiles > 0);
	return multipart(o, cJSON_GetObjectItemCaseSensitive(o, "data"), &a->msg, boundary, len);
}

char *dc_render_followup_multipart(const struct action *a, const char *boundary, size_t *len)
{
	cJSON *o = message_json(&a->msg, a->msg.nfiles > 0);
	if (!a->public_reply)
		cJSON_AddNumberToObject(o, "flags", FLAG_EPHEMERAL);
	return multipart(o, o, &a->msg, boundary, len);
}
