#include "discord/dc_event.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/str.h"

#define PERM_ADMINISTRATOR (1ull << 3)
#define PERM_MANAGE_GUILD  (1ull << 5)
#define OPT_NAME_MAX       32 /* characters of a command option name */
#define CUSTOM_ID_MAX      100

enum {
	OPT_SUB_COMMAND = 1,
	OPT_SUB_COMMAND_GROUP = 2,
	OPT_INTEGER = 4,
	OPT_USER = 6,
	OPT_CHANNEL = 7,
	OPT_ROLE = 8,
	OPT_MENTIONABLE = 9,
	OPT_ATTACHMENT = 11,
};

enum { COMP_ACTION_ROW = 1, COMP_TEXT_INPUT = 4, COMP_LABEL = 18 };

enum {
	CH_ANNOUNCEMENT_THREAD = 10,
	CH_PUBLIC_THREAD = 11,
	CH_PRIVATE_THREAD = 12,
};

enum { MSG_DEFAULT = 0, MSG_REPLY = 19 };

/* --- typed access --------------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* A string member that is well-formed UTF-8, or NULL. */
static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);
	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	size_t n = strlen(v->valuestring);
	return utf8_invalid_at(v->valuestring, n) == n ? v->valuestring : NULL;
}

/* An integer member in [INT_MIN, INT_MAX]; false otherwise. */
static bool get_int(const cJSON *o, const char *key, int *out)
{
	const cJSON *v = get(o, key);
	if (!cJSON_IsNumber(v))
		return false;
	double d = v->valuedouble;
	if (d != floor(d) || d < -2147483648.0 || d > 2147483647.0)
		return false;
	*out = (int)d;
	return true;
}

static bool get_true(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(get(o, key));
}

/* Decimal text of a uint64_t: 1-20 digits without a leading zero (so each
 * number has exactly one spelling), within range. */
static bool u64_text(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > DC_ID_CHARS || (s[0] == '0' && n > 1) || strspn(s, "0123456789") != n)
		return false;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = (uint64_t)x;
	return true;
}

/* A snowflake: a string holding a non-zero u64_text(). */
static bool snowflake(const cJSON *v, uint64_t *out)
{
	return cJSON_IsString(v) && v->valuestring && u64_text(v->valuestring, out) && *out;
}

/* A required id: SB_ERR_INVALID when missing or malformed. With text, also
 * writes it (DC_ID_CHARS + 1 bytes). */
static enum sb_rc need_id(const cJSON *o, const char *key, uint64_t *out, char *text)
{
	const cJSON *v = get(o, key);
	if (!snowflake(v, out))
		return SB_ERR_INVALID;
	if (text)
		snprintf(text, DC_ID_CHARS + 1, "%s", v->valuestring);
	return SB_OK;
}

/* An optional id: absent or null is 0; present but malformed is invalid. */
static enum sb_rc opt_id(const cJSON *o, const char *key, uint64_t *out, char *text)
{
	const cJSON *v = get(o, key);
	*out = 0;
	if (!v || cJSON_IsNull(v))
		return SB_OK;
	return need_id(o, key, out, text);
}

/* --- names ------------------------------------------------------------------- */

/* The first non-empty one of nick, global name and username, cut to
 * DC_NAME_MAX bytes on a character boundary; "" when none. A name is only
 * shown, so one of the wrong type is skipped rather than refused. */
static void pick_name(const cJSON *member, const cJSON *user, char *out)
{
	const char *cands[] = {get_str(member, "nick"), get_str(user, "global_name"),
	                       get_str(user, "username")};
	out[0] = '\0';
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		if (!cands[i] || !*cands[i])
			continue;
		size_t n = utf8_floor(cands[i], strlen(cands[i]), DC_NAME_MAX);
		memcpy(out, cands[i], n);
		out[n] = '\0';
		return;
	}
}

/* --- interactions ------------------------------------------------------------------- */

/* Copies [s, s+n) into the pool; NULL when it does not fit. */
static const char *keep(struct dc_interaction *in, const char *s, size_t n)
{
	if (n >= DC_POOL_MAX - in->pool_len)
		return NULL;
	char *p = in->pool + in->pool_len;
	memcpy(p, s, n);
	p[n] = '\0';
	in->pool_len += n + 1;
	return p;
}

static enum sb_rc keep_str(struct dc_interaction *in, const char *s, size_t max, const char **out)
{
	size_t n = strlen(s);
	if (n > max)
		return SB_ERR_TOOBIG;
	*out = keep(in, s, n);
	return *out ? SB_OK : SB_ERR_TOOBIG;
}

static enum sb_rc add_opt(struct dc_interaction *in, const char *name, const char *value)
{
	struct event *ev = &in->ev;
	if (ev->nopts == EV_MAX_OPTS)
		return SB_ERR_TOOBIG;
	struct ev_opt *o = &ev->opts[ev->nopts];
	enum sb_rc rc = keep_str(in, name, DC_VALUE_MAX, &o->name);
	if (rc == SB_OK)
		rc = keep_str(in, value, DC_VALUE_MAX, &o->value);
	if (rc == SB_OK)
		ev->nopts++;
	return rc;
}

/* A custom id as Discord allows it: 1-100 characters. */
static const char *custom_id(const cJSON *o)
{
	const char *s = get_str(o, "custom_id");
	if (!s || !*s || utf8_len(s, strlen(s)) > CUSTOM_ID_MAX)
		return NULL;
	return s;
}

/* An option's value as text: strings as they are, numbers written out
 * (integers without a fraction), booleans as true/false; ids of users,
 * channels, roles and attachments must be snowflakes. */
static enum sb_rc opt_value(const cJSON *opt, int type, char *num, size_t numsz, const char **out)
{
	const cJSON *v = get(opt, "value");
	uint64_t id;
	*out = NULL;
	switch (type) {
	case OPT_USER:
	case OPT_CHANNEL:
	case OPT_ROLE:
	case OPT_MENTIONABLE:
	case OPT_ATTACHMENT:
		if (!snowflake(v, &id))
			return SB_ERR_INVALID;
		*out = v->valuestring;
		return SB_OK;
	default:
		break;
	}
	if (cJSON_IsString(v)) {
		*out = get_str(opt, "value");
		return *out ? SB_OK : SB_ERR_INVALID;
	}
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v) ? "true" : "false";
		return SB_OK;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		/* 2^53: beyond it a double no longer holds every integer. */
		if (d == floor(d) && fabs(d) <= 9007199254740992.0)
			snprintf(num, numsz, "%lld", (long long)d);
		else if (type == OPT_INTEGER)
			return SB_ERR_INVALID;
		else
			snprintf(num, numsz, "%.17g", d);
		*out = num;
		return SB_OK;
	}
	return SB_ERR_INVALID;
}

static enum sb_rc parse_command(const cJSON *data, struct dc_interaction *in)
{
	const char *name = get_str(data, "name");
	int ctype = 1;
	if (!name)
		return SB_ERR_INVALID;
	if (get(data, "type") && !get_int(data, "type", &ctype))
		return SB_ERR_INVALID;
	if (strcmp(name, "study") != 0 || ctype != 1)
		return SB_ERR_NOTFOUND; /* a command of another app version, or a menu command */
	const cJSON *opts = get(data, "options");
	const cJSON *sub = cJSON_IsArray(opts) ? cJSON_GetArrayItem(opts, 0) : NULL;
	int type;
	if (!cJSON_IsObject(sub) || !get_int(sub, "type", &type) || type != OPT_SUB_COMMAND)
		return SB_ERR_INVALID;
	const char *cmd = get_str(sub, "name");
	if (!cmd || !*cmd || utf8_len(cmd, strlen(cmd)) > OPT_NAME_MAX)
		return SB_ERR_INVALID;
	enum sb_rc rc = keep_str(in, cmd, DC_VALUE_MAX, &in->ev.command);
	const cJSON *args = get(sub, "options");
	if (rc != SB_OK || !args || cJSON_IsNull(args))
		return rc;
	if (!cJSON_IsArray(args))
		return SB_ERR_INVALID;
	const cJSON *a;
	cJSON_ArrayForEach(a, args)
	{
		const char *aname = get_str(a, "name"), *value;
		char num[32];
		if (!aname || !*aname || utf8_len(aname, strlen(aname)) > OPT_NAME_MAX ||
		    !get_int(a, "type", &type) || type == OPT_SUB_COMMAND ||
		    type == OPT_SUB_COMMAND_GROUP)
			return SB_ERR_INVALID;
		rc = opt_value(a, type, num, sizeof num, &value);
		if (rc == SB_OK)
			rc = add_opt(in, aname, value);
		if (rc != SB_OK)
			return rc;
	}
	return SB_OK;
}

static enum sb_rc text_input(const cJSON *c, struct dc_interaction *in)
{
	const char *id = custom_id(c);
	const cJSON *v = get(c, "value");
	const char *value = "";
	if (!id)
		return SB_ERR_INVALID;
	if (v && !cJSON_IsNull(v)) {
		value = get_str(c, "value");
		if (!value)
			return SB_ERR_INVALID;
	}
	return add_opt(in, id, value);
}

/* Text inputs of a submitted modal: in action rows (type 1) or in labels
 * (type 18); other components (text displays, selects) carry nothing the
 * core reads. */
static enum sb_rc modal_components(const cJSON *comps, struct dc_interaction *in, int depth)
{
	if (!cJSON_IsArray(comps))
		return SB_ERR_INVALID;
	const cJSON *c;
	cJSON_ArrayForEach(c, comps)
	{
		int type;
		enum sb_rc rc = SB_OK;
		if (!cJSON_IsObject(c) || !get_int(c, "type", &type))
			return SB_ERR_INVALID;
		if (type == COMP_TEXT_INPUT) {
			rc = text_input(c, in);
		} else if (depth == 0 && type == COMP_ACTION_ROW) {
			rc = modal_components(get(c, "components"), in, depth + 1);
		} else if (depth == 0 && type == COMP_LABEL) {
			const cJSON *inner = get(c, "component");
			int itype;
			if (!cJSON_IsObject(inner) || !get_int(inner, "type", &itype))
				return SB_ERR_INVALID;
			if (itype == COMP_TEXT_INPUT)
				rc = text_input(inner, in);
		}
		if (rc != SB_OK)
			return rc;
	}
	return SB_OK;
}

/* Who, where, and whether they may administer: fields every interaction
 * but PING has. */
static enum sb_rc parse_context(const cJSON *root, struct dc_interaction *in)
{
	struct event *ev = &in->ev;
	enum sb_rc rc = opt_id(root, "guild_id", &in->guild_id, in->guild);
	if (rc != SB_OK)
		return rc;
	ev->workspace = in->guild_id ? in->guild : NULL;

	const cJSON *channel = get(root, "channel");
	if (get(root, "channel_id"))
		rc = need_id(root, "channel_id", &in->channel_id, in->channel);
	else
		rc = need_id(channel, "id", &in->channel_id, in->channel);
	if (rc != SB_OK)
		return rc;
	ev->channel = in->channel;
	/* In a thread, the channel with the round is the thread's parent. */
	int ctype;
	uint64_t parent;
	if (get_int(channel, "type", &ctype) &&
	    (ctype == CH_ANNOUNCEMENT_THREAD || ctype == CH_PUBLIC_THREAD ||
	     ctype == CH_PRIVATE_THREAD) &&
	    snowflake(get(channel, "parent_id"), &parent)) {
		in->thread_id = in->channel_id;
		snprintf(in->channel, sizeof in->channel, "%llu", (unsigned long long)parent);
	}

	const cJSON *member = get(root, "member"), *user;
	if (member && !cJSON_IsNull(member)) {
		if (!cJSON_IsObject(member))
			return SB_ERR_INVALID;
		user = get(member, "user");
		uint64_t perms;
		const cJSON *p = get(member, "permissions");
		/* Decimal text that may outgrow 53 bits: parsed as uint64_t; an
		 * unreadable one grants nothing. */
		if (cJSON_IsString(p) && p->valuestring && u64_text(p->valuestring, &perms))
			ev->admin = (perms & (PERM_MANAGE_GUILD | PERM_ADMINISTRATOR)) != 0;
	} else {
		member = NULL;
		user = get(root, "user"); /* a DM */
	}
	rc = need_id(user, "id", &in->user_id, in->user);
	if (rc != SB_OK)
		return rc;
	ev->user = in->user;
	char name[DC_NAME_MAX + 1];
	pick_name(member, user, name);
	if (*name)
		return keep_str(in, name, DC_NAME_MAX, &ev->user_name);
	return SB_OK;
}

static enum sb_rc parse_interaction(const cJSON *root, struct dc_interaction *in)
{
	if (!cJSON_IsObject(root))
		return SB_ERR_INVALID;
	enum sb_rc rc = need_id(root, "id", &in->id, NULL);
	if (rc == SB_OK)
		rc = need_id(root, "application_id", &in->application_id, NULL);
	if (rc != SB_OK)
		return rc;
	const char *token = get_str(root, "token");
	if (!token || !*token)
		return SB_ERR_INVALID;
	if (strlen(token) >= sizeof in->token)
		return SB_ERR_TOOBIG;
	snprintf(in->token, sizeof in->token, "%s", token);
	if (!get_int(root, "type", &in->type))
		return SB_ERR_INVALID;
	if (in->type == DC_PING) {
		in->ping = true;
		return SB_ERR_NOTFOUND;
	}
	if (in->type != DC_APPLICATION_COMMAND && in->type != DC_MESSAGE_COMPONENT &&
	    in->type != DC_MODAL_SUBMIT)
		return SB_ERR_INVALID;
	const cJSON *data = get(root, "data");
	if (!cJSON_IsObject(data))
		return SB_ERR_INVALID;
	rc = parse_context(root, in);
	if (rc != SB_OK)
		return rc;

	struct event *ev = &in->ev;
	const char *id;
	switch (in->type) {
	case DC_APPLICATION_COMMAND:
		ev->type = EV_COMMAND;
		return parse_command(data, in);
	case DC_MESSAGE_COMPONENT:
		ev->type = EV_BUTTON;
		id = custom_id(data);
		if (!id)
			return SB_ERR_INVALID;
		rc = opt_id(get(root, "message"), "id", &in->message_id, NULL);
		if (rc != SB_OK)
			return rc;
		return keep_str(in, id, CUSTOM_ID_MAX * 4, &ev->id);
	default: /* DC_MODAL_SUBMIT */
		ev->type = EV_FORM;
		id = custom_id(data);
		if (!id)
			return SB_ERR_INVALID;
		rc = keep_str(in, id, CUSTOM_ID_MAX * 4, &ev->id);
		if (rc == SB_OK)
			rc = modal_components(get(data, "components"), in, 0);
		return rc;
	}
}

enum sb_rc dc_parse_interaction(const char *json, size_t len, struct dc_interaction *out)
{
	/* The pool needs no clearing: only what the event points at is read. */
	memset(out, 0, offsetof(struct dc_interaction, pool));
	if (len > DC_JSON_MAX)
		return SB_ERR_TOOBIG;
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!root)
		return SB_ERR_INVALID;
	enum sb_rc rc = parse_interaction(root, out);
	cJSON_Delete(root);
	if (rc != SB_OK) {
		bool ping = out->ping;
		memset(&out->ev, 0, sizeof out->ev);
		out->ping = ping;
	}
	return rc;
}

/* --- messages ------------------------------------------------------------------------ */

/* Whether a message is one the core reads: cheap checks first, since most
 * messages in a busy guild are not. */
static enum sb_rc message_for_us(const cJSON *root)
{
	const cJSON *webhook = get(root, "webhook_id"), *author = get(root, "author");
	int type;
	if (webhook && !cJSON_IsNull(webhook))
		return SB_ERR_NOTFOUND;
	if (!cJSON_IsObject(author))
		return SB_ERR_INVALID;
	if (get_true(author, "bot") || get_true(author, "system"))
		return SB_ERR_NOTFOUND;
	if (!get_int(root, "type", &type))
		return SB_ERR_INVALID;
	if (type != MSG_DEFAULT && type != MSG_REPLY)
		return SB_ERR_NOTFOUND;
	return SB_OK;
}

static enum sb_rc parse_message(const cJSON *root, struct dc_message *m)
{
	if (!cJSON_IsObject(root))
		return SB_ERR_INVALID;
	enum sb_rc rc = message_for_us(root);
	const cJSON *author = get(root, "author"), *member = get(root, "member");
	if (rc == SB_OK)
		rc = need_id(root, "id", &m->id, NULL);
	if (rc == SB_OK)
		rc = need_id(root, "channel_id", &m->channel_id, m->channel);
	if (rc == SB_OK)
		rc = opt_id(root, "guild_id", &m->guild_id, m->guild);
	if (rc == SB_OK)
		rc = need_id(author, "id", &m->author_id, m->user);
	if (rc != SB_OK)
		return rc;
	const cJSON *c = get(root, "content");
	if (!cJSON_IsString(c) || !c->valuestring)
		return SB_ERR_INVALID;
	size_t n = strlen(c->valuestring);
	if (n > DC_VALUE_MAX)
		return SB_ERR_TOOBIG;
	if (utf8_invalid_at(c->valuestring, n) != n)
		return SB_ERR_INVALID;
	if (n == 0)
		return SB_ERR_NOTFOUND;
	memcpy(m->text, c->valuestring, n + 1);
	pick_name(cJSON_IsObject(member) ? member : NULL, author, m->name);

	struct event *ev = &m->ev;
	ev->type = EV_MESSAGE;
	ev->workspace = m->guild_id ? m->guild : NULL;
	ev->channel = m->channel;
	ev->thread = m->channel;
	ev->user = m->user;
	ev->user_name = *m->name ? m->name : NULL;
	ev->text = m->text;
	return SB_OK;
}

enum sb_rc dc_parse_message(const char *json, size_t len, struct dc_message *out)
{
	memset(out, 0, offsetof(struct dc_message, text));
	out->text[0] = '\0';
	if (len > DC_JSON_MAX)
		return SB_ERR_TOOBIG;
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!root)
		return SB_ERR_INVALID;
	enum sb_rc rc = parse_message(root, out);
	cJSON_Delete(root);
	if (rc != SB_OK)
		memset(&out->ev, 0, sizeof out->ev);
	return rc;
}
