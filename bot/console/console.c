#include "console.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define BOLD  "\033[1m"
#define DIM   "\033[2m"
#define RESET "\033[0m"

void console_init(struct console *k, struct core *core, FILE *out, bool color, const char *zone)
{
	memset(k, 0, sizeof *k);
	k->core = core;
	k->out = out;
	k->color = color;
	/* Loaded once: every transcript line is stamped with it. UTC if the
	 * name is unknown, so a bad zone costs only the display. */
	if (tz_load(zone, &k->zone) != SB_OK && tz_load("UTC", &k->zone) != SB_OK)
		k->zone = NULL;
}

void console_free(struct console *k)
{
	for (size_t i = 0; i < k->nmsgs; i++) {
		free(k->msgs[i].channel);
		chat_msg_free(&k->msgs[i].msg);
	}
	free(k->msgs);
	free(k->form_id);
	free(k->form_value);
	tz_free(k->zone);
	memset(k, 0, sizeof *k);
}

/* Markdown for a terminal: **bold** becomes bold (or plain) outside code,
 * the rest is shown as written, indented under its sender. */
static void put_md(struct console *k, const char *s, const char *indent)
{
	fputs(indent, k->out);
	bool bold = false, code = false, fence = false;
	for (const char *p = s; *p; p++) {
		if (strncmp(p, "```", 3) == 0) {
			fence = !fence;
			fputs("```", k->out);
			p += 2;
			continue;
		}
		if (*p == '`' && !fence)
			code = !code;
		if (p[0] == '*' && p[1] == '*' && !code && !fence) {
			bold = !bold;
			if (k->color)
				fputs(bold ? BOLD : RESET, k->out);
			p++;
			continue;
		}
		fputc(*p, k->out);
		if (*p == '\n') {
			code = false; /* inline code never spans lines */
			if (p[1])
				fputs(indent, k->out);
		}
	}
	if (k->color && bold)
		fputs(RESET, k->out);
	fputc('\n', k->out);
}

static void put_msg(struct console *k, const struct chat_msg *m, const char *indent)
{
	if (m->title) {
		fprintf(k->out, "%s%s%s%s\n", indent, k->color ? BOLD : "", m->title,
		        k->color ? RESET : "");
	}
	if (m->text && *m->text)
		put_md(k, m->text, indent);
	for (size_t i = 0; i < m->nfields; i++) {
		fprintf(k->out, "%s%s%s:%s\n", indent, k->color ? BOLD : "", m->fields[i].name,
		        k->color ? RESET : "");
		char deeper[32];
		snprintf(deeper, sizeof deeper, "%s  ", indent);
		put_md(k, m->fields[i].value, deeper);
	}
	if (m->nbuttons) {
		fputs(indent, k->out);
		for (size_t i = 0; i < m->nbuttons; i++)
			fprintf(k->out, "[ %s ] ", m->buttons[i].label);
		fputc('\n', k->out);
	}
	for (size_t i = 0; i < m->nfiles; i++)
		fprintf(k->out, "%s📎 %s (%zu bytes)\n", indent, m->files[i].name, m->files[i].len);
	if (m->footer)
		fprintf(k->out, "%s%s%s%s\n", indent, k->color ? DIM : "", m->footer,
		        k->color ? RESET : "");
}

static void stamp(struct console *k, int64_t now)
{
	struct civil cv = {0};
	if (k->zone)
		tz_local(k->zone, now, &cv);
	fprintf(k->out, "%s[%02d:%02d]%s ", k->color ? DIM : "", cv.hour, cv.min,
	        k->color ? RESET : "");
}

static void keep(struct console *k, const char *id, const char *where, bool dm,
                 const struct chat_msg *m)
{
	if (k->nmsgs == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 32;
		k->msgs = xrealloc(k->msgs, k->cap * sizeof *k->msgs);
	}
	struct console_msg *c = &k->msgs[k->nmsgs++];
	memset(c, 0, sizeof *c);
	snprintf(c->id, sizeof c->id, "%s", id);
	c->channel = xstrdup(where);
	c->dm = dm;
	if (m->title)
		c->msg.title = xstrdup(m->title);
	if (m->text)
		c->msg.text = xstrdup(m->text);
	for (size_t i = 0; i < m->nbuttons; i++)
		chat_msg_button(&c->msg, m->buttons[i].label, m->buttons[i].id,
		                m->buttons[i].style);
}

enum sb_rc console_deliver(struct console *k, const char *who, int64_t now)
{
	struct actions acts = {0};
	core_take_actions(k->core, &acts);
	enum sb_rc rc = SB_OK;
	for (size_t i = 0; i < acts.n; i++) {
		struct action *a = &acts.v[i];
		char id[24];
		stamp(k, now);
		switch (a->type) {
		case ACT_POST:
			snprintf(id, sizeof id, "m%lu", ++k->seq);
			fprintf(k->out, "#%s%s · studybot\n", a->channel,
			        a->thread_of ? " › thread" : "");
			put_msg(k, &a->msg, "    ");
			keep(k, id, a->channel, false, &a->msg);
			if (rc == SB_OK)
				rc = core_delivered(k->core, a, id, now);
			break;
		case ACT_DM:
			snprintf(id, sizeof id, "m%lu", ++k->seq);
			fprintf(k->out, "studybot → %s (private message)\n", a->user);
			put_msg(k, &a->msg, "    ");
			keep(k, id, a->user, true, &a->msg);
			if (rc == SB_OK)
				rc = core_delivered(k->core, a, id, now);
			break;
		case ACT_REPLY:
			if (a->public_reply)
				fprintf(k->out, "studybot, replying to %s\n", who ? who : "?");
			else
				fprintf(k->out, "studybot → %s (only they see this)\n",
				        who ? who : "?");
			put_msg(k, &a->msg, "    ");
			snprintf(id, sizeof id, "r%lu", ++k->seq);
			keep(k, id, who ? who : "", true, &a->msg);
			break;
		case ACT_FORM:
			fprintf(k->out, "%s opens the form \"%s\"\n", who ? who : "?",
			        a->form.title);
			free(k->form_id);
			free(k->form_value);
			k->form_id = xstrdup(a->form.id);
			k->form_value = a->form.ninputs && a->form.inputs[0].value
			                    ? xstrdup(a->form.inputs[0].value)
			                    : NULL;
			break;
		}
	}
	actions_free(&acts);
	fflush(k->out);
	return rc;
}

const char *console_find_button(const struct console *k, const char *text, const char *label)
{
	for (size_t i = k->nmsgs; i > 0; i--) {
		const struct console_msg *m = &k->msgs[i - 1];
		if (text && (!m->msg.text || strcmp(m->msg.text, text) != 0))
			continue;
		for (size_t b = 0; b < m->msg.nbuttons; b++)
			if (strncmp(m->msg.buttons[b].label, label, strlen(label)) == 0)
				return m->msg.buttons[b].id;
	}
	return NULL;
}

const char *console_last_form(const struct console *k, const char **value)
{
	if (value)
		*value = k->form_value;
	return k->form_id;
}
