/* Bank parser: fields, every violation with its line, exports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "core/bank.h"
#include "core/bank_export.h"

static const char good[] =
    "# Django\n"                                                        /* 1 */
    "\n"                                                                /* 2 */
    "Questions about the request cycle.\n"                              /* 3 */
    "\n"                                                                /* 4 */
    "## What is middleware in Django, and how do you write your own?\n" /* 5 */
    "id: django-middleware\n"                                           /* 6 */
    "difficulty: 2\n"                                                   /* 7 */
    "tags: middleware, request-cycle\n"                                 /* 8 */
    "\n"                                                                /* 9 */
    "Some context for the task.\n"                                      /* 10 */
    "\n"                                                                /* 11 */
    "### Answer\n"                                                      /* 12 */
    "A callable that wraps `get_response`.\n"                           /* 13 */
    "\n"                                                                /* 14 */
    "```python\n"                                                       /* 15 */
    "def mw(get_response):\n"                                           /* 16 */
    "    return get_response\n"                                         /* 17 */
    "```\n"                                                             /* 18 */
    "\n"                                                                /* 19 */
    "### Hints\n"                                                       /* 20 */
    "- first hint\n"                                                    /* 21 */
    "- second hint\n"                                                   /* 22 */
    "  continued\n"                                                     /* 23 */
    "\n"                                                                /* 24 */
    "### Key points\n"                                                  /* 25 */
    "- get_response\n"                                                  /* 26 */
    "- MIDDLEWARE order | order of MIDDLEWARE\n"                        /* 27 */
    "\n"                                                                /* 28 */
    "## Which method runs for every request? ##\n"                      /* 29 */
    "id: django-mw-mcq\n"                                               /* 30 */
    "difficulty: 1\n"                                                   /* 31 */
    "\n"                                                                /* 32 */
    "### Answer\n"                                                      /* 33 */
    "`__call__`.\n"                                                     /* 34 */
    "\n"                                                                /* 35 */
    "### Choices\n"                                                     /* 36 */
    "- [ ] process_view only\n"                                         /* 37 */
    "- [x] __call__\n"                                                  /* 38 */
    "* [ ] process_exception\n";                                        /* 39 */

struct parsed {
	struct bank b;
	struct diags d;
	enum sb_rc rc;
};

static struct parsed *parse_as(const char *path, const char *text)
{
	struct parsed *p = calloc(1, sizeof *p);
	bank_init(&p->b);
	diags_init(&p->d);
	p->rc = bank_parse(&p->b, path, text, strlen(text), &p->d);
	if (p->rc == SB_OK)
		p->rc = bank_finish(&p->b, &p->d);
	return p;
}

static struct parsed *parse(const char *text)
{
	return parse_as("questions/django.md", text);
}

static void done(struct parsed *p)
{
	bank_free(&p->b);
	diags_free(&p->d);
	free(p);
}

static void good_file(void **state)
{
	(void)state;
	struct parsed *p = parse(good);
	diags_print(&p->d, stderr);
	assert_int_equal(p->rc, SB_OK);
	assert_int_equal(p->b.ntopics, 1);
	assert_string_equal(p->b.topics[0].slug, "django");
	assert_string_equal(p->b.topics[0].title, "Django");
	assert_string_equal(p->b.topics[0].intro, "Questions about the request cycle.");
	assert_int_equal(p->b.topics[0].count, 2);
	assert_int_equal(p->b.nq, 2);

	const struct bank_question *q = bank_find(&p->b, "django-middleware");
	assert_non_null(q);
	assert_string_equal(q->prompt,
	                    "What is middleware in Django, and how do you write your own?");
	assert_string_equal(q->topic, "django");
	assert_int_equal(q->difficulty, 2);
	assert_int_equal(q->ntags, 2);
	assert_string_equal(q->tags[1], "request-cycle");
	assert_string_equal(q->body, "Some context for the task.");
	assert_string_equal(q->answer, "A callable that wraps `get_response`.\n\n```python\n"
	                               "def mw(get_response):\n    return get_response\n```");
	assert_int_equal(q->nhints, 2);
	assert_string_equal(q->hints[1], "second hint\ncontinued");
	assert_int_equal(q->nkey_points, 2);
	assert_string_equal(q->key_points[1], "MIDDLEWARE order | order of MIDDLEWARE");
	assert_int_equal(q->correct, -1);
	assert_int_equal(q->line, 5);
	assert_int_equal(strlen(q->hash), 16);

	q = bank_find(&p->b, "django-mw-mcq");
	assert_non_null(q);
	assert_string_equal(q->prompt, "Which method runs for every request?");
	assert_string_equal(q->body, "");
	assert_int_equal(q->nchoices, 3);
	assert_int_equal(q->correct, 1);
	assert_string_equal(q->choices[1], "__call__");
	assert_string_equal(q->choices[2], "process_exception");
	assert_null(bank_find(&p->b, "nope"));
	done(p);
}

/* Replaces the first occurrence of `from` in the good file with `to`,
 * parses it and asserts an error on `line` that contains `needle`. */
static void expect_error(const char *from, const char *to, int line, const char *needle)
{
	char text[8192];
	const char *at = strstr(good, from);
	if (!at)
		fail_msg("fixture has no '%s'", from);
	snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	struct parsed *p = parse(text);
	bool found = false;
	for (size_t i = 0; i < p->d.n; i++)
		found |= p->d.v[i].line == line && strstr(p->d.v[i].msg, needle) &&
		         strcmp(p->d.v[i].path, "questions/django.md") == 0;
	if (!found) {
		diags_print(&p->d, stderr);
		fail_msg("no error on line %d containing '%s'", line, needle);
	}
	assert_int_not_equal(p->rc, SB_OK);
	done(p);
}

static void errors_with_lines(void **state)
{
	(void)state;
	expect_error("id: django-middleware\n", "", 5, "missing 'id: ...'");
	expect_error("id: django-middleware", "id: Django_MW", 6,
	             "lowercase letters, digits and -");
	expect_error("id: django-middleware", "id: ab", 6, "3-64 characters");
	expect_error("difficulty: 2", "difficulty: 5", 7, "1 (easy), 2 (medium) or 3 (hard)");
	expect_error("difficulty: 2\n", "", 5, "missing 'difficulty");
	expect_error("tags: middleware", "tags: Middle Ware", 8, "tag 'Middle Ware'");
	expect_error("tags: middleware", "tags: a, b, c, d, e, f, g, h, i", 8, "at most 8 tags");
	expect_error("tags: middleware", "level: 2\ntags: middleware", 8,
	             "unknown metadata 'level'");
	expect_error("difficulty: 2\n", "difficulty: 2\ndifficulty: 3\n", 8,
	             "difficulty given twice");
	expect_error("### Answer\nA callable", "### Answr\nA callable", 12,
	             "unknown section '### Answr'");
	expect_error("### Answer\nA callable", "### Answer\n\n### Answer\nA callable", 14,
	             "appears twice");
	expect_error("### Answer\nA callable", "#### Answer\nA callable", 12, "level 4");
	expect_error("Some context for the task.", "<div>raw</div>", 10, "raw HTML");
	expect_error("Some context for the task.", "See <b>this</b>.", 10, "raw HTML");
	expect_error("Some context for the task.", "![diagram](x.png)", 10,
	             "images are not supported");
	expect_error("- first hint\n", "Just text.\n\n- first hint\n", 21,
	             "expected a bullet list");
	expect_error("- [x] __call__", "- [ ] __call__", 36, "exactly one choice right");
	expect_error("- [ ] process_view only", "- [x] process_view only", 36, "found 2");
	expect_error("- [ ] process_view only", "- process_view only", 37, "starts with '[ ] '");
	expect_error("- [ ] process_view only", "- [ ] __call__", 38, "listed twice");
	expect_error("- [ ] process_view only\n- [x] __call__\n* [ ] process_exception\n",
	             "- [x] __call__\n", 36, "needs 2-5 choices");
	expect_error("* [ ] process_exception\n", "* [ ] a\n* [ ] b\n* [ ] c\n* [ ] d\n", 42,
	             "at most 5 choices");
	expect_error(
	    "- [ ] process_view only",
	    "- [ ] this choice is far too long to fit on a button on either of the two platforms",
	    37, "the limit is 75");
	expect_error("## Which method runs for every request? ##", "## Short?", 29,
	             "10-300 characters");
	expect_error("### Answer\n`__call__`.\n", "### Answer\n", 33, "is empty");
	expect_error("### Answer\n`__call__`.\n", "", 29, "missing '### Answer'");
	expect_error("### Hints\n- first hint\n- second hint\n  continued\n", "### Hints\n", 5,
	             "has no items");
	expect_error("# Django\n", "# Django\n# Again\n", 2, "a second '# title'");
	expect_error("# Django\n", "", 2, "must start with a '# Topic title'");
	expect_error("id: django-mw-mcq", "id: django-middleware", 29,
	             "already used at questions/django.md:5");
}

static void length_caps(void **state)
{
	(void)state;
	char big[6000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char text[16384];
	snprintf(text, sizeof text,
	         "# T\n\n## A question that is long enough\nid: t-one\ndifficulty: 1\n\n%s\n\n"
	         "### Answer\n%s\n\n### Hints\n- %.*s\n\n### Key points\n- %.*s\n",
	         big, big, 301, big, 101, big);
	struct parsed *p = parse_as("questions/t.md", text);
	assert_int_equal(p->d.n, 4);
	assert_int_equal(p->d.v[0].line, 7);
	assert_non_null(strstr(p->d.v[0].msg, "body is 5999 characters long; the limit is 3000"));
	assert_int_equal(p->d.v[1].line, 10);
	assert_non_null(strstr(p->d.v[1].msg, "the limit is 4000"));
	assert_non_null(strstr(p->d.v[2].msg, "the limit is 300"));
	assert_non_null(strstr(p->d.v[3].msg, "the limit is 100"));
	done(p);

	/* characters, not bytes: 4000 two-byte characters fit */
	char *wide = malloc(9000);
	strcpy(
	    wide,
	    "# T\n\n## A question that is long enough\nid: t-one\ndifficulty: 1\n\n### Answer\n");
	for (int i = 0; i < 4000; i++)
		strcat(wide, "\xc3\xa9");
	p = parse_as("questions/t.md", wide);
	assert_int_equal(p->rc, SB_OK);
	done(p);
	free(wide);
}

static void file_level_problems(void **state)
{
	(void)state;
	struct parsed *p = parse_as("questions/Bad Name.md", good);
	assert_true(p->d.n >= 1);
	assert_non_null(strstr(p->d.v[0].msg, "file name is the topic's id"));
	done(p);

	p = parse_as("questions/t.md", "# T\n\nok\n\xff\xfe\n");
	assert_int_equal(p->d.n, 1);
	assert_int_equal(p->d.v[0].line, 4);
	assert_non_null(strstr(p->d.v[0].msg, "not valid UTF-8"));
	done(p);

	p = parse_as("questions/t.md", "# T\n\nJust an intro.\n");
	assert_int_equal(p->d.n, 1);
	assert_non_null(strstr(p->d.v[0].msg, "no questions"));
	done(p);

	p = parse_as("questions/t.md", "");
	assert_int_equal(p->d.n, 1);
	assert_non_null(strstr(p->d.v[0].msg, "must start with"));
	done(p);

	struct bank b;
	struct diags d;
	bank_init(&b);
	diags_init(&d);
	assert_int_not_equal(bank_finish(&b, &d), SB_OK);
	assert_non_null(strstr(d.v[0].msg, "the question bank is empty"));
	bank_free(&b);
	diags_free(&d);
}

static void every_problem_in_one_run(void **state)
{
	(void)state;
	struct parsed *p = parse(
	    "# T\n\n"
	    "## First question, no id at all\n\n### Answer\nx\n\n"
	    "## Second question with a bad level\nid: t-two\ndifficulty: 9\n\n### Answer\nx\n\n"
	    "## Third question without an answer\nid: t-three\ndifficulty: 1\n");
	assert_int_equal(p->d.n, 4);
	assert_int_equal(p->d.v[0].line, 3);  /* missing id */
	assert_int_equal(p->d.v[1].line, 3);  /* missing difficulty */
	assert_int_equal(p->d.v[2].line, 10); /* bad difficulty */
	assert_int_equal(p->d.v[3].line, 15); /* missing answer */
	done(p);
}

/* Past the diagnostics cap, problems are still counted: a broken question
 * must never slip into the bank because its error went unrecorded. */
static void errors_past_the_cap(void **state)
{
	(void)state;
	size_t cap = 64 * 1024;
	char *text = malloc(cap);
	size_t o = (size_t)snprintf(text, cap, "# T\n\n");
	for (int i = 0; i < 600; i++) /* two errors each: no id, no difficulty */
		o += (size_t)snprintf(text + o, cap - o,
		                      "## Question without metadata\n\n### Answer\nx\n\n");
	snprintf(text + o, cap - o,
	         "## A question with a bad id\nid: BAD ID\ndifficulty: 1\n\n### Answer\nx\n");
	struct parsed *p = parse_as("questions/t.md", text);
	assert_int_equal(p->b.nq, 0);
	assert_true(p->d.dropped > 0);
	assert_int_equal(diags_total(&p->d), 1201);
	assert_int_not_equal(p->rc, SB_OK);
	done(p);
	free(text);
}

static void markdown_round_trip(void **state)
{
	(void)state;
	struct parsed *p = parse(good);
	char *md = bank_export_markdown(&p->b, "django");
	struct parsed *q = parse(md);
	diags_print(&q->d, stderr);
	assert_int_equal(q->rc, SB_OK);
	assert_int_equal(q->b.nq, p->b.nq);
	for (size_t i = 0; i < p->b.nq; i++) {
		assert_string_equal(q->b.q[i].id, p->b.q[i].id);
		/* same content, same hash */
		assert_string_equal(q->b.q[i].hash, p->b.q[i].hash);
	}
	assert_null(bank_export_markdown(&p->b, "nope"));
	free(md);
	done(q);
	done(p);
}

static void hash_tracks_content(void **state)
{
	(void)state;
	struct parsed *a = parse(good);
	char text[8192];
	snprintf(text, sizeof text, "%s", good);
	char *at = strstr(text, "wraps");
	memcpy(at, "WRAPS", 5);
	struct parsed *b = parse(text);
	assert_string_not_equal(bank_find(&a->b, "django-middleware")->hash,
	                        bank_find(&b->b, "django-middleware")->hash);
	assert_string_equal(bank_find(&a->b, "django-mw-mcq")->hash,
	                    bank_find(&b->b, "django-mw-mcq")->hash);
	done(a);
	done(b);
}

static void json_shape(void **state)
{
	(void)state;
	struct parsed *p = parse(good);
	char *js = bank_export_json(&p->b, NULL);
	cJSON *root = cJSON_Parse(js);
	assert_non_null(root);
	assert_int_equal(cJSON_GetObjectItem(root, "format")->valueint, BANK_JSON_FORMAT);
	cJSON *topics = cJSON_GetObjectItem(root, "topics");
	assert_int_equal(cJSON_GetArraySize(topics), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(topics, 0), "slug")->valuestring,
	                    "django");
	cJSON *qs = cJSON_GetObjectItem(root, "questions");
	assert_int_equal(cJSON_GetArraySize(qs), 2);
	cJSON *mcq = cJSON_GetArrayItem(qs, 1);
	assert_string_equal(cJSON_GetObjectItem(mcq, "id")->valuestring, "django-mw-mcq");
	assert_int_equal(cJSON_GetObjectItem(mcq, "difficulty")->valueint, 1);
	cJSON *choices = cJSON_GetObjectItem(mcq, "choices");
	assert_int_equal(cJSON_GetArraySize(choices), 3);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(choices, 1), "correct")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(choices, 0), "correct")));
	assert_string_equal(cJSON_GetObjectItem(mcq, "source")->valuestring,
	                    "questions/django.md:29");
	cJSON *first = cJSON_GetArrayItem(qs, 0);
	const char *fields[] = {"id",     "topic", "difficulty", "tags",    "prompt", "body",
	                        "answer", "hints", "key_points", "choices", "hash",   "source"};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		assert_non_null(cJSON_GetObjectItem(first, fields[i]));
	cJSON_Delete(root);
	free(js);
	done(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_file),
	    cmocka_unit_test(errors_with_lines),
	    cmocka_unit_test(length_caps),
	    cmocka_unit_test(file_level_problems),
	    cmocka_unit_test(every_problem_in_one_run),
	    cmocka_unit_test(errors_past_the_cap),
	    cmocka_unit_test(markdown_round_trip),
	    cmocka_unit_test(hash_tracks_content),
	    cmocka_unit_test(json_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
