/* Time zones: TZif reading, UTC <-> civil time across DST changes, the POSIX
 * footer for years past the stored transitions, and hostile zone files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/tz.h"

#define HOUR 3600

static struct tz *load(const char *name)
{
	struct tz *z = NULL;
	enum sb_rc rc = tz_load(name, &z);
	if (rc != SB_OK)
		fail_msg("tz_load(%s): %s", name, sb_strerror(rc));
	assert_non_null(z);
	assert_string_equal(tz_name(z), name);
	return z;
}

/* UTC instant of a UTC date and time, independent of the code under test's
 * zone handling (only the calendar helper, tested on its own below). */
static int64_t utc(int y, int m, int d, int h, int mi)
{
	return civil_to_days(y, m, d) * 86400 + h * HOUR + mi * 60;
}

static int64_t mk(const struct tz *z, int y, int m, int d, int h, int mi)
{
	return tz_mktime(z, y, m, d, h * HOUR + mi * 60);
}

static void expect_local(const struct tz *z, int64_t t, int y, int m, int d, int h, int mi,
                         long off, int dst)
{
	struct civil c;
	tz_local(z, t, &c);
	if (c.year != y || c.month != m || c.day != d || c.hour != h || c.min != mi ||
	    c.utc_offset != off || c.is_dst != dst)
		fail_msg("%s @%lld: got %04d-%02d-%02d %02d:%02d:%02d off %ld dst %d, want "
		         "%04d-%02d-%02d %02d:%02d off %ld dst %d",
		         tz_name(z), (long long)t, c.year, c.month, c.day, c.hour, c.min, c.sec,
		         c.utc_offset, c.is_dst, y, m, d, h, mi, off, dst);
	assert_int_equal(c.wday, civil_wday(civil_to_days(y, m, d)));
}

static void berlin(void **state)
{
	(void)state;
	struct tz *z = load("Europe/Berlin");

	/* 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00 UTC. */
	assert_int_equal(mk(z, 2026, 3, 29, 1, 30), utc(2026, 3, 29, 0, 30));
	assert_int_equal(mk(z, 2026, 3, 29, 2, 0), utc(2026, 3, 29, 1, 0));
	assert_int_equal(mk(z, 2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 0));
	assert_int_equal(tz_mktime(z, 2026, 3, 29, 3 * HOUR - 1), utc(2026, 3, 29, 1, 0));
	assert_int_equal(mk(z, 2026, 3, 29, 3, 0), utc(2026, 3, 29, 1, 0));
	assert_int_equal(mk(z, 2026, 3, 29, 3, 30), utc(2026, 3, 29, 1, 30));
	expect_local(z, utc(2026, 3, 29, 1, 0) - 1, 2026, 3, 29, 1, 59, 3600, 0);
	expect_local(z, utc(2026, 3, 29, 1, 0), 2026, 3, 29, 3, 0, 7200, 1);
	expect_local(z, utc(2026, 3, 29, 0, 30), 2026, 3, 29, 1, 30, 3600, 0);
	expect_local(z, utc(2026, 3, 29, 1, 30), 2026, 3, 29, 3, 30, 7200, 1);
	struct civil c;
	tz_local(z, utc(2026, 3, 29, 1, 0), &c);
	assert_int_equal(c.sec, 0);
	assert_int_equal(c.wday, 6); /* a Sunday */

	/* 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00 UTC; 02:00-03:00 twice. */
	assert_int_equal(mk(z, 2026, 10, 25, 1, 30), utc(2026, 10, 24, 23, 30));
	assert_int_equal(mk(z, 2026, 10, 25, 2, 0), utc(2026, 10, 25, 0, 0));
	assert_int_equal(mk(z, 2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30));
	assert_int_equal(mk(z, 2026, 10, 25, 3, 0), utc(2026, 10, 25, 2, 0));
	assert_int_equal(mk(z, 2026, 10, 25, 3, 30), utc(2026, 10, 25, 2, 30));
	expect_local(z, utc(2026, 10, 25, 0, 30), 2026, 10, 25, 2, 30, 7200, 1);
	expect_local(z, utc(2026, 10, 25, 1, 0) - 1, 2026, 10, 25, 2, 59, 7200, 1);
	expect_local(z, utc(2026, 10, 25, 1, 0), 2026, 10, 25, 2, 0, 3600, 0);
	expect_local(z, utc(2026, 10, 25, 1, 30), 2026, 10, 25, 2, 30, 3600, 0);
	expect_local(z, utc(2026, 10, 25, 2, 30), 2026, 10, 25, 3, 30, 3600, 0);

	/* Plain days either side. */
	expect_local(z, utc(2026, 1, 15, 11, 0), 2026, 1, 15, 12, 0, 3600, 0);
	expect_local(z, utc(2026, 7, 15, 10, 0), 2026, 7, 15, 12, 0, 7200, 1);
	tz_free(z);
}

static void new_york(void **state)
{
	(void)state;
	struct tz *z = load("America/New_York");

	/* 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00 UTC. */
	assert_int_equal(mk(z, 2026, 3, 8, 1, 30), utc(2026, 3, 8, 6, 30));
	assert_int_equal(mk(z, 2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 0));
	assert_int_equal(mk(z, 2026, 3, 8, 3, 30), utc(2026, 3, 8, 7, 30));
	expect_local(z, utc(2026, 3, 8, 7, 0) - 60, 2026, 3, 8, 1, 59, -18000, 0);
	expect_local(z, utc(2026, 3, 8, 7, 0), 2026, 3, 8, 3, 0, -14400, 1);

	/* 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:00-02:00 twice. */
	assert_int_equal(mk(z, 2026, 11, 1, 0, 30), utc(2026, 11, 1, 4, 30));
	assert_int_equal(mk(z, 2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30));
	assert_int_equal(mk(z, 2026, 11, 1, 2, 30), utc(2026, 11, 1, 7, 30));
	expect_local(z, utc(2026, 11, 1, 5, 30), 2026, 11, 1, 1, 30, -14400, 1);
	expect_local(z, utc(2026, 11, 1, 6, 0), 2026, 11, 1, 1, 0, -18000, 0);
	expect_local(z, utc(2026, 11, 1, 6, 30), 2026, 11, 1, 1, 30, -18000, 0);

	/* A negative offset moves the date back across UTC midnight. */
	expect_local(z, utc(2026, 1, 1, 3, 0), 2025, 12, 31, 22, 0, -18000, 0);
	assert_int_equal(mk(z, 2025, 12, 31, 22, 0), utc(2026, 1, 1, 3, 0));
	tz_free(z);
}

/* Years past the stored transitions come from the POSIX footer (slim TZif
 * files may store none at all). */
static void footer_years(void **state)
{
	(void)state;
	struct tz *ber = load("Europe/Berlin");
	struct tz *nyc = load("America/New_York");

	assert_int_equal(mk(ber, 2050, 7, 1, 12, 0), utc(2050, 7, 1, 10, 0));
	expect_local(ber, utc(2050, 7, 1, 10, 0), 2050, 7, 1, 12, 0, 7200, 1);
	expect_local(ber, utc(2050, 1, 15, 11, 0), 2050, 1, 15, 12, 0, 3600, 0);
	/* Last Sundays of March and October: 2037-03-29, 2037-10-25,
	 * 2050-03-27, 2050-10-30. */
	assert_int_equal(mk(ber, 2037, 3, 29, 2, 30), utc(2037, 3, 29, 1, 0));
	assert_int_equal(mk(ber, 2037, 10, 25, 2, 30), utc(2037, 10, 25, 0, 30));
	assert_int_equal(mk(ber, 2050, 3, 27, 2, 30), utc(2050, 3, 27, 1, 0));
	expect_local(ber, utc(2050, 3, 27, 1, 0) - 1, 2050, 3, 27, 1, 59, 3600, 0);
	expect_local(ber, utc(2050, 3, 27, 1, 0), 2050, 3, 27, 3, 0, 7200, 1);
	expect_local(ber, utc(2050, 10, 30, 1, 0) - 1, 2050, 10, 30, 2, 59, 7200, 1);
	expect_local(ber, utc(2050, 10, 30, 1, 0), 2050, 10, 30, 2, 0, 3600, 0);
	assert_int_equal(mk(ber, 2050, 10, 30, 2, 30), utc(2050, 10, 30, 0, 30));

	struct civil c;
	tz_local(nyc, utc(2050, 1, 15, 17, 0), &c);
	assert_int_equal(c.utc_offset, -18000);
	assert_int_equal(c.is_dst, 0);
	assert_int_equal(c.hour, 12);
	tz_local(nyc, utc(2050, 7, 15, 16, 0), &c);
	assert_int_equal(c.utc_offset, -14400);
	assert_int_equal(c.is_dst, 1);
	/* Second Sunday of March, first of November: 2050-03-13, 2050-11-06. */
	assert_int_equal(mk(nyc, 2050, 3, 13, 2, 30), utc(2050, 3, 13, 7, 0));
	assert_int_equal(mk(nyc, 2050, 11, 6, 1, 30), utc(2050, 11, 6, 5, 30));
	assert_int_equal(mk(nyc, 2037, 3, 8, 2, 30), utc(2037, 3, 8, 7, 0));
	assert_int_equal(mk(nyc, 2037, 11, 1, 1, 30), utc(2037, 11, 1, 5, 30));

	/* Far out of any sane range: no overflow, a year that fits. */
	tz_local(ber, INT64_MAX, &c);
	assert_true(c.year > 2050);
	tz_local(ber, INT64_MIN, &c);
	assert_true(c.year < 0);
	(void)tz_mktime(ber, 2147483647, 12, 31, 86399);
	(void)tz_mktime(ber, -2147483647 - 1, 1, 1, 0);
	tz_free(ber);
	tz_free(nyc);
}

static void fixed_and_southern(void **state)
{
	(void)state;
	const char *utcs[] = {"UTC", "Etc/UTC"};
	for (size_t i = 0; i < 2; i++) {
		struct tz *z = load(utcs[i]);
		expect_local(z, 0, 1970, 1, 1, 0, 0, 0, 0);
		expect_local(z, utc(2026, 3, 29, 2, 30), 2026, 3, 29, 2, 30, 0, 0);
		assert_int_equal(mk(z, 2026, 3, 29, 2, 30), utc(2026, 3, 29, 2, 30));
		assert_int_equal(mk(z, 2050, 7, 1, 0, 0), utc(2050, 7, 1, 0, 0));
		tz_free(z);
	}

	struct tz *tok = load("Asia/Tokyo");
	expect_local(tok, utc(2026, 1, 1, 0, 0), 2026, 1, 1, 9, 0, 32400, 0);
	expect_local(tok, utc(2026, 7, 1, 20, 0), 2026, 7, 2, 5, 0, 32400, 0);
	expect_local(tok, utc(2050, 7, 1, 20, 0), 2050, 7, 2, 5, 0, 32400, 0);
	assert_int_equal(mk(tok, 2026, 3, 29, 2, 30), utc(2026, 3, 28, 17, 30));
	assert_int_equal(mk(tok, 2026, 1, 1, 0, 0), utc(2025, 12, 31, 15, 0));
	tz_free(tok);

	/* Southern hemisphere: DST spans the new year. */
	struct tz *syd = load("Australia/Sydney");
	expect_local(syd, utc(2026, 1, 15, 1, 0), 2026, 1, 15, 12, 0, 39600, 1);
	expect_local(syd, utc(2026, 7, 15, 2, 0), 2026, 7, 15, 12, 0, 36000, 0);
	expect_local(syd, utc(2050, 1, 15, 1, 0), 2050, 1, 15, 12, 0, 39600, 1);
	expect_local(syd, utc(2050, 7, 15, 2, 0), 2050, 7, 15, 12, 0, 36000, 0);
	assert_int_equal(mk(syd, 2026, 1, 15, 12, 0), utc(2026, 1, 15, 1, 0));
	assert_int_equal(mk(syd, 2026, 7, 15, 12, 0), utc(2026, 7, 15, 2, 0));
	/* 2026-10-04 02:00 AEST -> 03:00 AEDT; 2026-04-05 03:00 AEDT -> 02:00. */
	assert_int_equal(mk(syd, 2026, 10, 4, 2, 30), utc(2026, 10, 3, 16, 0));
	assert_int_equal(mk(syd, 2026, 4, 5, 2, 30), utc(2026, 4, 4, 15, 30));
	assert_int_equal(mk(syd, 2050, 10, 2, 2, 30), utc(2050, 10, 1, 16, 0));
	tz_free(syd);
}

/* Every hour of 2026: local time maps back to the same instant, except for the
 * second pass through a fall-back hour, which maps to the first. */
static void round_trip_zone(const char *name, int64_t overlap_second)
{
	struct tz *z = load(name);
	int mismatches = 0;
	for (int64_t t = utc(2026, 1, 1, 0, 0); t < utc(2027, 1, 1, 0, 0); t += HOUR) {
		struct civil c;
		tz_local(z, t, &c);
		int64_t back =
		    tz_mktime(z, c.year, c.month, c.day, c.hour * HOUR + c.min * 60 + c.sec);
		if (back == t)
			continue;
		mismatches++;
		struct civil e;
		tz_local(z, back, &e);
		assert_int_equal(t, overlap_second);
		assert_int_equal(back, t - HOUR);
		assert_int_equal(e.utc_offset - c.utc_offset, HOUR);
		assert_true(e.is_dst && !c.is_dst);
		assert_int_equal(e.year, c.year);
		assert_int_equal(e.month, c.month);
		assert_int_equal(e.day, c.day);
		assert_int_equal(e.hour, c.hour);
		assert_int_equal(e.min, c.min);
	}
	assert_int_equal(mismatches, 1);
	tz_free(z);
}

static void round_trips(void **state)
{
	(void)state;
	round_trip_zone("Europe/Berlin", utc(2026, 10, 25, 1, 0));
	round_trip_zone("America/New_York", utc(2026, 11, 1, 6, 0));
}

static void calendar(void **state)
{
	(void)state;
	int y, m, d;
	assert_int_equal(civil_to_days(1970, 1, 1), 0);
	assert_int_equal(civil_wday(0), 3); /* a Thursday */
	assert_int_equal(civil_to_days(2000, 3, 1), 11017);
	civil_from_days(11017, &y, &m, &d);
	assert_true(y == 2000 && m == 3 && d == 1);
	int64_t nov24 = civil_to_days(2026, 11, 24);
	assert_int_equal(civil_wday(nov24), 1); /* a Tuesday */
	civil_from_days(nov24, &y, &m, &d);
	assert_true(y == 2026 && m == 11 && d == 24);

	assert_int_equal(civil_to_days(1969, 12, 31), -1);
	civil_from_days(-1, &y, &m, &d);
	assert_true(y == 1969 && m == 12 && d == 31);
	assert_int_equal(civil_wday(-1), 2); /* a Wednesday */
	assert_int_equal(civil_to_days(0, 3, 1), -719468);
	civil_from_days(-719469, &y, &m, &d);
	assert_true(y == 0 && m == 2 && d == 29); /* 1 BC was a leap year */

	assert_int_equal(civil_to_days(2024, 3, 1) - civil_to_days(2024, 2, 28), 2);
	civil_from_days(civil_to_days(2024, 2, 29), &y, &m, &d);
	assert_true(y == 2024 && m == 2 && d == 29);
	assert_int_equal(civil_to_days(2100, 3, 1) - civil_to_days(2100, 2, 28), 1);
	assert_int_equal(civil_to_days(2000, 3, 1) - civil_to_days(2000, 2, 28), 2);
	assert_int_equal(civil_to_days(2101, 1, 1) - civil_to_days(2100, 1, 1), 365);

	/* Rolling over out-of-range months and days. */
	assert_int_equal(civil_to_days(2026, 13, 1), civil_to_days(2027, 1, 1));
	assert_int_equal(civil_to_days(2026, 0, 1), civil_to_days(2025, 12, 1));
	assert_int_equal(civil_to_days(2026, 1, 32), civil_to_days(2026, 2, 1));

	/* Both directions agree day by day across many centuries either side. */
	int py = 0, pm = 0, pd = 0;
	for (int64_t n = -800000; n <= 800000; n++) {
		civil_from_days(n, &y, &m, &d);
		if (civil_to_days(y, m, d) != n)
			fail_msg("day %lld -> %d-%d-%d", (long long)n, y, m, d);
		if (n > -800000 && !(d == pd + 1 && m == pm && y == py) &&
		    !(d == 1 && ((m == pm + 1 && y == py) || (m == 1 && pm == 12 && y == py + 1))))
			fail_msg("day %lld: %d-%d-%d follows %d-%d-%d", (long long)n, y, m, d, py,
			         pm, pd);
		assert_int_equal(civil_wday(n), (civil_wday(n - 1) + 1) % 7);
		py = y;
		pm = m;
		pd = d;
	}
}

/* ---- hostile zone files ------------------------------------------------- */

struct bytes {
	unsigned char b[2048];
	size_t n;
};

static void put(struct bytes *o, const void *p, size_t n)
{
	assert_true(o->n + n <= sizeof o->b);
	if (n)
		memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put_be(struct bytes *o, uint64_t v, int len)
{
	for (int i = len - 1; i >= 0; i--) {
		unsigned char c = (unsigned char)(v >> (8 * i));
		put(o, &c, 1);
	}
}

static void put_header(struct bytes *o, char version, uint32_t timecnt, uint32_t typecnt,
                       uint32_t charcnt)
{
	static const unsigned char zero[15];
	put(o, "TZif", 4);
	put(o, &version, 1);
	put(o, zero, 15);
	put_be(o, 0, 4); /* isutcnt */
	put_be(o, 0, 4); /* isstdcnt */
	put_be(o, 0, 4); /* leapcnt */
	put_be(o, timecnt, 4);
	put_be(o, typecnt, 4);
	put_be(o, charcnt, 4);
}

/* Two 2020 transitions between CET (type 0) and CEST (type 1). */
static void put_block(struct bytes *o, int tsz, unsigned char second_idx)
{
	put_be(o, (uint64_t)utc(2020, 3, 29, 1, 0), tsz);
	put_be(o, (uint64_t)utc(2020, 10, 25, 1, 0), tsz);
	unsigned char idx[2] = {1, second_idx};
	put(o, idx, 2);
	put_be(o, 3600, 4);
	put(o, "\0\0", 2); /* std, abbreviation at 0 */
	put_be(o, 7200, 4);
	put(o, "\1\4", 2); /* DST, abbreviation at 4 */
	put(o, "CET\0CEST\0", 9);
}

/* A small valid zone: version '\0' is TZif version 1 (no footer). */
static void make_zone(struct bytes *o, char version, unsigned char second_idx, const char *footer)
{
	o->n = 0;
	put_header(o, version, 2, 2, 9);
	put_block(o, 4, second_idx);
	if (version == '\0')
		return;
	put_header(o, version, 2, 2, 9);
	put_block(o, 8, second_idx);
	put(o, "\n", 1);
	put(o, footer, strlen(footer));
	put(o, "\n", 1);
}

static char tmpdir[256];

static void write_zone(const char *name, const void *data, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void remove_zone(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	remove(path);
}

static enum sb_rc try_load(const char *name)
{
	struct tz *z = (struct tz *)1;
	enum sb_rc rc = tz_load(name, &z);
	if (rc == SB_OK) {
		assert_non_null(z);
		tz_free(z);
	} else {
		assert_null(z);
	}
	return rc;
}

static enum sb_rc try_bytes(const struct bytes *o)
{
	write_zone("Case", o->b, o->n);
	return try_load("Case");
}

static void hostile_files(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/studybot-tz-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;
	assert_int_equal(setenv("TZDIR", tmpdir, 1), 0);

	struct bytes o;

	/* The well-formed baselines load and behave, so each broken variant
	 * below fails for its own defect. */
	make_zone(&o, '2', 0, "CET-1CEST,M3.5.0,M10.5.0/3");
	write_zone("Good2", o.b, o.n);
	struct tz *z = load("Good2");
	expect_local(z, utc(2020, 7, 1, 10, 0), 2020, 7, 1, 12, 0, 7200, 1);
	expect_local(z, utc(2026, 7, 1, 10, 0), 2026, 7, 1, 12, 0, 7200, 1); /* footer */
	expect_local(z, utc(2026, 1, 1, 10, 0), 2026, 1, 1, 11, 0, 3600, 0);
	expect_local(z, utc(2019, 7, 1, 10, 0), 2019, 7, 1, 11, 0, 3600, 0); /* before */
	tz_free(z);
	struct bytes good = o;

	make_zone(&o, '\0', 0, "");
	write_zone("Good1", o.b, o.n);
	z = load("Good1");
	expect_local(z, utc(2020, 7, 1, 10, 0), 2020, 7, 1, 12, 0, 7200, 1);
	expect_local(z, utc(2026, 7, 1, 10, 0), 2026, 7, 1, 11, 0, 3600, 0); /* last type */
	tz_free(z);

	const char *footers[] = {"", "<+0130>-1:30", "EST5EDT", "XXX3YYY,J60/-2,300/167",
	                         "EST5EDT4,0/0,J365/25"};
	for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++) {
		make_zone(&o, '3', 0, footers[i]);
		if (try_bytes(&o) != SB_OK)
			fail_msg("footer '%s' rejected", footers[i]);
	}
	/* All-year DST (RFC 8536 3.3.1): never standard time. */
	make_zone(&o, '3', 0, "EST5EDT4,0/0,J365/25");
	write_zone("AllDst", o.b, o.n);
	z = load("AllDst");
	expect_local(z, utc(2030, 1, 1, 4, 0), 2030, 1, 1, 0, 0, -14400, 1);
	expect_local(z, utc(2030, 12, 31, 23, 0), 2030, 12, 31, 19, 0, -14400, 1);
	tz_free(z);

	assert_int_equal(try_bytes(&(struct bytes){.n = 0}), SB_ERR_INVALID);
	o.n = 0;
	put(&o, "TZif", 4);
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);
	o.n = 0;
	put_header(&o, '2', 0, 0, 0);
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID); /* no second header */
	o.n = 0;
	put_header(&o, '1', 0, 1, 1);
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID); /* no such version */

	/* Counts larger than the file, in either header. */
	o = good;
	o.b[32] = 0xff; /* first header's timecnt */
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);
	o = good;
	size_t second = 44 + 2 * 4 + 2 + 2 * 6 + 9;
	assert_int_equal(memcmp(o.b + second, "TZif", 4), 0);
	o.b[second + 36] = 0x7f; /* second header's typecnt */
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);
	o = good;
	o.b[second + 43] = 0xff; /* charcnt */
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);

	/* A transition to a type that does not exist. */
	make_zone(&o, '2', 5, "CET-1CEST,M3.5.0,M10.5.0/3");
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);
	make_zone(&o, '\0', 2, "");
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);

	/* Transitions out of order, an abbreviation index out of range, no types. */
	o = good;
	size_t data = second + 44;
	memcpy(o.b + data, o.b + data + 8, 8);
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);
	o = good;
	o.b[data + 16 + 2 + 6 + 5] = 9;
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);
	o.n = 0;
	put_header(&o, '\0', 0, 0, 1);
	put(&o, "", 1);
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);

	/* Broken footers. */
	const char *bad[] = {"garbage!!",
	                     "CET",
	                     "CET-1CEST,M13.5.0,M10.5.0/3",
	                     "CET-1CEST,M3.6.0,M10.5.0/3",
	                     "CET-1CEST,M3.5.0",
	                     "CET-1CEST,M3.5.0,M10.5.0/168",
	                     "CET-25",
	                     "CET-1CEST,J0,J365",
	                     "CET-1CEST,366,J365",
	                     "CE-1",
	                     "<AB>-1",
	                     "CET-1:60",
	                     "CET-1CEST,M3.5.0,M10.5.0/3 ",
	                     "CET-99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		make_zone(&o, '2', 0, bad[i]);
		if (try_bytes(&o) != SB_ERR_INVALID)
			fail_msg("footer '%s' accepted", bad[i]);
	}
	o = good;
	o.n--; /* no closing newline */
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);
	o = good;
	o.b[o.n - 5] = '\0'; /* a NUL inside the footer */
	assert_int_equal(try_bytes(&o), SB_ERR_INVALID);

	/* Every truncation fails; random damage never crashes (ASan watches). */
	for (size_t n = 0; n < good.n; n++) {
		o = good;
		o.n = n;
		if (try_bytes(&o) == SB_OK)
			fail_msg("truncated to %zu bytes, still loaded", n);
	}
	uint32_t seed = 12345;
	for (int i = 0; i < 400; i++) {
		o = good;
		for (int k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			o.b[(seed >> 8) % o.n] = (unsigned char)(seed >> 24);
		}
		z = NULL;
		write_zone("Case", o.b, o.n);
		if (tz_load("Case", &z) == SB_OK) {
			struct civil c;
			tz_local(z, utc(2026, 3, 29, 1, 0), &c);
			(void)tz_mktime(z, 2026, 3, 29, 9000);
			tz_free(z);
		}
	}

	/* Too big, a directory, a missing zone, names that are not zone names. */
	static unsigned char huge[1024 * 1024 + 1];
	memcpy(huge, good.b, good.n);
	write_zone("Huge", huge, sizeof huge);
	assert_int_equal(try_load("Huge"), SB_ERR_TOOBIG);
	char dir[512];
	snprintf(dir, sizeof dir, "%s/Dir", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(try_load("Dir"), SB_ERR_NOTFOUND);
	assert_int_equal(try_load("No/Such_Zone"), SB_ERR_NOTFOUND);
	assert_int_equal(try_load("../etc/passwd"), SB_ERR_INVALID);
	assert_int_equal(try_load("/etc/passwd"), SB_ERR_INVALID);
	assert_int_equal(try_load(""), SB_ERR_INVALID);
	assert_int_equal(try_load("Europe//Berlin"), SB_ERR_INVALID);
	assert_int_equal(try_load(NULL), SB_ERR_INVALID);

	/* UTC needs no file. */
	z = load("UTC");
	expect_local(z, utc(2026, 6, 1, 12, 0), 2026, 6, 1, 12, 0, 0, 0);
	assert_int_equal(mk(z, 2026, 6, 1, 12, 0), utc(2026, 6, 1, 12, 0));
	tz_free(z);
	z = load("Etc/UTC");
	tz_free(z);

	rmdir(dir);
	const char *names[] = {"Good1", "Good2", "AllDst", "Case", "Huge"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		remove_zone(names[i]);
	assert_int_equal(rmdir(tmpdir), 0);
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);

	/* The real database again. */
	assert_int_equal(try_load("No/Such_Zone"), SB_ERR_NOTFOUND);
	assert_int_equal(try_load("../etc/passwd"), SB_ERR_INVALID);
	assert_int_equal(try_load("Europe"), SB_ERR_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(berlin),        cmocka_unit_test(new_york),
	    cmocka_unit_test(footer_years),  cmocka_unit_test(fixed_and_southern),
	    cmocka_unit_test(round_trips),   cmocka_unit_test(calendar),
	    cmocka_unit_test(hostile_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
