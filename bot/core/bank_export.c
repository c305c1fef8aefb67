#include "bank_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../util/buf.h"
#include "../util/mem.h"

static cJSON *strings(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static cJSON *question_obj(const struct bank_question *q)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", q->id);
	cJSON_AddStringToObject(o, "topic", q->topic);
	cJSON_AddNumberToObject(o, "difficulty", q->difficulty);
	cJSON_AddItemToObject(o, "tags", strings(q->tags, q->ntags));
	cJSON_AddStringToObject(o, "prompt", q->prompt);
	cJSON_AddStringToObject(o, "body", q->body);
	cJSON_AddStringToObject(o, "answer", q->answer);
	cJSON_AddItemToObject(o, "hints", strings(q->hints, q->nhints));
	cJSON_AddItemToObject(o, "key_points", strings(q->key_points, q->nkey_points));
	cJSON *ch = cJSON_AddArrayToObject(o, "choices");
	for (size_t i = 0; i < q->nchoices; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "text", q->choices[i]);
		cJSON_AddBoolToObject(c, "correct", (int)i == q->correct);
		cJSON_AddItemToArray(ch, c);
	}
	cJSON_AddStringToObject(o, "hash", q->hash);
	char src[1024];
	snprintf(src, sizeof src, "%s:%d", q->file, q->line);
	cJSON_AddStringToObject(o, "source", src);
	return o;
}

/* cJSON_Print's memory comes from cJSON's allocator; hand back malloc'd. */
static char *print(cJSON *root)
{
	char *s = cJSON_Print(root);
	char *out = xstrdup(s ? s : "null");
	cJSON_free(s);
	cJSON_Delete(root);
	return out;
}

char *bank_export_json(const struct bank *b, const char *topic)
{
	if (topic && !bank_topic(b, topic))
		return NULL;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "format", BANK_JSON_FORMAT);
	cJSON *topics = cJSON_AddArrayToObject(root, "topics");
	for (size_t i = 0; i < b->ntopics; i++) {
		const struct bank_topic *t = &b->topics[i];
		if (topic && strcmp(t->slug, topic) != 0)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "slug", t->slug);
		cJSON_AddStringToObject(o, "title", t->title);
		cJSON_AddStringToObject(o, "intro", t->intro);
		cJSON_AddNumberToObject(o, "questions", (double)t->count);
		cJSON_AddItemToArray(topics, o);
	}
	cJSON *qs = cJSON_AddArrayToObject(root, "questions");
	for (size_t i = 0; i < b->nq; i++)
		if (!topic || strcmp(b->q[i].topic, topic) == 0)
			cJSON_AddItemToArray(qs, question_obj(&b->q[i]));
	return print(root);
}

static void md_list(struct buf *o, const char *heading, const char *const *v, size_t n)
{
	if (!n)
		return;
	buf_printf(o, "\n### %s\n", heading);
	for (size_t i = 0; i < n; i++) {
		/* multi-line items keep their lines, indented under the marker */
		buf_adds(o, "- ");
		for (const char *p = v[i]; *p; p++) {
			buf_addc(o, *p);
			if (*p == '\n')
				buf_adds(o, "  ");
		}
		buf_addc(o, '\n');
	}
}

char *bank_export_markdown(const struct bank *b, const char *topic)
{
	if (topic && !bank_topic(b, topic))
		return NULL;
	struct buf o;
	buf_init(&o, (size_t)1 << 30);
	for (size_t t = 0; t < b->ntopics; t++) {
		const struct bank_topic *tp = &b->topics[t];
		if (topic && strcmp(tp->slug, topic) != 0)
			continue;
		buf_printf(&o, "%s# %s\n", o.len ? "\n" : "", tp->title);
		if (*tp->intro)
			buf_printf(&o, "\n%s\n", tp->intro);
		for (size_t i = 0; i < b->nq; i++) {
			const struct bank_question *q = &b->q[i];
			if (strcmp(q->topic, tp->slug) != 0)
				continue;
			buf_printf(&o, "\n## %s\nid: %s\ndifficulty: %d\n", q->prompt, q->id,
			           q->difficulty);
			if (q->ntags) {
				buf_adds(&o, "tags: ");
				for (size_t k = 0; k < q->ntags; k++)
					buf_printf(&o, "%s%s", k ? ", " : "", q->tags[k]);
				buf_addc(&o, '\n');
			}
			if (*q->body)
				buf_printf(&o, "\n%s\n", q->body);
			buf_printf(&o, "\n### Answer\n%s\n", q->answer);
			md_list(&o, "Hints", q->hints, q->nhints);
			md_list(&o, "Key points", q->key_points, q->nkey_points);
			if (q->nchoices) {
				buf_adds(&o, "\n### Choices\n");
				for (size_t k = 0; k < q->nchoices; k++)
					buf_printf(&o, "- [%c] %s\n",
					           (int)k == q->correct ? 'x' : ' ', q->choices[k]);
			}
		}
	}
	return buf_take(&o);
}
