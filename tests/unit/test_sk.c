/* The Slack translation layer: payloads in (sk_event), bodies out
 * (sk_render, sk_mrkdwn). Payload shapes follow Slack's documentation
 * examples ("Interactivity payloads", "Slash commands", the Events API). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "chat/chat.h"
#include "slack/sk_event.h"
#include "slack/sk_render.h"
#include "util/mem.h"
#include "util/str.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* A big struct: one, reused by every test. */
static struct sk_event out;

static char *repeat(const char *unit, size_t times)
{
	size_t n = strlen(unit);
	char *s = xmalloc(n * times + 1);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * n, unit, n);
	s[n * times] = '\0';
	return s;
}

static size_t chars(const char *s)
{
	return utf8_len(s, strlen(s));
}

static void assert_utf8(const char *s)
{
	size_t n = strlen(s);
	assert_int_equal(utf8_invalid_at(s, n), n);
}

/* --- mrkdwn ----------------------------------------------------------------- */

static void md_is(const char *md, const char *want)
{
	char *got = sk_mrkdwn(md, SK_TEXT_MAX);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void mrkdwn_conversion(void **state)
{
	(void)state;
	md_is("**bold** and *it* and _it_", "*bold* and _it_ and _it_");
	md_is("__bold__", "*bold*");
	md_is("a `x**y**` b", "a `x**y**` b");
	md_is("```python\nif a < b:\n    print(\"**\")\n```",
	      "```\nif a &lt; b:\n    print(\"**\")\n```");
	md_is("[docs](https://docs.example.com/a?b=1&c=2)",
	      "<https://docs.example.com/a?b=1&amp;c=2|docs>");
	md_is("[bad](javascript:alert(1))", "[bad](javascript:alert(1))");
	md_is("# Title\n## Sub **x**", "*Title*\n*Sub x*");
	md_is("- one\n- two\n  - nested",
	      "\xe2\x80\xa2 one\n\xe2\x80\xa2 two\n  \xe2\x80\xa2 nested");
	md_is("2 * 3 = 6", "2 * 3 = 6");
	md_is("2*3*4 and *a*b", "2*3*4 and *a*b");
	md_is("*unclosed **bold", "*unclosed **bold");
	md_is("***both***", "*_both_*");
	md_is("**use `a**b`** now", "*use `a**b`* now");
	md_is("see https://example.com/x.", "see <https://example.com/x>.");
	md_is("a & b < c > d", "a &amp; b &lt; c &gt; d");
	md_is("&amp;", "&amp;amp;");
	/* An unclosed code block is closed. */
	md_is("```\ncode", "```\ncode\n```");
	/* Bad UTF-8 becomes U+FFFD. */
	md_is("a\xff"
	      "b",
	      "a\xef\xbf\xbd"
	      "b");
	md_is("", "");
	assert_null(sk_mrkdwn(NULL, 10));
}

/* Member text never becomes a mention, a channel ping or a link. */
static void mrkdwn_no_mentions(void **state)
{
	(void)state;
	const char *evil[] = {"<!channel>",
	                      "<!here>",
	                      "<@U123>",
	                      "<#C123|general>",
	                      "<!subteam^S1>",
	                      "<https://x.example|click>",
	                      "[<!channel>](https://a.b)"};
	for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
		char *got = sk_mrkdwn(evil[i], SK_TEXT_MAX);
		assert_null(strstr(got, "<!"));
		assert_null(strstr(got, "<@"));
		assert_null(strstr(got, "<#"));
		free(got);
	}
	md_is("<!channel> hi", "&lt;!channel&gt; hi");
	md_is("[x](https://a.b/<!channel>)", "[x](https://a.b/&lt;!channel&gt;)");
	/* And in a rendered message, every mrkdwn text is verbatim. */
	struct chat_msg m = {.text = "@channel <!here>"};
	char *s = sk_render_post(&m, "C1", NULL);
	cJSON *o = cJSON_Parse(s);
	cJSON *t =
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "blocks"), 0), "text");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(t, "verbatim")));
	assert_string_equal(cJSON_GetObjectItem(t, "text")->valuestring, "@channel &lt;!here&gt;");
	assert_null(strstr(cJSON_GetObjectItem(o, "text")->valuestring, "<!"));
	cJSON_Delete(o);
	free(s);
}

static void mrkdwn_cutting(void **state)
{
	(void)state;
	/* Characters, not bytes; cut at a character boundary with "…". */
	char *s = sk_mrkdwn("ééééé", 3);
	assert_string_equal(s, "éé" ELLIPSIS);
	free(s);
	s = sk_mrkdwn("日本語テキスト", 4);
	assert_int_equal(chars(s), 4);
	assert_utf8(s);
	free(s);
	s = sk_mrkdwn("😀😀😀😀😀😀", 2);
	assert_string_equal(s, "😀" ELLIPSIS);
	free(s);
	/* Never inside an escape or a link. */
	s = sk_mrkdwn("aaaa & bbbb", 8);
	assert_null(strstr(s, "&am" ELLIPSIS));
	assert_true(chars(s) <= 8);
	free(s);
	s = sk_mrkdwn("xx [link](https://example.com/long/path) tail", 20);
	assert_true(strchr(s, '<') == NULL || strchr(s, '>') != NULL);
	assert_true(chars(s) <= 20);
	free(s);
	/* An open code block is closed after the cut. */
	char *code = repeat("line of code\n", 50);
	char *md = xmalloc(strlen(code) + 16);
	sprintf(md, "```\n%s```", code);
	s = sk_mrkdwn(md, 100);
	assert_true(chars(s) <= 100);
	size_t n = strlen(s);
	assert_true(n > 4 && strcmp(s + n - 4, "\n```") == 0);
	free(s);
	free(md);
	free(code);
	s = sk_mrkdwn("abc", 0);
	assert_string_equal(s, "");
	free(s);
}

static void mrkdwn_split(void **state)
{
	(void)state;
	char *line = repeat("word ", 100); /* 500 characters */
	/* 20 lines of 500: split at line breaks into pieces ≤ 3000. */
	char *text = xmalloc(20 * 501 + 1);
	text[0] = '\0';
	for (int i = 0; i < 20; i++) {
		strcat(text, line);
		strcat(text, "\n");
	}
	char *pieces[10];
	bool more;
	size_t n = sk_mrkdwn_split(text, SK_TEXT_MAX, pieces, 10, &more);
	assert_false(more);
	assert_true(n >= 4);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(chars(pieces[i]) <= SK_TEXT_MAX);
		total += chars(pieces[i]);
		free(pieces[i]);
	}
	assert_true(total >= 20 * 499);
	/* Too few pieces: more is set. */
	n = sk_mrkdwn_split(text, SK_TEXT_MAX, pieces, 2, &more);
	assert_int_equal(n, 2);
	assert_true(more);
	for (size_t i = 0; i < n; i++)
		free(pieces[i]);
	free(text);

	/* A code block that fits in a piece is not split. */
	char *code = repeat("x = 1\n", 300); /* 1800 characters */
	char *md = xmalloc(strlen(line) * 4 + strlen(code) + 64);
	sprintf(md, "%s\n%s\n%s\n```\n%s```\nafter", line, line, line, code);
	n = sk_mrkdwn_split(md, SK_TEXT_MAX, pieces, 10, &more);
	assert_int_equal(n, 2);
	assert_non_null(strstr(pieces[1], "```\nx = 1"));
	assert_null(strstr(pieces[0], "```"));
	for (size_t i = 0; i < n; i++)
		free(pieces[i]);
	free(md);

	/* A code block longer than a piece is closed and reopened. */
	char *big = repeat("y = 2\n", 1200); /* 7200 characters */
	md = xmalloc(strlen(big) + 16);
	sprintf(md, "```\n%s```", big);
	n = sk_mrkdwn_split(md, SK_TEXT_MAX, pieces, 10, &more);
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++) {
		assert_true(chars(pieces[i]) <= SK_TEXT_MAX);
		assert_true(str_starts(pieces[i], "```\n"));
		size_t k = strlen(pieces[i]);
		assert_string_equal(pieces[i] + k - 3, "```");
		free(pieces[i]);
	}
	free(md);
	free(big);

	/* Backticks inside a code block do not end it; a one-line block
	 * opens nothing. */
	char *tick = repeat("s = \"```\"\n", 400); /* 4400 characters */
	md = xmalloc(strlen(tick) + 32);
	sprintf(md, "```x```\n```\n%s```", tick);
	n = sk_mrkdwn_split(md, SK_TEXT_MAX, pieces, 10, &more);
	assert_int_equal(n, 2);
	assert_true(str_starts(pieces[0], "```x```\n```\ns = \"```\""));
	assert_true(str_starts(pieces[1], "```\ns = \"```\""));
	for (size_t i = 0; i < n; i++) {
		assert_true(chars(pieces[i]) <= SK_TEXT_MAX);
		free(pieces[i]);
	}
	free(md);
	free(tick);

	/* One line longer than a piece: split at spaces. */
	char *longline = repeat("abcd ", 1300); /* 6500 characters */
	n = sk_mrkdwn_split(longline, SK_TEXT_MAX, pieces, 10, &more);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_true(chars(pieces[i]) <= SK_TEXT_MAX);
		free(pieces[i]);
	}
	free(longline);
	free(code);
	free(line);
}

/* --- rendering -------------------------------------------------------------- */

static cJSON *blocks_of(cJSON *o)
{
	cJSON *b = cJSON_GetObjectItem(o, "blocks");
	if (!b)
		b = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "view"), "blocks");
	return b;
}

static const char *btype(cJSON *blocks, int i)
{
	return cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, i), "type")->valuestring;
}

static const char *btext(cJSON *blocks, int i)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, i), "text"),
	                           "text")
	    ->valuestring;
}

static void render_question(void **state)
{
	(void)state;
	struct chat_msg m = {0};
	m.title = xstrdup("Question: Django");
	m.text = xstrdup("What is **middleware**?\nExplain.");
	chat_msg_field(&m, "Difficulty", "2");
	chat_msg_button(&m, "Answer", "a:1", STYLE_PRIMARY);
	chat_msg_button(&m, "Hint", "h:1", STYLE_SECONDARY);
	chat_msg_button(&m, "Delete", "d:1", STYLE_DANGER);
	chat_msg_button(&m, "Easy", "e:1", STYLE_SUCCESS);
	m.footer = xstrdup("Deadline 18:00");
	char *s = sk_render_post(&m, "C123", "1355517523.000005");
	cJSON *o = cJSON_Parse(s);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "channel")->valuestring, "C123");
	assert_string_equal(cJSON_GetObjectItem(o, "thread_ts")->valuestring, "1355517523.000005");
	assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring,
	                    "Question: Django: What is *middleware*?");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "unfurl_links")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "unfurl_media")));
	cJSON *b = blocks_of(o);
	assert_int_equal(cJSON_GetArraySize(b), 5);
	assert_string_equal(btype(b, 0), "header");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(b, 0), "text"), "type")
	        ->valuestring,
	    "plain_text");
	assert_string_equal(btext(b, 0), "Question: Django");
	assert_string_equal(btype(b, 1), "section");
	assert_string_equal(btext(b, 1), "What is *middleware*?\nExplain.");
	assert_string_equal(btext(b, 2), "*Difficulty*\n2");
	assert_string_equal(btype(b, 3), "actions");
	cJSON *els = cJSON_GetObjectItem(cJSON_GetArrayItem(b, 3), "elements");
	assert_int_equal(cJSON_GetArraySize(els), 4);
	cJSON *b0 = cJSON_GetArrayItem(els, 0);
	assert_string_equal(cJSON_GetObjectItem(b0, "type")->valuestring, "button");
	assert_string_equal(cJSON_GetObjectItem(b0, "action_id")->valuestring, "a:1");
	assert_string_equal(cJSON_GetObjectItem(b0, "value")->valuestring, "a:1");
	assert_string_equal(cJSON_GetObjectItem(b0, "style")->valuestring, "primary");
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(els, 1), "style"));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(els, 2), "style")->valuestring,
	                    "danger");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(els, 3), "style")->valuestring,
	                    "primary");
	assert_string_equal(btype(b, 4), "context");
	cJSON_Delete(o);
	free(s);

	s = sk_render_ephemeral(&m, "C123", "U9", NULL);
	o = cJSON_Parse(s);
	assert_string_equal(cJSON_GetObjectItem(o, "user")->valuestring, "U9");
	assert_null(cJSON_GetObjectItem(o, "thread_ts"));
	assert_null(cJSON_GetObjectItem(o, "unfurl_links"));
	assert_int_equal(cJSON_GetArraySize(blocks_of(o)), 5);
	cJSON_Delete(o);
	free(s);

	s = sk_render_response(&m, false);
	o = cJSON_Parse(s);
	assert_string_equal(cJSON_GetObjectItem(o, "response_type")->valuestring, "ephemeral");
	cJSON_Delete(o);
	free(s);
	s = sk_render_response(&m, true);
	o = cJSON_Parse(s);
	assert_string_equal(cJSON_GetObjectItem(o, "response_type")->valuestring, "in_channel");
	cJSON_Delete(o);
	free(s);
	assert_null(sk_render_post(&m, NULL, NULL));
	struct chat_msg code = {.text = "```python\nprint(1)\n```"};
	s = sk_render_post(&code, "C1", NULL);
	o = cJSON_Parse(s);
	assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring, "print(1)");
	cJSON_Delete(o);
	free(s);
	assert_null(sk_render_ephemeral(&m, "C1", NULL, NULL));
	chat_msg_free(&m);
}

static void render_limits(void **state)
{
	(void)state;
	/* Long labels and titles are cut. */
	struct chat_msg m = {0};
	m.title = repeat("T", 400);
	char *label = repeat("é", 200);
	chat_msg_button(&m, label, "x:1", STYLE_PRIMARY);
	char *longid = repeat("i", 300);
	chat_msg_button(&m, "Bad id", longid, STYLE_PRIMARY);
	chat_msg_button(&m, "Twice", "x:1", STYLE_PRIMARY);
	/* Many fields and a long text: still ≤ 50 blocks, the last content
	 * one is "…", the buttons and footer kept. */
	for (int i = 0; i < CHAT_MAX_FIELDS; i++)
		chat_msg_field(&m, "Name", "value");
	m.text = repeat("a line of text that is not short at all, really\n", 2000);
	m.footer = xstrdup("foot");
	char *s = sk_render_post(&m, "C1", NULL);
	cJSON *o = cJSON_Parse(s);
	cJSON *b = blocks_of(o);
	int n = cJSON_GetArraySize(b);
	assert_int_equal(n, SK_BLOCKS_MAX);
	assert_int_equal(chars(btext(b, 0)), 150);
	assert_string_equal(btext(b, n - 3), ELLIPSIS);
	assert_string_equal(btype(b, n - 2), "actions");
	assert_string_equal(btype(b, n - 1), "context");
	for (int i = 1; i < n - 2; i++)
		assert_true(chars(btext(b, i)) <= SK_TEXT_MAX);
	cJSON *els = cJSON_GetObjectItem(cJSON_GetArrayItem(b, n - 2), "elements");
	assert_int_equal(cJSON_GetArraySize(els), 1); /* the bad and the repeated id left out */
	const char *bt =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(els, 0), "text"), "text")
	        ->valuestring;
	assert_int_equal(chars(bt), 75);
	assert_utf8(bt);
	cJSON_Delete(o);
	free(s);
	free(label);
	free(longid);
	chat_msg_free(&m);

	/* Blank fields are left out. */
	struct chat_msg blank = {0};
	chat_msg_field(&blank, "", " ");
	chat_msg_field(&blank, "Only name", "");
	s = sk_render_post(&blank, "C1", NULL);
	o = cJSON_Parse(s);
	assert_int_equal(cJSON_GetArraySize(blocks_of(o)), 1);
	assert_string_equal(btext(blocks_of(o), 0), "*Only name*");
	cJSON_Delete(o);
	free(s);
	chat_msg_free(&blank);

	/* 25 fields alone fit, one section each. */
	struct chat_msg f = {0};
	for (int i = 0; i < CHAT_MAX_FIELDS; i++)
		chat_msg_field(&f, "N", "V");
	s = sk_render_post(&f, "C1", NULL);
	o = cJSON_Parse(s);
	assert_int_equal(cJSON_GetArraySize(blocks_of(o)), CHAT_MAX_FIELDS);
	cJSON_Delete(o);
	free(s);
	chat_msg_free(&f);

	/* An empty message still has a text, and no empty blocks array. */
	struct chat_msg e = {0};
	s = sk_render_post(&e, "C1", NULL);
	o = cJSON_Parse(s);
	assert_null(cJSON_GetObjectItem(o, "blocks"));
	assert_true(strlen(cJSON_GetObjectItem(o, "text")->valuestring) > 0);
	cJSON_Delete(o);
	free(s);
}

static void render_modal(void **state)
{
	(void)state;
	struct chat_form f = {0};
	f.id = xstrdup("form:answer:7");
	f.title = xstrdup("Answer today's question, please");
	struct chat_input *in = chat_form_input(&f, "answer", "Your answer");
	in->multiline = true;
	in->required = true;
	in->min_len = 2;
	in->max_len = 4000;
	in->value = repeat("v", 3500);
	in->placeholder = repeat("p", 200);
	struct chat_input *in2 = chat_form_input(&f, "note", "A note");
	in2->max_len = 100;
	in2->required = false;
	char *s = sk_render_modal(&f, "trig.1", "C123");
	cJSON *o = cJSON_Parse(s);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "trigger_id")->valuestring, "trig.1");
	cJSON *v = cJSON_GetObjectItem(o, "view");
	assert_string_equal(cJSON_GetObjectItem(v, "type")->valuestring, "modal");
	assert_string_equal(cJSON_GetObjectItem(v, "callback_id")->valuestring, "form:answer:7");
	assert_string_equal(cJSON_GetObjectItem(v, "private_metadata")->valuestring, "C123");
	const char *title =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(v, "title"), "text")->valuestring;
	assert_int_equal(chars(title), 24);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(v, "submit"), "text")->valuestring, "Submit");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(v, "close"), "text")->valuestring, "Cancel");
	cJSON *b = cJSON_GetObjectItem(v, "blocks");
	assert_int_equal(cJSON_GetArraySize(b), 2);
	cJSON *b0 = cJSON_GetArrayItem(b, 0);
	assert_string_equal(cJSON_GetObjectItem(b0, "type")->valuestring, "input");
	assert_string_equal(cJSON_GetObjectItem(b0, "block_id")->valuestring, "answer");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(b0, "optional")));
	cJSON *e = cJSON_GetObjectItem(b0, "element");
	assert_string_equal(cJSON_GetObjectItem(e, "type")->valuestring, "plain_text_input");
	assert_string_equal(cJSON_GetObjectItem(e, "action_id")->valuestring, "answer");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "multiline")));
	assert_int_equal(cJSON_GetObjectItem(e, "min_length")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(e, "max_length")->valueint, 3000);
	assert_int_equal(chars(cJSON_GetObjectItem(e, "initial_value")->valuestring), 3000);
	assert_int_equal(
	    chars(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "placeholder"), "text")->valuestring),
	    150);
	cJSON *e1 = cJSON_GetObjectItem(cJSON_GetArrayItem(b, 1), "element");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(b, 1), "optional")));
	assert_null(cJSON_GetObjectItem(e1, "min_length"));
	assert_int_equal(cJSON_GetObjectItem(e1, "max_length")->valueint, 100);
	assert_null(cJSON_GetObjectItem(e1, "initial_value"));
	cJSON_Delete(o);
	free(s);
	assert_null(sk_render_modal(&f, NULL, "C1"));
	struct chat_form empty = {.id = "x", .title = "t"};
	assert_null(sk_render_modal(&empty, "t", "C1"));
	chat_form_free(&f);
}

static void render_home_and_errors(void **state)
{
	(void)state;
	struct chat_msg msgs[3] = {{0}};
	msgs[0].title = xstrdup("Your stats");
	msgs[0].text = xstrdup("Streak: 3");
	msgs[1].text = xstrdup("Next question: 09:00");
	msgs[2].title = xstrdup("Leaderboard");
	for (int i = 0; i < CHAT_MAX_FIELDS; i++)
		chat_msg_field(&msgs[2], "n", "v");
	char *s = sk_render_home("U1", msgs, 3);
	cJSON *o = cJSON_Parse(s);
	assert_string_equal(cJSON_GetObjectItem(o, "user_id")->valuestring, "U1");
	cJSON *v = cJSON_GetObjectItem(o, "view");
	assert_string_equal(cJSON_GetObjectItem(v, "type")->valuestring, "home");
	cJSON *b = blocks_of(o);
	assert_int_equal(cJSON_GetArraySize(b), 2 + 1 + 1 + 1 + 1 + CHAT_MAX_FIELDS);
	assert_string_equal(btype(b, 2), "divider");
	assert_string_equal(btype(b, 4), "divider");
	cJSON_Delete(o);
	free(s);

	/* Many messages: at most 100 blocks, ending with "…". */
	struct chat_msg many[10] = {{0}};
	for (int i = 0; i < 10; i++)
		for (int k = 0; k < CHAT_MAX_FIELDS; k++)
			chat_msg_field(&many[i], "n", "v");
	s = sk_render_home("U1", many, 10);
	o = cJSON_Parse(s);
	b = blocks_of(o);
	int n = cJSON_GetArraySize(b);
	assert_true(n <= SK_VIEW_BLOCKS);
	assert_string_equal(btext(b, n - 1), ELLIPSIS);
	cJSON_Delete(o);
	free(s);
	for (int i = 0; i < 10; i++)
		chat_msg_free(&many[i]);
	for (int i = 0; i < 3; i++)
		chat_msg_free(&msgs[i]);

	s = sk_render_home("U1", NULL, 0);
	o = cJSON_Parse(s);
	assert_int_equal(cJSON_GetArraySize(blocks_of(o)), 1);
	cJSON_Delete(o);
	free(s);

	s = sk_render_form_errors("answer", "Too short: write at least 2 characters.");
	o = cJSON_Parse(s);
	assert_string_equal(cJSON_GetObjectItem(o, "response_action")->valuestring, "errors");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "errors"), "answer")->valuestring,
	    "Too short: write at least 2 characters.");
	cJSON_Delete(o);
	free(s);
	assert_null(sk_render_form_errors(NULL, "x"));
}

/* --- slash commands --------------------------------------------------------- */

static enum sb_rc slash(const char *text)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "token", "x");
	cJSON_AddStringToObject(p, "team_id", "T1");
	cJSON_AddStringToObject(p, "team_domain", "acme");
	cJSON_AddStringToObject(p, "channel_id", "C9");
	cJSON_AddStringToObject(p, "channel_name", "study");
	cJSON_AddStringToObject(p, "user_id", "U7");
	cJSON_AddStringToObject(p, "user_name", "ada");
	cJSON_AddStringToObject(p, "command", "/study");
	if (text)
		cJSON_AddStringToObject(p, "text", text);
	cJSON_AddStringToObject(p, "api_app_id", "A1");
	cJSON_AddStringToObject(p, "response_url", "https://hooks.slack.com/commands/1/2/3");
	cJSON_AddStringToObject(p, "trigger_id", "13345224609.738474920.8088930838d88f008e0");
	static cJSON *keep_alive;
	cJSON_Delete(keep_alive); /* the event points into the latest tree */
	keep_alive = p;
	return sk_parse_slash(p, &out);
}

static void opt_is(const char *name, const char *want)
{
	const char *v = event_opt(&out.ev, name);
	if (!want) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_string_equal(v, want);
}

static void core_cmd(const char *text, const char *cmd, size_t nopts)
{
	assert_int_equal(slash(text), SB_OK);
	if (out.kind != SK_CORE)
		fail_msg("\"%s\": %s", text, out.usage ? out.usage : "?");
	assert_int_equal(out.ev.type, EV_COMMAND);
	assert_string_equal(out.ev.command, cmd);
	assert_int_equal(out.ev.nopts, nopts);
}

static void usage_for(const char *text, const char *part)
{
	assert_int_equal(slash(text), SB_OK);
	assert_int_equal(out.kind, SK_IGNORE);
	assert_non_null(out.usage);
	if (!strstr(out.usage, part))
		fail_msg("\"%s\" → \"%s\"", text, out.usage);
}

static void slash_subcommands(void **state)
{
	(void)state;
	core_cmd("", "help", 0);
	assert_string_equal(out.ev.user, "U7");
	assert_string_equal(out.ev.channel, "C9");
	assert_string_equal(out.ev.workspace, "T1");
	assert_string_equal(out.ev.user_name, "ada");
	assert_string_equal(out.trigger_id, "13345224609.738474920.8088930838d88f008e0");
	assert_false(out.admin_needed);
	core_cmd(NULL, "help", 0);
	core_cmd("  help ", "help", 0);
	const char *plain[] = {"answer", "practice", "forget-me"};
	for (size_t i = 0; i < 3; i++) {
		core_cmd(plain[i], plain[i], 0);
		assert_false(out.admin_needed);
	}
	const char *admin[] = {"post", "skip", "pause", "resume", "add", "export"};
	for (size_t i = 0; i < 6; i++) {
		core_cmd(admin[i], admin[i], 0);
		assert_true(out.admin_needed);
	}
	core_cmd("Answer", "answer", 0);

	core_cmd("leaderboard", "leaderboard", 0);
	core_cmd("leaderboard week", "leaderboard", 1);
	opt_is("period", "week");
	core_cmd("leaderboard django", "leaderboard", 1);
	opt_is("topic", "django");
	opt_is("period", NULL);
	core_cmd("leaderboard django MONTH", "leaderboard", 2);
	opt_is("period", "month");
	opt_is("topic", "django");

	core_cmd("stats", "stats", 0);
	core_cmd("stats <@U123|ada>", "stats", 1);
	opt_is("user", "U123");
	core_cmd("stats <@U124|Ada Lovelace>", "stats", 1);
	opt_is("user", "U124");
	core_cmd("stats\xc2\xa0<@U125>", "stats", 1);
	opt_is("user", "U125");
	core_cmd("stats <@W456>", "stats", 1);
	opt_is("user", "W456");

	core_cmd("remind on", "remind", 1);
	opt_is("state", "on");
	core_cmd("remind OFF", "remind", 1);
	opt_is("state", "off");

	core_cmd("setup <#C123|study> 09:00 Europe/Berlin", "setup", 3);
	assert_true(out.admin_needed);
	opt_is("channel", "C123");
	opt_is("time", "09:00");
	opt_is("timezone", "Europe/Berlin");
	core_cmd("setup <#C123|study> mon,wed,fri 18:30 Europe/Berlin python,django 1-3 thread",
	         "setup", 6);
	opt_is("time", "mon,wed,fri 18:30");
	opt_is("topics", "python,django");
	opt_is("difficulty", "1-3");
	opt_is("mode", "thread");
	core_cmd("setup <#C123> 07:30 UTC thread 2 python, django", "setup", 6);
	opt_is("channel", "C123");
	opt_is("mode", "thread");
	opt_is("difficulty", "2");
	opt_is("topics", "python,django");
	core_cmd("setup <#C1|x> 09:00 Asia/Tokyo Modal", "setup", 4);
	opt_is("mode", "modal");
	/* The core explains a time it cannot read. */
	core_cmd("setup <#C1|x> 9am UTC", "setup", 3);
	opt_is("time", "9am");
	/* Slack's escapes are undone in words. */
	core_cmd("leaderboard a&amp;b", "leaderboard", 1);
	opt_is("topic", "a&b");
}

static void slash_usage(void **state)
{
	(void)state;
	usage_for("frobnicate", "There is no /study frobnicate");
	usage_for("averyveryveryveryveryverylongwordthatgoesonandon",
	          "There is no /study averyvery");
	assert_null(out.ev.command);
	usage_for("answer now", "just /study answer");
	usage_for("post q-12", "just /study post");
	usage_for("leaderboard week django extra", "/study leaderboard [day|week|month|all]");
	usage_for("leaderboard <@U1>", "/study leaderboard");
	usage_for("stats @ada", "pick the member");
	usage_for("stats <#C1|x>", "/study stats");
	usage_for("remind", "/study remind on");
	usage_for("remind maybe", "/study remind on");
	usage_for("setup", "/study setup #channel");
	usage_for("setup #study 09:00 UTC", "pick the channel");
	usage_for("setup <#C1|x> 09:00", "/study setup");
	usage_for("setup <#C1|x>", "/study setup");
	usage_for("setup <#C1|x> 09:00 UTC thread modal", "/study setup");
	usage_for("setup <#C1|x> 09:00 UTC 1 2", "/study setup");
	usage_for("setup <#C1|x> <#C2|y> UTC", "/study setup");
	assert_false(out.admin_needed);
	assert_int_equal(out.ev.nopts, 0);
	char *many = repeat("w ", 40);
	usage_for(many, "more words");
	free(many);
	char *huge = repeat("x", 2000);
	usage_for(huge, "more than /study reads");
	free(huge);
}

/* --- interactions ----------------------------------------------------------- */

static enum sb_rc interactive(const char *json)
{
	static cJSON *keep_alive;
	cJSON_Delete(keep_alive);
	keep_alive = cJSON_Parse(json);
	return sk_parse_interactive(keep_alive, &out);
}

static enum sb_rc event(const char *json, const char *bot)
{
	static cJSON *keep_alive;
	cJSON_Delete(keep_alive);
	keep_alive = cJSON_Parse(json);
	return sk_parse_event(keep_alive, bot, &out);
}

static void button_on_message(void **state)
{
	(void)state;
	assert_int_equal(
	    interactive(
	        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U7\",\"username\":\"ada\","
	        "\"name\":\"ada\",\"team_id\":\"T1\"},\"api_app_id\":\"A1\",\"token\":\"x\","
	        "\"container\":{\"type\":\"message\",\"message_ts\":\"1548261231.000200\","
	        "\"channel_id\":\"C9\",\"is_ephemeral\":false},"
	        "\"trigger_id\":\"12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3\","
	        "\"team\":{\"id\":\"T1\",\"domain\":\"acme\"},\"channel\":{\"id\":\"C9\","
	        "\"name\":\"study\"},\"message\":{\"type\":\"message\",\"ts\":\"1548261231."
	        "000200\","
	        "\"thread_ts\":\"1548261200.000100\",\"text\":\"q\"},"
	        "\"response_url\":\"https://hooks.slack.com/actions/1/2/3\","
	        "\"actions\":[{\"action_id\":\"ans:42\",\"block_id\":\"b1\",\"type\":\"button\","
	        "\"value\":\"ans:42\",\"action_ts\":\"1548426417.840180\","
	        "\"text\":{\"type\":\"plain_text\",\"text\":\"Answer\"}}]}"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_int_equal(out.ev.type, EV_BUTTON);
	assert_string_equal(out.ev.id, "ans:42");
	assert_string_equal(out.ev.user, "U7");
	assert_string_equal(out.ev.user_name, "ada");
	assert_string_equal(out.ev.workspace, "T1");
	assert_string_equal(out.ev.channel, "C9");
	assert_string_equal(out.message_ts, "1548261231.000200");
	assert_string_equal(out.thread_ts, "1548261200.000100");
	assert_non_null(out.trigger_id);
	assert_null(out.view_id);

	/* An ephemeral message: no "message", the container says it all; an
	 * org-wide install: team is null. */
	assert_int_equal(
	    interactive("{\"type\":\"block_actions\",\"user\":{\"id\":\"U7\",\"team_id\":\"T2\"},"
	                "\"team\":null,\"container\":{\"type\":\"message\",\"message_ts\":\"1.2\","
	                "\"channel_id\":\"C9\",\"is_ephemeral\":true},\"channel\":{\"id\":\"C9\"},"
	                "\"actions\":[{\"action_id\":\"del:1\",\"type\":\"button\"}]}"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_string_equal(out.ev.workspace, "T2");
	assert_string_equal(out.message_ts, "1.2");
	assert_null(out.thread_ts);

	/* The question itself, a thread's parent: not "in" its thread. */
	assert_int_equal(
	    interactive("{\"type\":\"block_actions\",\"user\":{\"id\":\"U7\"},\"container\":{"
	                "\"type\":\"message\",\"message_ts\":\"5.0\",\"channel_id\":\"C9\"},"
	                "\"message\":{\"ts\":\"5.0\",\"thread_ts\":\"5.0\",\"reply_count\":3},"
	                "\"actions\":[{\"action_id\":\"a:1\",\"type\":\"button\"}]}"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_string_equal(out.message_ts, "5.0");
	assert_null(out.thread_ts);
}

static void button_in_view(void **state)
{
	(void)state;
	assert_int_equal(
	    interactive(
	        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U7\"},\"team\":{\"id\":"
	        "\"T1\"},\"container\":{\"type\":\"view\",\"view_id\":\"V0PKB1ZFV\"},"
	        "\"view\":{\"id\":\"V0PKB1ZFV\",\"type\":\"home\",\"private_metadata\":\"\","
	        "\"callback_id\":\"\"},\"trigger_id\":\"t.1\","
	        "\"actions\":[{\"action_id\":\"practice:1\",\"type\":\"button\","
	        "\"value\":\"practice:1\"}]}"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_int_equal(out.ev.type, EV_BUTTON);
	assert_string_equal(out.ev.id, "practice:1");
	assert_string_equal(out.view_id, "V0PKB1ZFV");
	assert_string_equal(out.ev.channel, "");
	assert_null(out.message_ts);

	assert_int_equal(
	    interactive("{\"type\":\"block_actions\",\"user\":{\"id\":\"U7\"},\"container\":{"
	                "\"type\":\"view\",\"view_id\":\"V1\"},\"view\":{\"id\":\"V1\","
	                "\"type\":\"modal\",\"private_metadata\":\"C55\"},"
	                "\"actions\":[{\"action_id\":\"x\",\"type\":\"button\"}]}"),
	    SB_OK);
	assert_string_equal(out.ev.channel, "C55");

	/* A modal opened from the App Home: channel null, metadata empty. */
	assert_int_equal(
	    interactive("{\"type\":\"block_actions\",\"user\":{\"id\":\"U7\"},\"channel\":null,"
	                "\"container\":{\"type\":\"view\",\"view_id\":\"V2\"},\"view\":{"
	                "\"id\":\"V2\",\"private_metadata\":\"\"},\"actions\":[{\"action_id\":"
	                "\"y\",\"type\":\"button\"}]}"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_string_equal(out.ev.channel, "");

	/* A select menu: not ours. */
	assert_int_equal(
	    interactive("{\"type\":\"block_actions\",\"user\":{\"id\":\"U7\"},\"container\":{"
	                "\"type\":\"message\",\"channel_id\":\"C1\"},\"actions\":[{\"action_id\":"
	                "\"s\",\"type\":\"static_select\"}]}"),
	    SB_OK);
	assert_int_equal(out.kind, SK_IGNORE);
}

static void form_submission(void **state)
{
	(void)state;
	assert_int_equal(
	    interactive("{\"type\":\"view_submission\",\"team\":{\"id\":\"T1\",\"domain\":\"a\"},"
	                "\"user\":{\"id\":\"U7\",\"username\":\"ada\",\"name\":\"ada\","
	                "\"team_id\":\"T1\"},\"api_app_id\":\"A1\",\"token\":\"x\","
	                "\"trigger_id\":\"t.2\",\"view\":{\"id\":\"VNHU13V36\",\"type\":\"modal\","
	                "\"private_metadata\":\"C9\",\"callback_id\":\"form:answer:7\","
	                "\"state\":{\"values\":{\"answer\":{\"answer\":{\"type\":"
	                "\"plain_text_input\",\"value\":\"a < b & c\"}},\"note\":{\"note\":{"
	                "\"type\":\"plain_text_input\",\"value\":null}}}},\"hash\":\"1.a\"},"
	                "\"response_urls\":[],\"is_enterprise_install\":false}"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_int_equal(out.ev.type, EV_FORM);
	assert_string_equal(out.ev.id, "form:answer:7");
	assert_string_equal(out.ev.channel, "C9");
	assert_string_equal(out.view_id, "VNHU13V36");
	assert_int_equal(out.ev.nopts, 2);
	opt_is("answer", "a < b & c");
	opt_is("note", "");

	/* Other interaction types are not for the core. */
	assert_int_equal(interactive("{\"type\":\"view_closed\",\"user\":{\"id\":\"U1\"}}"), SB_OK);
	assert_int_equal(out.kind, SK_IGNORE);
	assert_int_equal(interactive("{\"type\":\"shortcut\"}"), SB_OK);
	assert_int_equal(out.kind, SK_IGNORE);

	/* Too many values. */
	char json[4096] = "{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{"
	                  "\"callback_id\":\"f\",\"state\":{\"values\":{";
	for (int i = 0; i < EV_MAX_OPTS + 1; i++)
		sprintf(json + strlen(json),
		        "%s\"b%d\":{\"a\":{\"type\":\"plain_text_input\","
		        "\"value\":\"v\"}}",
		        i ? "," : "", i);
	strcat(json, "}}}}");
	assert_int_equal(interactive(json), SB_ERR_TOOBIG);
	assert_int_equal(out.kind, SK_IGNORE);
}

static void malformed_interactions(void **state)
{
	(void)state;
	const char *bad[] = {
	    "[]",
	    "{}",
	    "{\"type\":7}",
	    "{\"type\":\"block_actions\"}",
	    "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"}}",
	    "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[]}",
	    "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[{\"action_id\":1}]}",
	    "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[{\"action_id\":"
	    "\"a\"}]"
	    "}",
	    "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"container\":{\"type\":"
	    "\"message\",\"channel_id\":\"C1\",\"message_ts\":\"nope\"},\"actions\":[{\"action_"
	    "id\":"
	    "\"a\"}]}",
	    "{\"type\":\"block_actions\",\"user\":{\"id\":\"\"},\"container\":{\"type\":"
	    "\"message\",\"channel_id\":\"C1\"},\"actions\":[{\"action_id\":\"a\"}]}",
	    "{\"type\":\"block_actions\",\"user\":\"U1\",\"actions\":[{\"action_id\":\"a\"}]}",
	    "{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"}}",
	    "{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{\"callback_id\":\"\"}"
	    "}",
	    "{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{\"callback_id\":"
	    "\"f\","
	    "\"state\":{\"values\":[]}}}",
	    "{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{\"callback_id\":"
	    "\"f\","
	    "\"state\":{\"values\":{\"b\":{\"a\":{\"value\":5}}}}}}",
	    "{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{\"callback_id\":"
	    "\"f\","
	    "\"private_metadata\":7}}",
	    "{\"type\":\"view_submission\",\"user\":{\"id\":\"U\xff\"},\"view\":{\"callback_id\":"
	    "\"f\"}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum sb_rc rc = interactive(bad[i]);
		if (rc == SB_OK)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(out.kind, SK_IGNORE);
		assert_null(out.ev.user);
	}
	assert_int_equal(sk_parse_interactive(NULL, &out), SB_ERR_INVALID);
	assert_int_equal(sk_parse_slash(NULL, &out), SB_ERR_INVALID);
	assert_int_equal(sk_parse_event(NULL, "U0", &out), SB_ERR_INVALID);

	cJSON *p = cJSON_Parse("{\"channel_id\":\"C1\",\"text\":\"help\"}");
	assert_int_equal(sk_parse_slash(p, &out), SB_ERR_INVALID);
	cJSON_Delete(p);
	p = cJSON_Parse("{\"channel_id\":\"C1\",\"user_id\":\"U1\",\"text\":5}");
	assert_int_equal(sk_parse_slash(p, &out), SB_ERR_INVALID);
	cJSON_Delete(p);
}

/* --- events ------------------------------------------------------------------ */

#define WRAP(ev)                                                                                   \
	"{\"token\":\"x\",\"team_id\":\"T1\",\"api_app_id\":\"A1\",\"event\":" ev                  \
	",\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event_time\":1}"

static void thread_messages(void **state)
{
	(void)state;
	assert_int_equal(
	    event(WRAP("{\"type\":\"message\",\"channel\":\"C9\",\"user\":\"U7\",\"text\":"
	               "\"x &lt; y &amp;&amp; <@U1>\",\"ts\":\"1355517523.000005\",\"thread_ts\":"
	               "\"1355517500.000001\",\"channel_type\":\"channel\"}"),
	          "UBOT"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_int_equal(out.ev.type, EV_MESSAGE);
	assert_string_equal(out.ev.text, "x < y && <@U1>");
	assert_string_equal(out.ev.thread, "1355517500.000001");
	assert_string_equal(out.ev.channel, "C9");
	assert_string_equal(out.ev.user, "U7");
	assert_string_equal(out.ev.workspace, "T1");
	assert_string_equal(out.thread_ts, "1355517500.000001");
	assert_string_equal(out.message_ts, "1355517523.000005");

	/* An edit of a reply: the new text. */
	assert_int_equal(
	    event(WRAP("{\"type\":\"message\",\"subtype\":\"message_changed\",\"hidden\":true,"
	               "\"channel\":\"C9\",\"ts\":\"1358878755.000001\",\"message\":{\"type\":"
	               "\"message\",\"user\":\"U7\",\"text\":\"new text\",\"ts\":"
	               "\"1355517523.000005\",\"thread_ts\":\"1355517500.000001\",\"edited\":{"
	               "\"user\":\"U7\",\"ts\":\"1358878755.000001\"}},\"previous_message\":{"
	               "\"type\":\"message\",\"user\":\"U7\",\"text\":\"old\",\"ts\":"
	               "\"1355517523.000005\",\"thread_ts\":\"1355517500.000001\"}}"),
	          "UBOT"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_int_equal(out.ev.type, EV_MESSAGE);
	assert_string_equal(out.ev.text, "new text");
	assert_string_equal(out.ev.thread, "1355517500.000001");

	/* A thread_broadcast reply counts too. */
	assert_int_equal(
	    event(WRAP("{\"type\":\"message\",\"subtype\":\"thread_broadcast\",\"channel\":\"C9\","
	               "\"user\":\"U7\",\"text\":\"hi\",\"ts\":\"2.0\",\"thread_ts\":\"1.0\"}"),
	          "UBOT"),
	    SB_OK);
	assert_int_equal(out.kind, SK_CORE);

	/* A long reply is passed whole. */
	char *big = repeat("é", 5000);
	char *json = xmalloc(strlen(big) + 256);
	sprintf(json,
	        WRAP("{\"type\":\"message\",\"channel\":\"C9\",\"user\":\"U7\",\"text\":\"%s\","
	             "\"ts\":\"2.0\",\"thread_ts\":\"1.0\"}"),
	        big);
	assert_int_equal(event(json, "UBOT"), SB_OK);
	assert_int_equal(out.kind, SK_CORE);
	assert_string_equal(out.ev.text, big);
	free(json);
	free(big);
}

static void ignored_events(void **state)
{
	(void)state;
	const char *ignored[] = {
	    /* top level, not in a thread */
	    WRAP("{\"type\":\"message\",\"channel\":\"C9\",\"user\":\"U7\",\"text\":\"hi\","
	         "\"ts\":\"1.0\"}"),
	    /* the thread's parent itself */
	    WRAP("{\"type\":\"message\",\"channel\":\"C9\",\"user\":\"U7\",\"text\":\"hi\","
	         "\"ts\":\"1.0\",\"thread_ts\":\"1.0\"}"),
	    /* our own */
	    WRAP("{\"type\":\"message\",\"channel\":\"C9\",\"user\":\"UBOT\",\"text\":\"hi\","
	         "\"ts\":\"2.0\",\"thread_ts\":\"1.0\"}"),
	    /* any bot */
	    WRAP("{\"type\":\"message\",\"channel\":\"C9\",\"user\":\"U8\",\"bot_id\":\"B1\","
	         "\"text\":\"hi\",\"ts\":\"2.0\",\"thread_ts\":\"1.0\"}"),
	    WRAP("{\"type\":\"message\",\"subtype\":\"bot_message\",\"channel\":\"C9\",\"bot_id\":"
	         "\"B1\",\"text\":\"hi\",\"ts\":\"2.0\",\"thread_ts\":\"1.0\"}"),
	    /* other subtypes */
	    WRAP("{\"type\":\"message\",\"subtype\":\"channel_join\",\"channel\":\"C9\",\"user\":"
	         "\"U7\",\"text\":\"joined\",\"ts\":\"2.0\"}"),
	    WRAP("{\"type\":\"message\",\"subtype\":\"message_deleted\",\"hidden\":true,"
	         "\"channel\":\"C9\",\"ts\":\"2.0\",\"deleted_ts\":\"1.0\"}"),
	    /* an edit of a top-level message, a bot's edit, an edit that kept the text */
	    WRAP("{\"type\":\"message\",\"subtype\":\"message_changed\",\"channel\":\"C9\","
	         "\"message\":{\"user\":\"U7\",\"text\":\"x\",\"ts\":\"1.0\"}}"),
	    WRAP("{\"type\":\"message\",\"subtype\":\"message_changed\",\"channel\":\"C9\","
	         "\"message\":{\"user\":\"UBOT\",\"bot_id\":\"B1\",\"text\":\"x\",\"ts\":\"2.0\","
	         "\"thread_ts\":\"1.0\"}}"),
	    WRAP(
	        "{\"type\":\"message\",\"subtype\":\"message_changed\",\"channel\":\"C9\","
	        "\"message\":{\"user\":\"U7\",\"text\":\"x\",\"ts\":\"2.0\",\"thread_ts\":\"1.0\"},"
	        "\"previous_message\":{\"user\":\"U7\",\"text\":\"x\",\"ts\":\"2.0\"}}"),
	    /* empty text (a file alone) */
	    WRAP("{\"type\":\"message\",\"channel\":\"C9\",\"user\":\"U7\",\"text\":\"\","
	         "\"ts\":\"2.0\",\"thread_ts\":\"1.0\"}"),
	    /* other events and tabs */
	    WRAP("{\"type\":\"reaction_added\",\"user\":\"U7\"}"),
	    WRAP("{\"type\":\"app_home_opened\",\"user\":\"U7\",\"channel\":\"D1\",\"tab\":"
	         "\"messages\",\"event_ts\":\"1.0\"}"),
	    "{\"type\":\"app_rate_limited\",\"team_id\":\"T1\",\"minute_rate_limited\":1}",
	};
	for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
		if (event(ignored[i], "UBOT") != SB_OK)
			fail_msg("refused: %s", ignored[i]);
		if (out.kind != SK_IGNORE)
			fail_msg("not ignored: %s", ignored[i]);
		assert_non_null(out.ignore_why);
	}
}

static void home_opened(void **state)
{
	(void)state;
	assert_int_equal(event(WRAP("{\"type\":\"app_home_opened\",\"user\":\"U7\",\"channel\":"
	                            "\"D1\",\"event_ts\":\"1515449522000016\",\"tab\":\"home\","
	                            "\"view\":{\"id\":\"V1\",\"type\":\"home\"}}"),
	                       "UBOT"),
	                 SB_OK);
	assert_int_equal(out.kind, SK_HOME);
	assert_string_equal(out.ev.user, "U7");
	assert_string_equal(out.ev.workspace, "T1");
}

static void malformed_events(void **state)
{
	(void)state;
	const char *bad[] = {
	    "{}",
	    "[1]",
	    "{\"type\":\"event_callback\"}",
	    "{\"type\":\"event_callback\",\"event\":[]}",
	    "{\"type\":\"event_callback\",\"event\":{}}",
	    "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\"}}",
	    "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\",\"channel\":5}}",
	    "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\",\"channel\":\"C1\","
	    "\"user\":\"U1\",\"text\":7,\"thread_ts\":\"1.0\",\"ts\":\"2.0\"}}",
	    "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\",\"channel\":\"C1\","
	    "\"user\":\"U1\",\"text\":\"x\",\"thread_ts\":\"1.0.0\",\"ts\":\"2.0\"}}",
	    "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\",\"subtype\":"
	    "\"message_changed\",\"channel\":\"C1\",\"message\":\"x\"}}",
	    "{\"type\":\"event_callback\",\"event\":{\"type\":\"app_home_opened\",\"tab\":\"home\"}"
	    "}",
	    "{\"type\":\"event_callback\",\"team_id\":3,\"event\":{\"type\":\"message\"}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (event(bad[i], "UBOT") == SB_OK)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(out.kind, SK_IGNORE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mrkdwn_conversion), cmocka_unit_test(mrkdwn_no_mentions),
	    cmocka_unit_test(mrkdwn_cutting),    cmocka_unit_test(mrkdwn_split),
	    cmocka_unit_test(render_question),   cmocka_unit_test(render_limits),
	    cmocka_unit_test(render_modal),      cmocka_unit_test(render_home_and_errors),
	    cmocka_unit_test(slash_subcommands), cmocka_unit_test(slash_usage),
	    cmocka_unit_test(button_on_message), cmocka_unit_test(button_in_view),
	    cmocka_unit_test(form_submission),   cmocka_unit_test(malformed_interactions),
	    cmocka_unit_test(thread_messages),   cmocka_unit_test(ignored_events),
	    cmocka_unit_test(home_opened),       cmocka_unit_test(malformed_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
