/* CSV export writer and SM-2 review scheduling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/csv.h"
#include "core/srs.h"
#include "util/buf.h"

#define DAY 86400

/* One field written on its own, as the bytes it becomes. */
static char *one_field(const char *s, bool guard)
{
	struct buf b;
	struct csv c;
	buf_init(&b, 4096);
	csv_init(&c, &b, guard);
	assert_int_equal(csv_field(&c, s), SB_OK);
	return buf_take(&b);
}

static void check_field(const char *in, bool guard, const char *want)
{
	char *got = one_field(in, guard);
	if (strcmp(got, want) != 0)
		fail_msg("field [%s] (guard %d) -> [%s], want [%s]", in ? in : "(null)", guard, got,
		         want);
	free(got);
}

static void csv_quoting(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"plain", "plain"},
	    {"", ""},
	    {"a,b", "\"a,b\""},
	    {",", "\",\""},
	    {"say \"hi\"", "\"say \"\"hi\"\"\""},
	    {"\"", "\"\"\"\""},
	    {"\"\"", "\"\"\"\"\"\""},
	    {"line1\nline2", "\"line1\nline2\""},
	    {"a\rb", "\"a\rb\""},
	    {"a\r\nb", "\"a\r\nb\""},
	    {" lead", "\" lead\""},
	    {"trail ", "\"trail \""},
	    {" ", "\" \""},
	    {"in side", "in side"},
	    {"tab\tinside", "tab\tinside"},
	    {"semi;colon", "semi;colon"},
	    {"it's", "it's"},
	    {"Zoë — 日本", "Zoë — 日本"},
	    {"Zoë, 日本", "\"Zoë, 日本\""},
	    {"😀 \"ok\"", "\"😀 \"\"ok\"\"\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_field(cases[i].in, false, cases[i].want);
		/* None of these start with a formula character. */
		check_field(cases[i].in, true, cases[i].want);
	}
	check_field(NULL, false, "");
	check_field(NULL, true, "");
}

static void csv_formula_guard(void **state)
{
	(void)state;
	static const struct {
		const char *in, *guarded, *plain;
	} cases[] = {
	    {"=1+1", "'=1+1", "=1+1"},
	    {"+1", "'+1", "+1"},
	    {"-5", "'-5", "-5"},
	    {"@SUM(A1)", "'@SUM(A1)", "@SUM(A1)"},
	    {"\tx", "'\tx", "\tx"},
	    {"\rx", "\"'\rx\"", "\"\rx\""},
	    {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
	     "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
	    {"=a ", "\"'=a \"", "\"=a \""},
	    {"a=b", "a=b", "a=b"},
	    {" =x", "\" =x\"", "\" =x\""},
	    {"'quoted", "'quoted", "'quoted"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_field(cases[i].in, true, cases[i].guarded);
		check_field(cases[i].in, false, cases[i].plain);
	}

	/* Only the start of the field counts, not what follows a comma. */
	struct buf b;
	struct csv c;
	buf_init(&b, 4096);
	csv_init(&c, &b, true);
	assert_int_equal(csv_field(&c, "x"), SB_OK);
	assert_int_equal(csv_field(&c, "=y"), SB_OK);
	assert_int_equal(csv_int(&c, -3), SB_OK);
	assert_string_equal(buf_str(&b), "x,'=y,-3");
	buf_free(&b);
}

static void csv_numbers(void **state)
{
	(void)state;
	struct buf b;
	struct csv c;
	buf_init(&b, 4096);
	csv_init(&c, &b, true);
	assert_int_equal(csv_int(&c, 0), SB_OK);
	assert_int_equal(csv_int(&c, 42), SB_OK);
	assert_int_equal(csv_int(&c, -7), SB_OK);
	assert_int_equal(csv_int(&c, INT64_MAX), SB_OK);
	assert_int_equal(csv_int(&c, INT64_MIN), SB_OK);
	assert_int_equal(c.col, 5);
	assert_string_equal(buf_str(&b), "0,42,-7,9223372036854775807,-9223372036854775808");
	buf_free(&b);
}

static void csv_fieldn_bytes(void **state)
{
	(void)state;
	struct buf b;
	struct csv c;
	buf_init(&b, 4096);
	csv_init(&c, &b, false);
	/* Only n bytes count: the rest of the string, comma included, is ignored. */
	assert_int_equal(csv_fieldn(&c, "abc,def", 3), SB_OK);
	assert_int_equal(csv_fieldn(&c, "x\"y", 3), SB_OK);
	assert_int_equal(csv_fieldn(&c, NULL, 0), SB_OK);
	assert_int_equal(csv_fieldn(&c, "zzz", 0), SB_OK);
	assert_string_equal(buf_str(&b), "abc,\"x\"\"y\",,");
	buf_free(&b);
}

static void csv_document(void **state)
{
	(void)state;
	struct buf b;
	struct csv c;
	buf_init(&b, 4096);
	csv_init(&c, &b, true);

	assert_int_equal(csv_field(&c, "member"), SB_OK);
	assert_int_equal(csv_field(&c, "score"), SB_OK);
	assert_int_equal(csv_field(&c, "answer"), SB_OK);
	assert_int_equal(csv_end_row(&c), SB_OK);
	assert_int_equal(c.col, 0);

	assert_int_equal(csv_field(&c, "Zoë"), SB_OK);
	assert_int_equal(csv_int(&c, -2), SB_OK);
	assert_int_equal(csv_field(&c, "uses \"select_related\",\nthen prefetch"), SB_OK);
	assert_int_equal(csv_end_row(&c), SB_OK);

	assert_int_equal(csv_field(&c, NULL), SB_OK);
	assert_int_equal(csv_int(&c, 10), SB_OK);
	assert_int_equal(csv_field(&c, "=cmd|' /C calc'!A0"), SB_OK);
	assert_int_equal(csv_end_row(&c), SB_OK);

	assert_int_equal(csv_field(&c, ""), SB_OK);
	assert_int_equal(csv_field(&c, ""), SB_OK);
	assert_int_equal(csv_end_row(&c), SB_OK);

	static const char want[] = "member,score,answer\r\n"
	                           "Zoë,-2,\"uses \"\"select_related\"\",\nthen prefetch\"\r\n"
	                           ",10,'=cmd|' /C calc'!A0\r\n"
	                           ",\r\n";
	assert_int_equal(b.len, sizeof want - 1);
	assert_memory_equal(b.data, want, sizeof want - 1);
	buf_free(&b);
}

static void csv_cap(void **state)
{
	(void)state;
	struct buf b;
	struct csv c;
	buf_init(&b, 10);
	csv_init(&c, &b, true);

	assert_int_equal(csv_field(&c, "abcd"), SB_OK); /* 4 */
	assert_int_equal(csv_int(&c, 12), SB_OK);       /* 7 */
	/* ",\"a,\"" would make 12: refused, and nothing of it is written. */
	assert_int_equal(csv_field(&c, "a,"), SB_ERR_TOOBIG);
	assert_string_equal(buf_str(&b), "abcd,12");
	assert_int_equal(c.col, 2);
	/* Quote doubling and the guard count toward the cap too. */
	assert_int_equal(csv_field(&c, "\""), SB_ERR_TOOBIG); /* ,"""" */
	assert_int_equal(csv_field(&c, "=1"), SB_ERR_TOOBIG); /* ,'=1 */
	assert_int_equal(csv_int(&c, -100), SB_ERR_TOOBIG);
	assert_string_equal(buf_str(&b), "abcd,12");
	assert_int_equal(csv_field(&c, "x"), SB_OK); /* 9 */
	assert_int_equal(csv_end_row(&c), SB_ERR_TOOBIG);
	assert_int_equal(c.col, 3);
	assert_string_equal(buf_str(&b), "abcd,12,x");
	assert_int_equal(csv_field(&c, NULL), SB_OK); /* exactly 10 */
	assert_int_equal(b.len, 10);
	assert_int_equal(csv_field(&c, NULL), SB_ERR_TOOBIG);
	assert_string_equal(buf_str(&b), "abcd,12,x,");
	buf_free(&b);

	/* A row that fits exactly, CRLF included. */
	buf_init(&b, 5);
	csv_init(&c, &b, false);
	assert_int_equal(csv_field(&c, "a"), SB_OK);
	assert_int_equal(csv_field(&c, "b"), SB_OK);
	assert_int_equal(csv_end_row(&c), SB_OK);
	assert_memory_equal(b.data, "a,b\r\n", 5);
	assert_int_equal(csv_field(&c, ""), SB_OK);
	assert_int_equal(csv_field(&c, "c"), SB_ERR_TOOBIG);
	buf_free(&b);
}

static void near(double got, double want, const char *what)
{
	double d = got - want;
	if (d < -1e-9 || d > 1e-9)
		fail_msg("%s: %.12f, want %.12f", what, got, want);
}

static void srs_new_card(void **state)
{
	(void)state;
	struct srs_card c;
	srs_card_new(&c, 1700000000);
	near(c.ef, 2.5, "ef");
	assert_int_equal(c.reps, 0);
	assert_int_equal(c.interval_days, 0);
	assert_int_equal(c.due, 1700000000);
}

static void srs_perfect_run(void **state)
{
	(void)state;
	const int64_t t0 = 1700000000;
	struct srs_card c;
	srs_card_new(&c, t0);
	/* Each interval uses the factor going into that review: 1, 6, 6 * 2.7,
	 * 16 * 2.8. */
	static const int want_iv[] = {1, 6, 16, 45};
	static const double want_ef[] = {2.6, 2.7, 2.8, 2.9};
	int64_t now = t0;
	for (int i = 0; i < 4; i++) {
		srs_review(&c, 5, now);
		assert_int_equal(c.interval_days, want_iv[i]);
		assert_int_equal(c.reps, i + 1);
		near(c.ef, want_ef[i], "ef after q=5");
		assert_int_equal(c.due, now + (int64_t)want_iv[i] * DAY);
		now = c.due;
	}
}

static void srs_factor_steps(void **state)
{
	(void)state;
	/* The change in EF for each quality, from the SM-2 formula. */
	static const double delta[] = {-0.8, -0.54, -0.32, -0.14, 0.0, 0.1};
	for (int q = 0; q <= 5; q++) {
		struct srs_card c;
		srs_card_new(&c, 0);
		c.ef = 2.5;
		srs_review(&c, q, 0);
		near(c.ef, 2.5 + delta[q], "ef step");
	}

	struct srs_card c;
	srs_card_new(&c, 0);
	srs_review(&c, 3, 0);
	near(c.ef, 2.36, "q=3 lowers by 0.14");
	assert_int_equal(c.reps, 1);
	assert_int_equal(c.interval_days, 1);
	srs_review(&c, 4, 0);
	near(c.ef, 2.36, "q=4 keeps ef");
	assert_int_equal(c.interval_days, 6);
	srs_review(&c, 4, 0);
	assert_int_equal(c.interval_days, 14); /* 6 * 2.36 = 14.16 */
	srs_review(&c, 3, 0);
	assert_int_equal(c.interval_days, 33); /* 14 * 2.36 = 33.04 */
	near(c.ef, 2.22, "second q=3");
}

static void srs_failures(void **state)
{
	(void)state;
	const int64_t t0 = 1700000000;
	struct srs_card c;
	srs_card_new(&c, t0);
	for (int i = 0; i < 4; i++)
		srs_review(&c, 5, t0);
	assert_int_equal(c.interval_days, 45);
	assert_int_equal(c.reps, 4);

	srs_review(&c, 0, t0);
	assert_int_equal(c.reps, 0);
	assert_int_equal(c.interval_days, 1);
	assert_int_equal(c.due, t0 + DAY);
	near(c.ef, 2.1, "ef after q=0 from 2.9");

	/* Relearning starts over at 1 and 6 days with the lowered factor. */
	srs_review(&c, 4, t0);
	assert_int_equal(c.interval_days, 1);
	srs_review(&c, 4, t0);
	assert_int_equal(c.interval_days, 6);
	srs_review(&c, 4, t0);
	assert_int_equal(c.interval_days, 13); /* 6 * 2.1 = 12.6 */

	for (int i = 0; i < 50; i++) {
		srs_review(&c, i % 3, t0 + i);
		assert_true(c.ef >= 1.3);
		assert_int_equal(c.reps, 0);
		assert_int_equal(c.interval_days, 1);
		assert_int_equal(c.due, t0 + i + DAY);
	}
	near(c.ef, 1.3, "ef floor");

	/* At the floor, success grows intervals by 1.3. */
	srs_review(&c, 4, t0);
	srs_review(&c, 4, t0);
	srs_review(&c, 4, t0);
	assert_int_equal(c.interval_days, 8); /* 6 * 1.3 = 7.8 */
	near(c.ef, 1.3, "q=4 at floor");
	srs_review(&c, 5, t0);
	near(c.ef, 1.4, "q=5 lifts off the floor");
}

static void srs_clamps(void **state)
{
	(void)state;
	struct srs_card a, b;
	srs_card_new(&a, 0);
	srs_card_new(&b, 0);
	srs_review(&a, -3, 0);
	srs_review(&b, 0, 0);
	near(a.ef, b.ef, "q below 0 acts as 0");
	assert_int_equal(a.interval_days, 1);

	srs_card_new(&a, 0);
	srs_card_new(&b, 0);
	srs_review(&a, 99, 0);
	srs_review(&b, 5, 0);
	near(a.ef, b.ef, "q above 5 acts as 5");

	/* A stored card with a nonsense factor is treated as at the floor. */
	srs_card_new(&a, 0);
	a.ef = 0.2;
	a.reps = 2;
	a.interval_days = 10;
	srs_review(&a, 4, 0);
	assert_int_equal(a.interval_days, 13);
	near(a.ef, 1.3, "corrupt ef");

	/* Endless success stays within a century instead of overflowing. */
	srs_card_new(&a, 0);
	for (int i = 0; i < 200; i++)
		srs_review(&a, 5, 0);
	assert_int_equal(a.interval_days, 36500);
	assert_int_equal(a.due, (int64_t)36500 * DAY);
	assert_int_equal(a.reps, 200);
}

static void srs_quality_mapping(void **state)
{
	(void)state;
	assert_int_equal(srs_quality_from_rating(0, false, true), 3);
	assert_int_equal(srs_quality_from_rating(0, false, false), 1);
	assert_int_equal(srs_quality_from_rating(5.0, true, false), 1);
	assert_int_equal(srs_quality_from_rating(1.0, true, true), 1);
	assert_int_equal(srs_quality_from_rating(1.4, true, true), 1);
	assert_int_equal(srs_quality_from_rating(1.5, true, true), 2);
	assert_int_equal(srs_quality_from_rating(2.49, true, true), 2);
	assert_int_equal(srs_quality_from_rating(2.5, true, true), 3);
	assert_int_equal(srs_quality_from_rating(3.0, true, true), 3);
	assert_int_equal(srs_quality_from_rating(4.4, true, true), 4);
	assert_int_equal(srs_quality_from_rating(4.5, true, true), 5);
	assert_int_equal(srs_quality_from_rating(5.0, true, true), 5);
	/* Out-of-range averages are clamped, never outside 1..5. */
	assert_int_equal(srs_quality_from_rating(0.0, true, true), 1);
	assert_int_equal(srs_quality_from_rating(-2.0, true, true), 1);
	assert_int_equal(srs_quality_from_rating(9.0, true, true), 5);

	assert_int_equal(srs_quality_from_choice(true), 4);
	assert_int_equal(srs_quality_from_choice(false), 1);

	/* A 1/5 answer and a wrong pick restart the card; a correct pick does not. */
	struct srs_card c;
	srs_card_new(&c, 0);
	srs_review(&c, 5, 0);
	srs_review(&c, 5, 0);
	srs_review(&c, srs_quality_from_rating(1.0, true, true), 0);
	assert_int_equal(c.reps, 0);
	srs_review(&c, srs_quality_from_choice(true), 0);
	assert_int_equal(c.reps, 1);
	srs_review(&c, srs_quality_from_choice(false), 0);
	assert_int_equal(c.reps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(csv_quoting),      cmocka_unit_test(csv_formula_guard),
	    cmocka_unit_test(csv_numbers),      cmocka_unit_test(csv_fieldn_bytes),
	    cmocka_unit_test(csv_document),     cmocka_unit_test(csv_cap),
	    cmocka_unit_test(srs_new_card),     cmocka_unit_test(srs_perfect_run),
	    cmocka_unit_test(srs_factor_steps), cmocka_unit_test(srs_failures),
	    cmocka_unit_test(srs_clamps),       cmocka_unit_test(srs_quality_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
