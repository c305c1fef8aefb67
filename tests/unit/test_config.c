/* Config parser: every key, every kind of error with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

struct parsed {
	struct config c;
	struct diags d;
	enum sb_rc rc;
};

static struct parsed *parse(const char *text)
{
	struct parsed *p = calloc(1, sizeof *p);
	cfg_init(&p->c);
	diags_init(&p->d);
	p->rc = cfg_parse(&p->c, "test.ini", text, strlen(text), &p->d);
	return p;
}

static void done(struct parsed *p)
{
	cfg_free(&p->c);
	diags_free(&p->d);
	free(p);
}

/* Asserts exactly one diagnostic, on `line`, containing `needle`. */
static void expect_one(const char *text, int line, const char *needle)
{
	struct parsed *p = parse(text);
	if (p->d.n != 1 || p->d.v[0].line != line || !strstr(p->d.v[0].msg, needle)) {
		diags_print(&p->d, stderr);
		fail_msg("expected one error on line %d containing '%s', got %zu", line, needle,
		         p->d.n);
	}
	assert_int_equal(p->rc, SB_ERR_INVALID);
	assert_string_equal(p->d.v[0].path, "test.ini");
	done(p);
}

static void defaults(void **state)
{
	(void)state;
	struct parsed *p = parse("");
	assert_int_equal(p->rc, SB_OK);
	struct config *c = &p->c;
	assert_int_equal(c->platform, PLATFORM_DISCORD);
	assert_string_equal(c->database, "studybot.db");
	assert_string_equal(c->questions, "questions");
	assert_string_equal(c->http_listen, "127.0.0.1:8080");
	assert_int_equal(c->log_level, LOG_INFO);
	assert_string_equal(c->discord.token_env, "DISCORD_TOKEN");
	assert_string_equal(c->discord.api_base, "https://discord.com/api/v10");
	assert_int_equal(c->discord.shard_id, -1);
	assert_int_equal(c->discord.compress, COMPRESS_ZLIB_STREAM);
	assert_int_equal(c->slack.connections, 1);
	assert_int_equal(c->slack.nadmins, 0);
	assert_int_equal(c->scoring.answer, 10);
	assert_int_equal(c->scoring.peer_max, 10);
	assert_int_equal(c->scoring.review, 1);
	assert_int_equal(c->scoring.review_cap, 3);
	assert_int_equal(c->scoring.mcq, 10);
	assert_int_equal(c->scoring.streak, 1);
	assert_int_equal(c->scoring.streak_cap, 7);
	assert_int_equal(c->scoring.hint, -3);
	assert_int_equal(c->scoring.key_points, 5);
	assert_int_equal(c->nchannels, 0);
	done(p);
}

static void every_key(void **state)
{
	(void)state;
	struct parsed *p = parse("[bot]\n"
	                         "platform = slack\n"
	                         "database = postgresql://u@h/db\n"
	                         "questions = q\n"
	                         "http_listen =\n"
	                         "log_level = debug\n"
	                         "[discord]\n"
	                         "token_env = MY_TOKEN\n"
	                         "application_id = 1234567890123456789\n"
	                         "api_base = http://127.0.0.1:9999/api/v10/\n"
	                         "shard = 1/4\n"
	                         "compress = none\n"
	                         "[slack]\n"
	                         "app_token_env = A\n"
	                         "bot_token_env = B\n"
	                         "api_base = http://localhost:1/api\n"
	                         "connections = 10\n"
	                         "admins = U012ABC, W99\n"
	                         "[scoring]\n"
	                         "answer = 1\npeer_max = 2\nreview = 3\nreview_cap = 4\nmcq = 5\n"
	                         "streak = 6\nstreak_cap = 8\nhint = 0\nkey_points = 9\n"
	                         "[channel \"study\"]\n"
	                         "id = C0123ABCD\n"
	                         "schedule = \"mon,wed,fri 09:30\"\n"
	                         "timezone = America/New_York\n"
	                         "topics = python, django-orm\n"
	                         "difficulty = 2\n"
	                         "answer_window = 1h30m\n"
	                         "review_window = 2d\n"
	                         "answer_mode = thread\n"
	                         "remind_before = 0\n");
	diags_print(&p->d, stderr);
	assert_int_equal(p->rc, SB_OK);
	struct config *c = &p->c;
	assert_int_equal(c->platform, PLATFORM_SLACK);
	assert_string_equal(c->database, "postgresql://u@h/db");
	assert_string_equal(c->http_listen, "");
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_true(c->discord.application_id == 1234567890123456789ULL);
	assert_string_equal(c->discord.api_base, "http://127.0.0.1:9999/api/v10");
	assert_int_equal(c->discord.shard_id, 1);
	assert_int_equal(c->discord.shard_count, 4);
	assert_int_equal(c->discord.compress, COMPRESS_NONE);
	assert_int_equal(c->slack.connections, 10);
	assert_int_equal(c->slack.nadmins, 2);
	assert_string_equal(c->slack.admins[1], "W99");
	assert_int_equal(c->scoring.streak_cap, 8);
	assert_int_equal(c->scoring.hint, 0);
	assert_int_equal(c->nchannels, 1);
	struct cfg_channel *ch = &c->channels[0];
	assert_string_equal(ch->name, "study");
	assert_string_equal(ch->id, "C0123ABCD");
	assert_int_equal(ch->schedule.days, 1 | 4 | 16);
	assert_int_equal(ch->schedule.secs, 9 * 3600 + 30 * 60);
	assert_string_equal(ch->timezone, "America/New_York");
	assert_int_equal(ch->ntopics, 2);
	assert_string_equal(ch->topics[1], "django-orm");
	assert_int_equal(ch->diff_min, 2);
	assert_int_equal(ch->diff_max, 2);
	assert_int_equal(ch->answer_window, 5400);
	assert_int_equal(ch->review_window, 2 * 86400);
	assert_int_equal(ch->answer_mode, ANSWER_THREAD);
	assert_int_equal(ch->remind_before, 0);
	done(p);
}

static void channel_defaults(void **state)
{
	(void)state;
	struct parsed *p = parse("[channel \"a\"]\nid = 123456789012345678\n");
	assert_int_equal(p->rc, SB_OK);
	struct cfg_channel *ch = &p->c.channels[0];
	assert_int_equal(ch->schedule.days, SCHED_ALL_DAYS);
	assert_int_equal(ch->schedule.secs, 9 * 3600);
	assert_string_equal(ch->timezone, "UTC");
	assert_int_equal(ch->ntopics, 0);
	assert_int_equal(ch->diff_min, 1);
	assert_int_equal(ch->diff_max, 3);
	assert_int_equal(ch->answer_window, 10 * 3600);
	assert_int_equal(ch->review_window, 12 * 3600);
	assert_int_equal(ch->answer_mode, ANSWER_MODAL);
	assert_int_equal(ch->remind_before, 2 * 3600);
	done(p);
}

static void errors_name_line_and_key(void **state)
{
	(void)state;
	expect_one("[scoring]\nanswre = 3\n", 2,
	           "[scoring] answre: unknown key (did you mean 'answer'?)");
	expect_one("[bot]\n\nzzzzzzzz = 1\n", 3, "known keys: platform, database");
	expect_one("[botz]\nplatform = discord\nlog_level = info\n", 2, "[botz]: unknown section");
	expect_one("platform = discord\n", 1, "outside any section");
	expect_one("[bot]\nplatform = irc\n", 2, "'irc' is not one of: discord | slack");
	expect_one("[scoring]\nanswer = ten\n", 2, "not a whole number from 0 to 1000");
	expect_one("[scoring]\nhint = 3\n", 2, "from -1000 to 0");
	expect_one("[slack]\nconnections = 11\n", 2, "from 1 to 10");
	expect_one("[discord]\nshard = 4/4\n", 2, "0 <= ID < COUNT");
	expect_one("[discord]\napi_base = discord.com\n", 2, "not an http:// or https:// URL");
	expect_one("[discord]\ntoken_env = Bot abc.def\n", 2, "not an environment variable name");
	expect_one("[discord]\napplication_id = -5\n", 2, "not a numeric id");
	expect_one("[bot]\nhttp_listen = localhost\n", 2, "not HOST:PORT");
	expect_one("[slack]\nadmins = U1X, bob\n", 2, "not a Slack user id");
	expect_one("[bot]\nplatform = slack\nplatform = discord\n", 3, "set twice");
	expect_one("[bot]\nthis is not ini\n", 2, "expected 'key = value'");
	expect_one("[bot\n", 1, "without a closing ']'");
}

static void channel_errors(void **state)
{
	(void)state;
	const char *head = "[channel \"c\"]\nid = 123456789012345678\n";
	char buf[512];
#define CH(extra, line, needle)                                                                    \
	do {                                                                                       \
		snprintf(buf, sizeof buf, "%s%s", head, extra);                                    \
		expect_one(buf, line, needle);                                                     \
	} while (0)
	CH("answer_window = 10\n", 3, "not a duration");
	CH("answer_window = 10x\n", 3, "not a duration");
	CH("answer_window = 30s\n", 3, "out of range (1m to 7d)");
	CH("review_window = 8d\n", 3, "out of range");
	CH("schedule = 25:00\n", 3, "bad time '25:00'");
	CH("schedule = 9:00\n", 3, "expected HH:MM");
	CH("schedule = mon,fun 09:00\n", 3, "unknown day 'fun'");
	CH("timezone = Europe/Atlantis\n", 3, "not a time zone");
	CH("timezone = ../../etc/passwd\n", 3, "not a time zone");
	CH("difficulty = 3-1\n", 3, "difficulty or range");
	CH("difficulty = 4\n", 3, "difficulty or range");
	CH("topics = Python\n", 3, "not a topic slug");
	CH("answer_mode = dm\n", 3, "modal | thread");
	CH("idd = 1\n", 3, "did you mean 'id'?");
	CH("answer_window = 1h\nremind_before = 2h\n", 4, "shorter than answer_window");
#undef CH
	expect_one("[channel \"c\"]\nschedule = 09:00\n", 1, "id: required");
	expect_one("[channel \"c\"]\nid = 12345\n", 2, "not a Discord channel id");
	expect_one("[bot]\nplatform = slack\n[channel \"c\"]\nid = 123456789012345678\n", 4,
	           "not a Slack channel id");
	expect_one(
	    "[channel \"a\"]\nid = 123456789012345678\n[channel \"b\"]\nid = 123456789012345678\n",
	    4, "already configured as \"a\"");
}

static void every_error_in_one_run(void **state)
{
	(void)state;
	struct parsed *p =
	    parse("[bot]\nplatform = x\nlog_level = loud\n[scoring]\nmcq = -1\nfoo = 1\n");
	assert_int_equal(p->d.n, 4);
	assert_int_equal(p->d.v[0].line, 2);
	assert_int_equal(p->d.v[1].line, 3);
	assert_int_equal(p->d.v[2].line, 5);
	assert_int_equal(p->d.v[3].line, 6);
	done(p);
}

static void long_lines_keep_count(void **state)
{
	(void)state;
	/* a line inih cannot hold is reported, and later lines keep their numbers */
	char text[1024];
	char longv[400];
	memset(longv, 'a', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	snprintf(text, sizeof text, "[bot]\ndatabase = %s\n\nplatform = nope\n", longv);
	struct parsed *p = parse(text);
	assert_int_equal(p->d.n, 2);
	assert_int_equal(p->d.v[0].line, 2);
	assert_non_null(strstr(p->d.v[0].msg, "line too long"));
	assert_int_equal(p->d.v[1].line, 4);
	done(p);
}

static void crlf_and_comments(void **state)
{
	(void)state;
	struct parsed *p =
	    parse("; comment\r\n# another\r\n[bot]\r\nlog_level = warn ; inline\r\n");
	diags_print(&p->d, stderr);
	assert_int_equal(p->rc, SB_OK);
	assert_int_equal(p->c.log_level, LOG_WARN);
	done(p);
}

static void missing_file(void **state)
{
	(void)state;
	struct config c;
	struct diags d;
	cfg_init(&c);
	diags_init(&d);
	assert_int_not_equal(cfg_load(&c, "/nonexistent/studybot.ini", &d), SB_OK);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "cannot read"));
	cfg_free(&c);
	diags_free(&d);
}

static void shipped_config_is_valid(void **state)
{
	(void)state;
	struct config c;
	struct diags d;
	cfg_init(&c);
	diags_init(&d);
	enum sb_rc rc = cfg_load(&c, SOURCE_DIR "/config/studybot.ini", &d);
	diags_print(&d, stderr);
	assert_int_equal(rc, SB_OK);
	assert_true(c.nchannels >= 1);
	cfg_free(&c);
	diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults),
	    cmocka_unit_test(every_key),
	    cmocka_unit_test(channel_defaults),
	    cmocka_unit_test(errors_name_line_and_key),
	    cmocka_unit_test(channel_errors),
	    cmocka_unit_test(every_error_in_one_run),
	    cmocka_unit_test(long_lines_keep_count),
	    cmocka_unit_test(crlf_and_comments),
	    cmocka_unit_test(missing_file),
	    cmocka_unit_test(shipped_config_is_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
