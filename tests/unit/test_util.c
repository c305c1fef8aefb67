/* Durations, schedules, zones, capped buffers, UTF-8, logfmt, key points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/keypoint.h"
#include "core/schedule.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/str.h"
#include "util/tz.h"

static void durations(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		long secs; /* -1 = rejected */
	} cases[] = {
	    {"45s", 45},
	    {"90m", 5400},
	    {"10h", 36000},
	    {"2d", 172800},
	    {"1h30m", 5400},
	    {"1d2h3m4s", 93784},
	    {"0", 0},
	    {"0s", 0},
	    {"10", -1},
	    {"", -1},
	    {"h", -1},
	    {"1x", -1},
	    {"-5m", -1},
	    {"1m1h", -1},
	    {"1h1h", -1},
	    {"1.5h", -1},
	    {" 1h", -1},
	    {"366d", -1},
	    {"365d", 365L * 86400},
	    {"99999999999999999999s", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long v = -7;
		bool ok = dur_parse(cases[i].in, &v);
		if (cases[i].secs < 0) {
			if (ok)
				fail_msg("'%s' should be rejected", cases[i].in);
		} else {
			if (!ok || v != cases[i].secs)
				fail_msg("'%s' -> %ld, want %ld", cases[i].in, v, cases[i].secs);
		}
	}
	char out[32];
	assert_string_equal(dur_format(5400, out, sizeof out), "1h30m");
	assert_string_equal(dur_format(0, out, sizeof out), "0s");
	assert_string_equal(dur_format(93784, out, sizeof out), "1d2h3m4s");
}

static void schedules(void **state)
{
	(void)state;
	struct schedule s;
	char err[200], out[64];
	assert_true(sched_parse("09:00", &s, err, sizeof err));
	assert_int_equal(s.days, SCHED_ALL_DAYS);
	assert_int_equal(s.secs, 9 * 3600);
	assert_true(sched_parse("23:59:59", &s, err, sizeof err));
	assert_int_equal(s.secs, 86399);
	assert_true(sched_parse("mon,wed,fri 09:00", &s, err, sizeof err));
	assert_int_equal(s.days, 0x15);
	assert_string_equal(sched_format(&s, out, sizeof out), "mon,wed,fri 09:00");
	assert_true(sched_parse("Mon-Fri 18:30", &s, err, sizeof err));
	assert_int_equal(s.days, 0x1f);
	assert_true(sched_parse("fri-mon 07:00", &s, err, sizeof err));
	assert_int_equal(s.days, 0x10 | 0x20 | 0x40 | 0x01);
	assert_true(sched_parse("daily 00:00", &s, err, sizeof err));
	assert_string_equal(sched_format(&s, out, sizeof out), "daily 00:00");
	assert_true(sched_parse("sun 12:00:30", &s, err, sizeof err));
	assert_string_equal(sched_format(&s, out, sizeof out), "sun 12:00:30");

	const char *bad[] = {"24:00", "9:00",      "09:60",        "09:00:60",
	                     "09-00", "mon",       "funday 09:00", "mon,,tue 09:00x",
	                     "",      "09:00 mon", "+9:00",        "09:0a"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sched_parse(bad[i], &s, err, sizeof err))
			fail_msg("'%s' should be rejected", bad[i]);
	assert_false(sched_parse("mon,fun 09:00", &s, err, sizeof err));
	assert_non_null(strstr(err, "unknown day 'fun'"));
}

static void zones(void **state)
{
	(void)state;
	assert_true(tz_valid("Europe/Berlin"));
	assert_true(tz_valid("America/New_York"));
	assert_true(tz_valid("UTC"));
	assert_false(tz_valid("Europe/Atlantis"));
	assert_false(tz_valid("../../etc/passwd"));
	assert_false(tz_valid("/etc/localtime"));
	assert_false(tz_valid("Europe")); /* a directory, not a zone */
	assert_false(tz_valid(""));
	assert_false(tz_valid("Europe//Berlin"));
}

static void capped_buffers(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), SB_OK);
	assert_int_equal(buf_addc(&b, '9'), SB_ERR_TOOBIG);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_str(&b), "12345678");
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%d", 123456789), SB_ERR_TOOBIG);
	assert_int_equal(buf_printf(&b, "%d-%s", 12, "ab"), SB_OK);
	assert_string_equal(buf_str(&b), "12-ab");
	char *s = buf_take(&b);
	assert_string_equal(s, "12-ab");
	free(s);
	assert_int_equal(b.len, 0);

	/* Writing in place never passes the cap either. */
	char *at;
	assert_int_equal(buf_adds(&b, "abc"), SB_OK);
	size_t room = buf_space(&b, 100, &at);
	assert_int_equal(room, 5);
	memcpy(at, "defgh", room);
	buf_commit(&b, room);
	assert_string_equal(buf_str(&b), "abcdefgh");
	assert_int_equal(buf_space(&b, 1, &at), 0);
	assert_null(at);
	buf_reset(&b);
	assert_true(buf_space(&b, 2, &at) >= 2);
	buf_commit(&b, 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void utf8(void **state)
{
	(void)state;
	assert_int_equal(utf8_len("héllo", strlen("héllo")), 5);
	assert_int_equal(utf8_len("日本", 6), 2);
	assert_int_equal(utf8_invalid_at("ok", 2), 2);
	assert_int_equal(utf8_invalid_at("a\xff", 2), 1);
	assert_int_equal(utf8_invalid_at("\xc0\xaf", 2), 0);         /* overlong '/' */
	assert_int_equal(utf8_invalid_at("\xed\xa0\x80", 3), 0);     /* surrogate */
	assert_int_equal(utf8_invalid_at("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	assert_int_equal(utf8_invalid_at("\xe6\x97", 2), 0);         /* cut short */
	/* Cutting by characters and by bytes never splits a character. */
	assert_int_equal(utf8_offset("日本語", 2), 6);
	assert_int_equal(utf8_offset("ab", 5), 2);
	assert_int_equal(utf8_floor("日本", 6, 4), 3);
	assert_int_equal(utf8_floor("日本", 6, 6), 6);
	assert_int_equal(utf8_floor("abc", 3, 2), 2);
	/* Repair: each bad byte becomes U+FFFD, good text is untouched. */
	char *r = utf8_repair("a\xff"
	                      "b\xe6\x97");
	assert_string_equal(r, "a\xef\xbf\xbd"
	                       "b\xef\xbf\xbd\xef\xbf\xbd");
	free(r);
	r = utf8_repair("héllo");
	assert_string_equal(r, "héllo");
	free(r);
	r = utf8_repair(NULL);
	assert_string_equal(r, "");
	free(r);
}

static void logfmt(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(log_quote(out, sizeof out, "plain"), "plain");
	assert_string_equal(log_quote(out, sizeof out, "two words"), "\"two words\"");
	assert_string_equal(log_quote(out, sizeof out, "a\"b\nc"), "\"a\\\"b\\nc\"");
	assert_string_equal(log_quote(out, sizeof out, ""), "\"\"");
	char longs[200];
	memset(longs, 'x', sizeof longs - 1);
	longs[sizeof longs - 1] = '\0';
	log_quote(out, sizeof out, longs);
	assert_true(strlen(out) < sizeof out);
	assert_non_null(strstr(out, "..."));

	assert_string_equal(log_redact(out, sizeof out, NULL), "(unset)");
	assert_string_equal(log_redact(out, sizeof out, "short"), "...");
	assert_string_equal(log_redact(out, sizeof out, "MTIzNDU2Nzg5.abcdef.secretWXYZ"),
	                    "...WXYZ");

	/* one line per event, level filter honoured */
	FILE *f = tmpfile();
	log_set_stream(f);
	log_set_level(LOG_INFO);
	log_debug("hidden", NULL);
	log_info("bank loaded", "questions=%d file=%s", 3, log_quote(out, sizeof out, "a b.md"));
	log_set_stream(NULL);
	rewind(f);
	char line[256] = "";
	assert_non_null(fgets(line, sizeof line, f));
	assert_non_null(
	    strstr(line, " level=info msg=\"bank loaded\" questions=3 file=\"a b.md\"\n"));
	assert_true(strncmp(line, "ts=", 3) == 0);
	assert_null(fgets(line, sizeof line, f));
	fclose(f);
}

static void key_points(void **state)
{
	(void)state;
	const char *answer =
	    "Use `select_related()` for FKs; prefetch-related for M2M. F() avoids races.";
	char *norm = kp_normalize(answer);
	assert_true(kp_match(norm, "select_related"));
	assert_true(kp_match(norm, "select related"));
	assert_true(kp_match(norm, "prefetch_related"));
	assert_true(kp_match(norm, "F()"));
	assert_true(kp_match(norm, "M2M"));
	assert_false(kp_match(norm, "fk"));      /* word bounds: "FKs" is not "FK" */
	assert_false(kp_match(norm, "sel"));     /* nor a word's beginning */
	assert_true(kp_match(norm, "race"));     /* a short ending: "races" */
	assert_false(kp_match(norm, "avoid s")); /* but only on the point's last word */
	assert_false(kp_match(norm, "us"));      /* short words never stretch: not "use" */
	assert_true(kp_match(norm, "N+1 | avoids races"));
	assert_false(kp_match(norm, "()"));
	assert_false(kp_match(norm, "")); /* a point with no words never matches */
	free(norm);

	const char *points[] = {"select_related", "only() | defer()", "F()"};
	bool hit[3];
	assert_int_equal(kp_coverage(answer, points, 3, hit), 2);
	assert_true(hit[0]);
	assert_false(hit[1]);
	assert_true(hit[2]);
	char d[32];
	kp_display("only() | defer()", d, sizeof d);
	assert_string_equal(d, "only()");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(durations),      cmocka_unit_test(schedules), cmocka_unit_test(zones),
	    cmocka_unit_test(capped_buffers), cmocka_unit_test(utf8),      cmocka_unit_test(logfmt),
	    cmocka_unit_test(key_points),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
