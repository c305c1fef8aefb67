/* Slack Block Kit payloads of the core's messages and forms (see
 * sk_render.h). Every mrkdwn text object is sent with "verbatim": true, so
 * Slack does not auto-parse member text into mentions or channel links;
 * the links sk_mrkdwn() builds still work.
 *
 * Ownership: each sk_render_* returns a malloc'd string the caller frees;
 * the cJSON trees built here are deleted before returning. */
#include "slack/sk_render.h"

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

#define ELLIPSIS        "\xe2\x80\xa6"
#define HEADER_MAX      150
#define BUTTON_TEXT_MAX 75
#define ACTION_ID_MAX   255
#define BUTTON_VALUE    2000
#define ACTIONS_MAX     25 /* elements of one actions block */
#define TITLE_MAX       24 /* a modal's title, submit and close */
#define LABEL_MAX       2000
#define PLACEHOLDER_MAX 150
#define METADATA_MAX    3000
#define FIELD_NAME_MAX  250 /* of a field's section: the value gets the rest */
#define FALLBACK_MAX    3000
#define ERROR_TEXT_MAX  2000

static bool has(const char *s)
{
	return s && *s;
}

static size_t chars(const char *s)
{
	return utf8_len(s, strlen(s));
}

/* Line breaks and tabs in s as spaces, in place. */
static void flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

/* s as plain text: well-formed UTF-8 (bad bytes become U+FFFD), line
 * breaks as spaces when one_line, cut to max characters with "…".
 * Returns new. */
static char *plain(const char *s, size_t max, bool one_line)
{
	char *t = utf8_repair(s);
	if (one_line)
		flatten(t);
	if (chars(t) <= max)
		return t;
	size_t off = max ? utf8_offset(t, max - 1) : 0;
	char *c = xmalloc(off + sizeof ELLIPSIS);
	memcpy(c, t, off);
	memcpy(c + off, max ? ELLIPSIS : "", max ? sizeof ELLIPSIS : 1);
	free(t);
	return c;
}

/* Well-formed UTF-8 of at most max characters. */
static bool fits(const char *s, size_t max)
{
	size_t n = strlen(s);
	return utf8_invalid_at(s, n) == n && utf8_len(s, n) <= max;
}

/* An id Slack hands back as sent: 1 to max characters of UTF-8. */
static bool id_ok(const char *id, size_t max)
{
	return has(id) && fits(id, max);
}

static cJSON *text_obj(const char *type, const char *text)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "type", type);
	cJSON_AddStringToObject(t, "text", text);
	if (strcmp(type, "mrkdwn") == 0)
		cJSON_AddBoolToObject(t, "verbatim", 1);
	else
		cJSON_AddBoolToObject(t, "emoji", 1);
	return t;
}

/* Takes text (new). */
static void add_section(cJSON *blocks, char *text)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "type", "section");
	cJSON_AddItemToObject(s, "text", text_obj("mrkdwn", text));
	cJSON_AddItemToArray(blocks, s);
	free(text);
}

/* --- messages --------------------------------------------------------------- */

static const char *button_style(int style)
{
	/* Slack has green "primary" and red "danger"; the rest is plain. */
	switch (style) {
	case STYLE_PRIMARY:
	case STYLE_SUCCESS:
		return "primary";
	case STYLE_DANGER:
		return "danger";
	default:
		return NULL;
	}
}

static bool id_in(cJSON *elements, const char *id)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, elements)
	{
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "action_id");
		if (cJSON_IsString(a) && strcmp(a->valuestring, id) == 0)
			return true;
	}
	return false;
}

/* The buttons as actions blocks of up to 25; returns how many blocks. */
static size_t count_action_blocks(const struct chat_msg *m)
{
	size_t ok = 0;
	for (size_t i = 0; i < m->nbuttons && i < CHAT_MAX_BUTTONS; i++)
		ok += id_ok(m->buttons[i].id, ACTION_ID_MAX);
	return (ok + ACTIONS_MAX - 1) / ACTIONS_MAX;
}

static void add_buttons(cJSON *blocks, const struct chat_msg *m)
{
	cJSON *elements = NULL;
	for (size_t i = 0; i < m->nbuttons && i < CHAT_MAX_BUTTONS; i++) {
		const struct chat_button *bt = &m->buttons[i];
		if (!id_ok(bt->id, ACTION_ID_MAX)) {
			log_warn("button left out: its custom id is empty, too long or not UTF-8",
			         "label=%s", log_q(bt->label));
			continue;
		}
		if (!elements || cJSON_GetArraySize(elements) == ACTIONS_MAX) {
			cJSON *a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "type", "actions");
			elements = cJSON_AddArrayToObject(a, "elements");
			cJSON_AddItemToArray(blocks, a);
		}
		if (id_in(elements, bt->id)) {
			/* Slack refuses a block with two equal action_ids. */
			log_warn("button left out: another one has the same custom id", "id=%s",
			         log_q(bt->id));
			continue;
		}
		char *label = plain(bt->label, BUTTON_TEXT_MAX, true);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "type", "button");
		/* A button needs text. */
		cJSON_AddItemToObject(e, "text",
		                      text_obj("plain_text", *str_trim(label) ? label : ELLIPSIS));
		cJSON_AddStringToObject(e, "action_id", bt->id);
		if (strlen(bt->id) <= BUTTON_VALUE)
			cJSON_AddStringToObject(e, "value", bt->id);
		const char *style = button_style(bt->style);
		if (style)
			cJSON_AddStringToObject(e, "style", style);
		cJSON_AddItemToArray(elements, e);
		free(label);
	}
}

/* A field's section text, "*name*\nvalue", within a section's limit.
 * Returns new, or NULL when both are blank. */
static char *field_text(const struct chat_field *f)
{
	char *name = has(f->name) ? sk_mrkdwn(f->name, FIELD_NAME_MAX) : xstrdup("");
	str_trim(name);
	size_t room = SK_TEXT_MAX - (*name ? chars(name) + 3 : 0);
	char *value = has(f->value) ? sk_mrkdwn(f->value, room) : xstrdup("");
	struct buf b;
	buf_init(&b, 64 * 1024);
	buf_add(&b, "", 0);
	if (*name)
		buf_printf(&b, "*%s*", name);
	if (*name && *value)
		buf_addc(&b, '\n');
	buf_adds(&b, value);
	free(name);
	free(value);
	if (!*str_trim(b.data)) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* m's blocks appended to blocks, using at most budget of them; content
 * that does not fit ends with a "…" section, keeping the title, buttons
 * and footer. Returns how many were used. */
static size_t add_message(cJSON *blocks, const struct chat_msg *m, size_t budget)
{
	size_t before = (size_t)cJSON_GetArraySize(blocks);
	size_t fixed = (has(m->title) ? 1 : 0) + count_action_blocks(m) + (has(m->footer) ? 1 : 0);
	if (fixed > budget)
		return 0;
	size_t room = budget - fixed;
	if (has(m->title)) {
		char *t = plain(m->title, HEADER_MAX, true);
		if (*str_trim(t)) {
			cJSON *h = cJSON_CreateObject();
			cJSON_AddStringToObject(h, "type", "header");
			cJSON_AddItemToObject(h, "text", text_obj("plain_text", t));
			cJSON_AddItemToArray(blocks, h);
		}
		free(t);
	}
	/* Content: the text's sections, then one per field. */
	size_t nf = m->nfields < CHAT_MAX_FIELDS ? m->nfields : CHAT_MAX_FIELDS;
	size_t cap = room + 1; /* one more to learn whether all fit */
	char **content = xcalloc(cap, sizeof *content);
	size_t n = 0;
	bool more = false;
	if (has(m->text))
		n = sk_mrkdwn_split(m->text, SK_TEXT_MAX, content, cap, &more);
	for (size_t i = 0; i < nf && !more; i++) {
		char *t = field_text(&m->fields[i]);
		if (!t)
			continue;
		if (n == cap) {
			free(t);
			more = true;
			break;
		}
		content[n++] = t;
	}
	/* When not all fit, the last slot says that something was left out. */
	bool cut = n > room || more;
	size_t keep = n;
	if (cut)
		keep = room ? room - 1 : 0;
	for (size_t i = 0; i < n; i++) {
		if (i < keep)
			add_section(blocks, content[i]);
		else
			free(content[i]);
	}
	if (cut && room)
		add_section(blocks, xstrdup(ELLIPSIS));
	free(content);
	add_buttons(blocks, m);
	if (has(m->footer)) {
		char *f = sk_mrkdwn(m->footer, SK_TEXT_MAX);
		if (*f) {
			cJSON *c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "type", "context");
			cJSON *el = cJSON_AddArrayToObject(c, "elements");
			cJSON_AddItemToArray(el, text_obj("mrkdwn", f));
			cJSON_AddItemToArray(blocks, c);
		}
		free(f);
	}
	return (size_t)cJSON_GetArraySize(blocks) - before;
}

/* The notification text: the title and the text's first line, else the
 * first field, else a word. Returns new. */
static char *fallback(const struct chat_msg *m)
{
	struct buf b;
	buf_init(&b, 64 * 1024);
	buf_add(&b, "", 0);
	if (has(m->title))
		buf_adds(&b, m->title);
	if (has(m->text)) {
		const char *t = m->text + strspn(m->text, " \n\r\t");
		if (str_starts(t, "```")) /* the code, not its fence */
			t += strcspn(t, "\n") + (t[strcspn(t, "\n")] ? 1 : 0);
		size_t k = strcspn(t, "\n");
		if (k > 1000)
			k = 1000;
		if (k && b.len)
			buf_adds(&b, ": ");
		buf_add(&b, t, k);
	}
	if (!b.len && m->nfields && has(m->fields[0].name))
		buf_adds(&b, m->fields[0].name);
	/* One line: sk_mrkdwn() repairs the UTF-8 and cuts to the limit. */
	flatten(b.data);
	char *out = sk_mrkdwn(b.len ? b.data : "studybot", FALLBACK_MAX);
	buf_free(&b);
	return out;
}

/* "text" and "blocks" of m into o. */
static void add_body(cJSON *o, const struct chat_msg *m)
{
	char *fb = fallback(m);
	cJSON_AddStringToObject(o, "text", fb);
	free(fb);
	cJSON *blocks = cJSON_CreateArray();
	add_message(blocks, m, SK_BLOCKS_MAX);
	if (cJSON_GetArraySize(blocks))
		cJSON_AddItemToObject(o, "blocks", blocks);
	else
		cJSON_Delete(blocks);
}

char *sk_render_post(const struct chat_msg *m, const char *channel, const char *thread_ts)
{
	if (!m || !has(channel))
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "channel", channel);
	if (has(thread_ts))
		cJSON_AddStringToObject(o, "thread_ts", thread_ts);
	add_body(o, m);
	/* A link in a question must not pull a preview into the channel. */
	cJSON_AddBoolToObject(o, "unfurl_links", 0);
	cJSON_AddBoolToObject(o, "unfurl_media", 0);
	return json_take(o);
}

char *sk_render_ephemeral(const struct chat_msg *m, const char *channel, const char *user,
                          const char *thread_ts)
{
	if (!m || !has(channel) || !has(user))
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "channel", channel);
	cJSON_AddStringToObject(o, "user", user);
	if (has(thread_ts))
		cJSON_AddStringToObject(o, "thread_ts", thread_ts);
	/* chat.postEphemeral takes no unfurl_* arguments. */
	add_body(o, m);
	return json_take(o);
}

char *sk_render_response(const struct chat_msg *m, bool public_reply)
{
	if (!m)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "response_type", public_reply ? "in_channel" : "ephemeral");
	add_body(o, m);
	return json_take(o);
}

char *sk_render_home(const char *user_id, const struct chat_msg *msgs, size_t n)
{
	if (!has(user_id) || (n && !msgs))
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user_id", user_id);
	cJSON *view = cJSON_AddObjectToObject(o, "view");
	cJSON_AddStringToObject(view, "type", "home");
	cJSON *blocks = cJSON_AddArrayToObject(view, "blocks");
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		/* Room for this message, a divider before it, and a "…" after
		 * it should a later message no longer fit. */
		size_t sep = used ? 1 : 0, tail = i + 1 < n ? 1 : 0;
		if (used + sep + tail >= SK_VIEW_BLOCKS) {
			if (used < SK_VIEW_BLOCKS)
				add_section(blocks, xstrdup(ELLIPSIS));
			break;
		}
		if (sep) {
			cJSON *d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "type", "divider");
			cJSON_AddItemToArray(blocks, d);
		}
		size_t k = add_message(blocks, &msgs[i], SK_VIEW_BLOCKS - used - sep - tail);
		if (k == 0 && sep)
			cJSON_DeleteItemFromArray(blocks, cJSON_GetArraySize(blocks) - 1);
		used = (size_t)cJSON_GetArraySize(blocks);
	}
	if (!cJSON_GetArraySize(blocks)) /* a home view needs a block */
		add_section(blocks, xstrdup(ELLIPSIS));
	return json_take(o);
}

/* --- forms ------------------------------------------------------------------ */

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static cJSON *input_block(const struct chat_input *in)
{
	int max = clamp(in->max_len > 0 ? in->max_len : SK_TEXT_MAX, 1, SK_TEXT_MAX);
	int min = clamp(in->min_len, 0, max);
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "type", "input");
	cJSON_AddStringToObject(b, "block_id", in->id);
	char *label = plain(in->label, LABEL_MAX, true);
	cJSON_AddItemToObject(b, "label",
	                      text_obj("plain_text", *str_trim(label) ? label : ELLIPSIS));
	free(label);
	cJSON_AddBoolToObject(b, "optional", !in->required);
	cJSON *e = cJSON_AddObjectToObject(b, "element");
	cJSON_AddStringToObject(e, "type", "plain_text_input");
	cJSON_AddStringToObject(e, "action_id", in->id);
	cJSON_AddBoolToObject(e, "multiline", in->multiline);
	if (min > 0)
		cJSON_AddNumberToObject(e, "min_length", min);
	cJSON_AddNumberToObject(e, "max_length", max);
	if (has(in->value)) {
		/* The member's own text, as it was: only made well-formed and
		 * cut to what the input holds (Slack refuses more). */
		char *v = plain(in->value, (size_t)max, false);
		cJSON_AddStringToObject(e, "initial_value", v);
		free(v);
	}
	if (has(in->placeholder)) {
		char *p = plain(in->placeholder, PLACEHOLDER_MAX, true);
		cJSON_AddItemToObject(e, "placeholder", text_obj("plain_text", p));
		free(p);
	}
	return b;
}

char *sk_render_modal(const struct chat_form *f, const char *trigger_id,
                      const char *private_metadata)
{
	if (!f || !has(trigger_id) || !id_ok(f->id, ACTION_ID_MAX))
		return NULL;
	if (private_metadata && !fits(private_metadata, METADATA_MAX))
		return NULL; /* cut, it would name another channel */
	cJSON *blocks = cJSON_CreateArray();
	for (size_t i = 0; i < f->ninputs && i < CHAT_MAX_INPUTS; i++) {
		const struct chat_input *in = &f->inputs[i];
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup |=
			    has(f->inputs[k].id) && in->id && strcmp(f->inputs[k].id, in->id) == 0;
		if (!id_ok(in->id, ACTION_ID_MAX) || dup) {
			log_warn("form input left out: its id is empty, too long, not UTF-8 or "
			         "repeated",
			         "form=%s", log_q(f->id));
			continue;
		}
		cJSON_AddItemToArray(blocks, input_block(in));
	}
	if (cJSON_GetArraySize(blocks) == 0) {
		cJSON_Delete(blocks);
		return NULL;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "trigger_id", trigger_id);
	cJSON *v = cJSON_AddObjectToObject(o, "view");
	cJSON_AddStringToObject(v, "type", "modal");
	cJSON_AddStringToObject(v, "callback_id", f->id);
	char *title = plain(f->title, TITLE_MAX, true);
	cJSON_AddItemToObject(v, "title",
	                      text_obj("plain_text", *str_trim(title) ? title : "studybot"));
	free(title);
	cJSON_AddItemToObject(v, "submit", text_obj("plain_text", "Submit"));
	cJSON_AddItemToObject(v, "close", text_obj("plain_text", "Cancel"));
	cJSON_AddStringToObject(v, "private_metadata", private_metadata ? private_metadata : "");
	cJSON_AddItemToObject(v, "blocks", blocks);
	return json_take(o);
}

char *sk_render_form_errors(const char *input_id, const char *text)
{
	if (!has(input_id) || !text)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "response_action", "errors");
	cJSON *e = cJSON_AddObjectToObject(o, "errors");
	char *t = plain(has(text) ? text : "Please check this field.", ERROR_TEXT_MAX, false);
	cJSON_AddStringToObject(e, input_id, t);
	free(t);
	return json_take(o);
}
