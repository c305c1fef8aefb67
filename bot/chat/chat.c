#include "chat.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/mem.h"

struct action *actions_push(struct actions *a, enum act_type type)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	struct action *act = &a->v[a->n++];
	memset(act, 0, sizeof *act);
	act->type = type;
	return act;
}

void actions_truncate(struct actions *a, size_t from)
{
	while (a->n > from)
		action_free(&a->v[--a->n]);
}

void actions_free(struct actions *a)
{
	actions_truncate(a, 0);
	free(a->v);
	a->v = NULL;
	a->cap = 0;
}

void chat_msg_free(struct chat_msg *m)
{
	free(m->title);
	free(m->text);
	free(m->footer);
	for (size_t i = 0; i < m->nfields; i++) {
		free(m->fields[i].name);
		free(m->fields[i].value);
	}
	for (size_t i = 0; i < m->nbuttons; i++) {
		free(m->buttons[i].label);
		free(m->buttons[i].id);
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].name);
		free(m->files[i].data);
	}
	memset(m, 0, sizeof *m);
}

void chat_form_free(struct chat_form *f)
{
	free(f->id);
	free(f->title);
	for (size_t i = 0; i < f->ninputs; i++) {
		struct chat_input *in = &f->inputs[i];
		free(in->id);
		free(in->label);
		free(in->value);
		free(in->placeholder);
	}
	memset(f, 0, sizeof *f);
}

void action_free(struct action *act)
{
	free(act->nonce);
	free(act->channel);
	free(act->thread_of);
	free(act->user);
	free(act->invalid_input);
	chat_msg_free(&act->msg);
	chat_form_free(&act->form);
	memset(act, 0, sizeof *act);
}

bool chat_msg_field(struct chat_msg *m, const char *name, const char *value)
{
	if (m->nfields == CHAT_MAX_FIELDS)
		return false;
	m->fields[m->nfields].name = xstrdup(name);
	m->fields[m->nfields].value = xstrdup(value);
	m->nfields++;
	return true;
}

bool chat_msg_button(struct chat_msg *m, const char *label, const char *id, int style)
{
	if (m->nbuttons == CHAT_MAX_BUTTONS)
		return false;
	m->buttons[m->nbuttons].label = xstrdup(label);
	m->buttons[m->nbuttons].id = xstrdup(id);
	m->buttons[m->nbuttons].style = style;
	m->nbuttons++;
	return true;
}

bool chat_msg_file(struct chat_msg *m, const char *name, const char *data, size_t len)
{
	if (m->nfiles == CHAT_MAX_FILES)
		return false;
	struct chat_file *f = &m->files[m->nfiles++];
	f->name = xstrdup(name);
	f->data = xmalloc(len + 1);
	if (len)
		memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	return true;
}

struct chat_input *chat_form_input(struct chat_form *f, const char *id, const char *label)
{
	if (f->ninputs == CHAT_MAX_INPUTS)
		return NULL;
	struct chat_input *in = &f->inputs[f->ninputs++];
	memset(in, 0, sizeof *in);
	in->id = xstrdup(id);
	in->label = xstrdup(label);
	in->max_len = 4000;
	in->required = true;
	return in;
}

const char *event_opt(const struct event *ev, const char *name)
{
	for (size_t i = 0; i < ev->nopts; i++)
		if (ev->opts[i].name && strcmp(ev->opts[i].name, name) == 0)
			return ev->opts[i].value;
	return NULL;
}

/* --- outbox serialisation --------------------------------------------------- */

static void put_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

char *action_to_json(const struct action *act)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "type", act->type);
	put_str(o, "channel", act->channel);
	put_str(o, "thread_of", act->thread_of);
	put_str(o, "user", act->user);
	if (act->question_round)
		cJSON_AddNumberToObject(o, "question_round", (double)act->question_round);
	const struct chat_msg *m = &act->msg;
	put_str(o, "title", m->title);
	put_str(o, "text", m->text);
	put_str(o, "footer", m->footer);
	cJSON *fields = cJSON_AddArrayToObject(o, "fields");
	for (size_t i = 0; i < m->nfields; i++) {
		cJSON *f = cJSON_CreateObject();
		put_str(f, "name", m->fields[i].name);
		put_str(f, "value", m->fields[i].value);
		cJSON_AddItemToArray(fields, f);
	}
	cJSON *buttons = cJSON_AddArrayToObject(o, "buttons");
	for (size_t i = 0; i < m->nbuttons; i++) {
		cJSON *b = cJSON_CreateObject();
		put_str(b, "label", m->buttons[i].label);
		put_str(b, "id", m->buttons[i].id);
		cJSON_AddNumberToObject(b, "style", m->buttons[i].style);
		cJSON_AddItemToArray(buttons, b);
	}
	/* Files are never posted through the outbox (exports are replies). */
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		abort(); /* cJSON only fails when out of memory; we abort on that everywhere */
	return s;
}

static char *get_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

enum sb_rc action_from_json(const char *json, struct action *out)
{
	memset(out, 0, sizeof *out);
	cJSON *o = cJSON_Parse(json);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return SB_ERR_INVALID;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "type");
	if (!cJSON_IsNumber(t) || (t->valueint != ACT_POST && t->valueint != ACT_DM)) {
		cJSON_Delete(o);
		return SB_ERR_INVALID;
	}
	out->type = (enum act_type)t->valueint;
	out->channel = get_str(o, "channel");
	out->thread_of = get_str(o, "thread_of");
	out->user = get_str(o, "user");
	const cJSON *qr = cJSON_GetObjectItemCaseSensitive(o, "question_round");
	if (cJSON_IsNumber(qr))
		out->question_round = (int64_t)qr->valuedouble;
	struct chat_msg *m = &out->msg;
	m->title = get_str(o, "title");
	m->text = get_str(o, "text");
	m->footer = get_str(o, "footer");
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "fields"))
	{
		char *n = get_str(it, "name"), *v = get_str(it, "value");
		if (n && v)
			chat_msg_field(m, n, v);
		free(n);
		free(v);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "buttons"))
	{
		char *l = get_str(it, "label"), *id = get_str(it, "id");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "style");
		if (l && id)
			chat_msg_button(m, l, id,
			                cJSON_IsNumber(st) ? st->valueint : STYLE_SECONDARY);
		free(l);
		free(id);
	}
	cJSON_Delete(o);
	bool ok = out->channel && (out->type == ACT_POST || out->user);
	if (!ok) {
		action_free(out);
		return SB_ERR_INVALID;
	}
	return SB_OK;
}
