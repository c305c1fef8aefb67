/* Prints Discord request bodies from the renderer, one JSON object a line:
 * {"endpoint": …, "name": …, "body": …}, for check_dc_schemas.py to
 * validate against Discord's OpenAPI description. Multipart bodies are
 * printed as a string with their "boundary". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat/chat.h"
#include "discord/dc_render.h"
#include "util/mem.h"

static void emit(const char *endpoint, const char *name, const char *body)
{
	cJSON *parsed = cJSON_Parse(body);
	if (!parsed) {
		fprintf(stderr, "%s: the renderer's output is not JSON\n", name);
		exit(1);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "endpoint", endpoint);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddItemToObject(o, "body", parsed);
	char *s = cJSON_PrintUnformatted(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
}

static void emit_multipart(const char *endpoint, const char *name, const char *body, size_t len,
                           const char *boundary)
{
	if (!body || strlen(body) != len) {
		fprintf(stderr, "%s: no multipart body, or one with a NUL byte\n", name);
		exit(1);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "endpoint", endpoint);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "boundary", boundary);
	cJSON_AddStringToObject(o, "body", body);
	char *s = cJSON_PrintUnformatted(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
}

static char *repeat(const char *unit, size_t times)
{
	size_t n = strlen(unit);
	char *s = xmalloc(n * times + 1);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * n, unit, n);
	s[n * times] = '\0';
	return s;
}

static void question(struct chat_msg *m)
{
	m->title = xstrdup("Question 12 · django · difficulty 2");
	m->text = xstrdup("What does `select_related` do, and when is "
	                  "**prefetch_related** the better choice?\n\n```python\n"
	                  "Book.objects.select_related(\"author\")\n```");
	chat_msg_field(m, "Deadline", "today 19:00 (in 10 hours)");
	chat_msg_field(m, "Topic", "django");
	m->footer = xstrdup("Answer privately with the button; answers are revealed at the "
	                    "deadline.");
	chat_msg_button(m, "Answer", "sb1:a:42", STYLE_PRIMARY);
	chat_msg_button(m, "Hint", "sb1:h:42", STYLE_SECONDARY);
	for (int i = 0; i < 4; i++) {
		char label[8], id[32];
		snprintf(label, sizeof label, "%c", 'A' + i);
		snprintf(id, sizeof id, "sb1:c:42:%d", i);
		chat_msg_button(m, label, id, STYLE_SUCCESS);
	}
}

static void huge(struct chat_msg *m)
{
	m->title = repeat("Title é ", 80);
	char *body = repeat("Ünïcödé text with a fence ```\ncode 🙂 @everyone\n", 300);
	m->text = body;
	for (int i = 0; i < CHAT_MAX_FIELDS; i++) {
		char *name = repeat("N", 300), *value = repeat("v€", 1200);
		chat_msg_field(m, name, value);
		free(name);
		free(value);
	}
	m->footer = repeat("footer ", 400);
	for (int i = 0; i < CHAT_MAX_BUTTONS; i++) {
		char id[32];
		char *label = repeat("Long label ", 12);
		snprintf(id, sizeof id, "sb1:r:%d:%d", 100 + i, 1 + i % 5);
		chat_msg_button(m, label, id, i % 4);
		free(label);
	}
}

int main(void)
{
	struct chat_msg m = {0};
	char *s;

	question(&m);
	s = dc_render_message(&m, "18c2f3a9b00-2a");
	emit("message", "question", s);
	free(s);
	chat_msg_free(&m);

	m.text = xstrdup("Plain **text** @here with no embed.");
	s = dc_render_message(&m, NULL);
	emit("message", "plain", s);
	free(s);
	chat_msg_free(&m);

	huge(&m);
	s = dc_render_message(&m, "n-1");
	emit("message", "huge", s);
	free(s);
	chat_msg_free(&m);

	m.text = repeat("long content without a title ", 200);
	chat_msg_field(&m, "", "  ");
	s = dc_render_message(&m, "n-2");
	emit("message", "fields_without_title", s);
	free(s);
	chat_msg_free(&m);

	s = dc_render_message(&m, "n-3");
	emit("message", "empty", s);
	free(s);

	struct action a = {.type = ACT_REPLY};
	a.msg.text = xstrdup("Your answer is saved. You can edit it until the deadline.");
	s = dc_render_reply(&a);
	emit("callback", "reply_private", s);
	free(s);
	a.public_reply = true;
	a.msg.title = xstrdup("Leaderboard · this week");
	s = dc_render_reply(&a);
	emit("callback", "reply_public", s);
	free(s);
	action_free(&a);

	a = (struct action){.type = ACT_REPLY};
	huge(&a.msg);
	s = dc_render_reply(&a);
	emit("callback", "reply_huge", s);
	free(s);
	action_free(&a);

	struct chat_form f = {0};
	f.id = xstrdup("sb1:fa:42");
	f.title = xstrdup("Your answer to a question with a very long title indeed");
	struct chat_input *in = chat_form_input(&f, "answer", "Answer");
	in->multiline = true;
	in->min_len = 1;
	in->max_len = 9000;
	in->value = repeat("ä", 5000);
	in->placeholder = repeat("What does select_related do? ", 10);
	s = dc_render_form(&f);
	emit("callback", "form_answer", s);
	free(s);
	chat_form_free(&f);

	f.id = xstrdup("sb1:fq");
	f.title = xstrdup("Add a question");
	in = chat_form_input(&f, "topic", "Topic (e.g. django)");
	in->max_len = 40;
	in = chat_form_input(&f, "difficulty", "Difficulty: 1, 2 or 3");
	in->max_len = 1;
	in = chat_form_input(&f, "prompt", "Question (one line)");
	in->min_len = 10;
	in->max_len = 300;
	in = chat_form_input(&f, "answer", "Model answer");
	in->multiline = true;
	in = chat_form_input(&f, "key_points", "Key points, one per line");
	in->multiline = true;
	in->required = false;
	in->max_len = 1000;
	s = dc_render_form(&f);
	emit("callback", "form_add", s);
	free(s);
	chat_form_free(&f);

	s = dc_render_commands();
	emit("commands", "study", s);
	free(s);

	const char *boundary = "sb-boundary-7f3a9c";
	size_t len;
	m.text = xstrdup("Answers, ratings and the points ledger of this channel, as CSV.");
	const char *csv = "round,member,text\r\n1,7,\"an, answer\"\r\n";
	chat_msg_file(&m, "answers.csv", csv, strlen(csv));
	chat_msg_file(&m, "ledger.csv", "", 0);
	s = dc_render_multipart(&m, "n-4", boundary, &len);
	emit_multipart("message_multipart", "export_post", s, len, boundary);
	free(s);

	a = (struct action){.type = ACT_REPLY};
	a.msg = m;
	s = dc_render_reply_multipart(&a, boundary, &len);
	emit_multipart("callback_multipart", "export_reply", s, len, boundary);
	free(s);
	s = dc_render_followup_multipart(&a, boundary, &len);
	emit_multipart("followup_multipart", "export_followup", s, len, boundary);
	free(s);
	action_free(&a);
	return 0;
}
