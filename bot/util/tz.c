#include "tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/mem.h"

/* Real TZif files are a few kilobytes; anything near this is not a zone. */
#define TZ_FILE_MAX (1024 * 1024)
/* Real footers are under 64 bytes. */
#define TZ_FOOTER_MAX 255
/* Transition indices are single bytes, so more types could never be used. */
#define TZ_TYPES_MAX 256
/* RFC 8536 3.2: utoff must lie in [-89999, 93599] (about -25h..+26h). */
#define TZ_UTOFF_MIN (-89999L)
#define TZ_UTOFF_MAX 93599L
/* About 557,000 years either side of 1970: far beyond any real use, yet small
 * enough that the year fits an int and no arithmetic on it can overflow. */
#define TZ_T_LIMIT ((int64_t)1 << 44)
/* Days whose proleptic year still fits an int (2^31 years is ~7.8e11 days). */
#define CIVIL_DAYS_LIMIT 700000000000LL

struct ttype {
	long off;
	bool dst;
};

enum rule_kind {
	RULE_J1, /* Jn: 1-365, February 29 never counted */
	RULE_J0, /* n: 0-365, February 29 counted */
	RULE_M,  /* Mm.w.d */
};

struct rule_date {
	enum rule_kind kind;
	int a, b, c; /* J1/J0: a = day; M: a = month, b = week, c = weekday (0 = Sunday) */
	long time;   /* local seconds after midnight, -167h..167h */
};

/* A POSIX TZ string, with offsets already flipped to seconds east of UTC. */
struct posix_tz {
	long std_off, dst_off;
	bool has_dst;
	struct rule_date start, end;
};

struct tz {
	char *name;
	size_t timecnt;
	int64_t *trans;
	unsigned char *idx;
	size_t typecnt;
	struct ttype *types;
	size_t first_type; /* in force before the first transition */
	bool has_rule;
	struct posix_tz rule;
	/* Every offset the zone can ever be at, sorted, unique: tz_mktime's
	 * candidates, and the bounds of its search for a gap's end. */
	size_t noffs;
	long *offs;
};

/* Only names the database can hold: this also keeps "../../etc/passwd" and
 * absolute paths from being opened. */
static bool well_formed(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '/' || name[n - 1] == '/')
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+';
		if (!ok)
			return false;
		if (c == '/' && p[1] == '/')
			return false;
	}
	return strstr(name, "..") == NULL;
}

static const char *zone_dir(void)
{
	const char *dir = getenv("TZDIR");
	return dir && *dir ? dir : "/usr/share/zoneinfo";
}

bool tz_valid(const char *name)
{
	if (!well_formed(name))
		return false;
	char path[512];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", zone_dir(), name) >= sizeof path)
		return false;
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char magic[4];
	bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

/* ---- calendar ---------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms": eras of 400
 * years starting on March 1 make leap days the last day of the year. */
int64_t civil_to_days(int y, int m, int d)
{
	int64_t yy = (int64_t)y + floor_div((int64_t)m - 1, 12);
	int64_t mm = (int64_t)m - 1 - floor_div((int64_t)m - 1, 12) * 12 + 1;
	yy -= mm <= 2;
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mm > 2 ? mm - 3 : mm + 9) + 2) / 5 + (int64_t)d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int *y, int *m, int *d)
{
	if (days > CIVIL_DAYS_LIMIT)
		days = CIVIL_DAYS_LIMIT;
	if (days < -CIVIL_DAYS_LIMIT)
		days = -CIVIL_DAYS_LIMIT;
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

int civil_wday(int64_t days)
{
	/* 1970-01-01 was a Thursday (3). */
	return (int)((days % 7 + 7 + 3) % 7);
}

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* ---- POSIX TZ strings (the TZif footer) ---------------------------------- */

static bool parse_num(const char **s, long max, long *out)
{
	const char *p = *s;
	long v = 0;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return false;
	}
	*s = p;
	*out = v;
	return true;
}

/* [+|-]hh[:mm[:ss]]; maxh is 24 for offsets and 167 for rule times (the RFC
 * 8536 extension). */
static bool parse_hms(const char **s, long maxh, long *out)
{
	const char *p = *s;
	long sign = 1, h, mi = 0, se = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!parse_num(&p, maxh, &h))
		return false;
	if (*p == ':') {
		p++;
		if (!parse_num(&p, 59, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!parse_num(&p, 59, &se))
				return false;
		}
	}
	*s = p;
	*out = sign * (h * 3600 + mi * 60 + se);
	return true;
}

static bool parse_zone_name(const char **s)
{
	const char *p = *s;
	size_t n = 0;
	if (*p == '<') {
		p++;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= '0' && *p <= '9') || *p == '+' || *p == '-') {
			p++;
			n++;
		}
		if (*p != '>')
			return false;
		p++;
	} else {
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
			p++;
			n++;
		}
	}
	if (n < 3)
		return false;
	*s = p;
	return true;
}

static bool parse_rule_date(const char **s, struct rule_date *r)
{
	const char *p = *s;
	long a, b = 0, c = 0;
	if (*p == 'J') {
		p++;
		if (!parse_num(&p, 365, &a) || a < 1)
			return false;
		r->kind = RULE_J1;
	} else if (*p == 'M') {
		p++;
		if (!parse_num(&p, 12, &a) || a < 1 || *p++ != '.')
			return false;
		if (!parse_num(&p, 5, &b) || b < 1 || *p++ != '.')
			return false;
		if (!parse_num(&p, 6, &c))
			return false;
		r->kind = RULE_M;
	} else {
		if (!parse_num(&p, 365, &a))
			return false;
		r->kind = RULE_J0;
	}
	r->a = (int)a;
	r->b = (int)b;
	r->c = (int)c;
	r->time = 7200;
	if (*p == '/') {
		p++;
		if (!parse_hms(&p, 167, &r->time))
			return false;
	}
	*s = p;
	return true;
}

static bool parse_posix(const char *s, struct posix_tz *out)
{
	long v;
	memset(out, 0, sizeof *out);
	if (!parse_zone_name(&s) || !parse_hms(&s, 24, &v))
		return false;
	/* POSIX counts offsets west of Greenwich as positive. */
	out->std_off = -v;
	out->dst_off = out->std_off;
	if (*s == '\0')
		return true;
	if (!parse_zone_name(&s))
		return false;
	out->has_dst = true;
	out->dst_off = out->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (!parse_hms(&s, 24, &v))
			return false;
		out->dst_off = -v;
	}
	if (*s == '\0') {
		/* No rules: the same default tzcode uses (US rules since 2007). */
		s = ",M3.2.0,M11.1.0";
	}
	if (*s++ != ',' || !parse_rule_date(&s, &out->start))
		return false;
	if (*s++ != ',' || !parse_rule_date(&s, &out->end))
		return false;
	return *s == '\0';
}

/* Days since the epoch of the rule's date in year y. */
static int64_t rule_day(const struct rule_date *r, int y)
{
	int64_t jan1 = civil_to_days(y, 1, 1);
	switch (r->kind) {
	case RULE_J1:
		return jan1 + r->a - 1 + (is_leap(y) && r->a >= 60 ? 1 : 0);
	case RULE_J0:
		return jan1 + r->a;
	case RULE_M:
		break;
	}
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int len = mdays[r->a - 1] + (r->a == 2 && is_leap(y) ? 1 : 0);
	int64_t first = civil_to_days(y, r->a, 1);
	int wd_first = (civil_wday(first) + 1) % 7; /* POSIX counts from Sunday */
	int day = 1 + (r->c - wd_first + 7) % 7 + (r->b - 1) * 7;
	while (day > len)
		day -= 7;
	return first + day - 1;
}

struct rule_event {
	int64_t at;
	bool dst;
};

static void rule_lookup(const struct posix_tz *r, int64_t t, long *off, bool *dst)
{
	*off = r->std_off;
	*dst = false;
	if (!r->has_dst)
		return;
	int y, mo, d;
	civil_from_days(floor_div(t + r->std_off, 86400), &y, &mo, &d);
	/* Rule times may push a change up to a week into the neighbouring year, so
	 * take the changes of four years around t and see which came last. Years
	 * go in ascending order and the sort is stable, so where one year's end
	 * meets the next year's start (DST all year) the start wins. */
	struct rule_event ev[8];
	size_t n = 0;
	for (int yy = y - 2; yy <= y + 1; yy++) {
		ev[n].at = rule_day(&r->start, yy) * 86400 + r->start.time - r->std_off;
		ev[n++].dst = true;
		ev[n].at = rule_day(&r->end, yy) * 86400 + r->end.time - r->dst_off;
		ev[n++].dst = false;
	}
	for (size_t i = 1; i < n; i++) {
		struct rule_event e = ev[i];
		size_t j = i;
		for (; j > 0 && ev[j - 1].at > e.at; j--)
			ev[j] = ev[j - 1];
		ev[j] = e;
	}
	for (size_t i = 0; i < n && ev[i].at <= t; i++)
		*dst = ev[i].dst;
	if (*dst)
		*off = r->dst_off;
}

/* ---- TZif ------------------------------------------------------------------ */

struct tzif_header {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);
	/* Two's complement by hand: converting an out-of-range unsigned value
	 * to a signed type is implementation-defined. */
	return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static int32_t be32s(const unsigned char *p)
{
	uint32_t u = be32(p);
	return u <= INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

static bool read_header(const unsigned char *buf, size_t len, size_t at, struct tzif_header *h)
{
	if (len < 44 || at > len - 44 || memcmp(buf + at, "TZif", 4) != 0)
		return false;
	h->version = (char)buf[at + 4];
	/* Accept later versions too: each so far only extended version 2. */
	if (h->version != '\0' && h->version < '2')
		return false;
	const unsigned char *c = buf + at + 20;
	h->isutcnt = be32(c);
	h->isstdcnt = be32(c + 4);
	h->leapcnt = be32(c + 8);
	h->timecnt = be32(c + 12);
	h->typecnt = be32(c + 16);
	h->charcnt = be32(c + 20);
	return true;
}

/* Size of the data block after a header; 64-bit so no count can wrap it. */
static uint64_t block_size(const struct tzif_header *h, unsigned tsz)
{
	return (uint64_t)h->timecnt * tsz + h->timecnt + (uint64_t)h->typecnt * 6 + h->charcnt +
	       (uint64_t)h->leapcnt * (tsz + 4) + h->isstdcnt + h->isutcnt;
}

static enum sb_rc parse_block(struct tz *z, const struct tzif_header *h, const unsigned char *p,
                              unsigned tsz)
{
	if (h->typecnt < 1 || h->typecnt > TZ_TYPES_MAX || h->charcnt < 1)
		return SB_ERR_INVALID;
	if ((h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt))
		return SB_ERR_INVALID;
	z->timecnt = h->timecnt;
	z->typecnt = h->typecnt;
	if (z->timecnt) {
		z->trans = xmalloc(z->timecnt * sizeof *z->trans);
		z->idx = xmalloc(z->timecnt);
	}
	z->types = xcalloc(z->typecnt, sizeof *z->types);
	for (size_t i = 0; i < z->timecnt; i++) {
		z->trans[i] = tsz == 8 ? be64(p) : be32s(p);
		p += tsz;
		if (i > 0 && z->trans[i] <= z->trans[i - 1])
			return SB_ERR_INVALID; /* RFC 8536: strictly ascending */
	}
	for (size_t i = 0; i < z->timecnt; i++) {
		z->idx[i] = *p++;
		if (z->idx[i] >= z->typecnt)
			return SB_ERR_INVALID;
	}
	const unsigned char *chars = p + z->typecnt * 6;
	for (size_t i = 0; i < z->typecnt; i++, p += 6) {
		long off = be32s(p);
		if (off < TZ_UTOFF_MIN || off > TZ_UTOFF_MAX || p[4] > 1 || p[5] >= h->charcnt)
			return SB_ERR_INVALID;
		/* The abbreviation must end inside the table. */
		if (!memchr(chars + p[5], '\0', h->charcnt - p[5]))
			return SB_ERR_INVALID;
		z->types[i].off = off;
		z->types[i].dst = p[4] != 0;
	}
	/* Leap seconds and the std/wall and UT/local indicators do not affect
	 * local time; their sizes were checked with the block's. */
	z->first_type = 0;
	for (size_t i = 0; i < z->typecnt; i++) {
		if (!z->types[i].dst) {
			z->first_type = i;
			break;
		}
	}
	return SB_OK;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static void collect_offsets(struct tz *z)
{
	z->offs = xmalloc((z->typecnt + 2) * sizeof *z->offs);
	size_t n = 0;
	for (size_t i = 0; i < z->typecnt; i++)
		z->offs[n++] = z->types[i].off;
	if (z->has_rule) {
		z->offs[n++] = z->rule.std_off;
		z->offs[n++] = z->rule.dst_off;
	}
	qsort(z->offs, n, sizeof *z->offs, cmp_long);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || z->offs[u - 1] != z->offs[i])
			z->offs[u++] = z->offs[i];
	z->noffs = u;
}

static enum sb_rc parse_tzif(struct tz *z, const unsigned char *buf, size_t len)
{
	struct tzif_header h;
	if (!read_header(buf, len, 0, &h))
		return SB_ERR_INVALID;
	uint64_t size = block_size(&h, 4);
	if (size > len - 44)
		return SB_ERR_INVALID;
	if (h.version == '\0') {
		enum sb_rc rc = parse_block(z, &h, buf + 44, 4);
		if (rc == SB_OK)
			collect_offsets(z);
		return rc;
	}

	/* Version 2 and later repeat everything with 64-bit times; the 32-bit
	 * block only exists for old readers. */
	size_t at = 44 + (size_t)size;
	if (!read_header(buf, len, at, &h) || h.version == '\0')
		return SB_ERR_INVALID;
	at += 44;
	size = block_size(&h, 8);
	if (size > len - at)
		return SB_ERR_INVALID;
	enum sb_rc rc = parse_block(z, &h, buf + at, 8);
	if (rc != SB_OK)
		return rc;
	at += (size_t)size;

	/* Footer: newline, POSIX TZ string (possibly empty), newline. */
	if (at >= len || buf[at] != '\n')
		return SB_ERR_INVALID;
	at++;
	const unsigned char *nl = memchr(buf + at, '\n', len - at);
	if (!nl)
		return SB_ERR_INVALID;
	size_t flen = (size_t)(nl - (buf + at));
	if (flen > TZ_FOOTER_MAX)
		return SB_ERR_INVALID;
	if (flen > 0) {
		char footer[TZ_FOOTER_MAX + 1];
		memcpy(footer, buf + at, flen);
		footer[flen] = '\0';
		/* A NUL inside would end the parse early and pass for the end. */
		if (strlen(footer) != flen || !parse_posix(footer, &z->rule))
			return SB_ERR_INVALID;
		z->has_rule = true;
	}
	collect_offsets(z);
	return SB_OK;
}

static enum sb_rc read_file(const char *path, unsigned char **out, size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT || errno == ENOTDIR ? SB_ERR_NOTFOUND : SB_ERR_IO;
	struct stat st;
	if (fstat(fileno(f), &st) != 0) {
		fclose(f);
		return SB_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		fclose(f);
		return SB_ERR_NOTFOUND; /* a directory such as "Europe" is no zone */
	}
	if (st.st_size > TZ_FILE_MAX) {
		fclose(f);
		return SB_ERR_TOOBIG;
	}
	/* Read to EOF with the cap enforced again: the size may have changed. */
	size_t cap = (size_t)st.st_size + 1, len = 0;
	unsigned char *buf = xmalloc(cap);
	for (;;) {
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap)
			break;
		if (cap > TZ_FILE_MAX) {
			free(buf);
			fclose(f);
			return SB_ERR_TOOBIG;
		}
		cap *= 2;
		buf = xrealloc(buf, cap);
	}
	bool err = ferror(f) != 0;
	fclose(f);
	if (err) {
		free(buf);
		return SB_ERR_IO;
	}
	*out = buf;
	*outlen = len;
	return SB_OK;
}

static struct tz *builtin_utc(const char *name)
{
	struct tz *z = xcalloc(1, sizeof *z);
	z->name = xstrdup(name);
	z->typecnt = 1;
	z->types = xcalloc(1, sizeof *z->types);
	collect_offsets(z);
	return z;
}

enum sb_rc tz_load(const char *name, struct tz **out)
{
	if (!out)
		return SB_ERR_USAGE;
	*out = NULL;
	if (!name || !well_formed(name))
		return SB_ERR_INVALID;
	bool utc = strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0;
	char path[1024];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", zone_dir(), name) >= sizeof path)
		return SB_ERR_NOTFOUND;
	unsigned char *buf = NULL;
	size_t len = 0;
	enum sb_rc rc = read_file(path, &buf, &len);
	if (rc == SB_ERR_NOTFOUND && utc) {
		*out = builtin_utc(name);
		return SB_OK;
	}
	if (rc != SB_OK)
		return rc;
	struct tz *z = xcalloc(1, sizeof *z);
	z->name = xstrdup(name);
	rc = parse_tzif(z, buf, len);
	free(buf);
	if (rc != SB_OK) {
		tz_free(z);
		return rc;
	}
	*out = z;
	return SB_OK;
}

void tz_free(struct tz *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z->offs);
	free(z);
}

const char *tz_name(const struct tz *z)
{
	return z->name;
}

/* ---- conversions ------------------------------------------------------------ */

static int64_t clamp_t(int64_t t)
{
	return t > TZ_T_LIMIT ? TZ_T_LIMIT : t < -TZ_T_LIMIT ? -TZ_T_LIMIT : t;
}

/* Offset and DST flag in force at t, which must be within TZ_T_LIMIT. */
static void lookup(const struct tz *z, int64_t t, long *off, bool *dst)
{
	size_t n = z->timecnt;
	if (z->has_rule && (n == 0 || t > z->trans[n - 1])) {
		rule_lookup(&z->rule, t, off, dst);
		return;
	}
	size_t type = z->first_type;
	if (n > 0 && t >= z->trans[0]) {
		size_t lo = 0, hi = n; /* the answer is the last i with trans[i] <= t */
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (z->trans[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		type = z->idx[lo];
	}
	*off = z->types[type].off;
	*dst = z->types[type].dst;
}

static int64_t wall(const struct tz *z, int64_t t)
{
	long off;
	bool dst;
	lookup(z, t, &off, &dst);
	return t + off;
}

void tz_local(const struct tz *z, int64_t t, struct civil *out)
{
	t = clamp_t(t);
	long off;
	bool dst;
	lookup(z, t, &off, &dst);
	int64_t local = t + off;
	int64_t days = floor_div(local, 86400);
	int64_t secs = local - days * 86400;
	civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(secs / 3600);
	out->min = (int)(secs / 60 % 60);
	out->sec = (int)(secs % 60);
	out->wday = civil_wday(days);
	out->utc_offset = off;
	out->is_dst = dst;
}

int64_t tz_mktime(const struct tz *z, int y, int m, int d, int secs)
{
	/* Keep w - offset inside the range lookup() handles. */
	int64_t w = clamp_t(civil_to_days(y, m, d) * 86400 + secs);
	if (w > TZ_T_LIMIT - 4 * 86400)
		w = TZ_T_LIMIT - 4 * 86400;
	if (w < -TZ_T_LIMIT + 4 * 86400)
		w = -TZ_T_LIMIT + 4 * 86400;

	/* Any instant showing w has one of the zone's offsets, so trying each
	 * finds them all; in an overlap there are two and the earlier wins. */
	bool found = false;
	int64_t best = 0;
	for (size_t i = 0; i < z->noffs; i++) {
		int64_t t = w - z->offs[i];
		long off;
		bool dst;
		lookup(z, t, &off, &dst);
		if (off == z->offs[i] && (!found || t < best)) {
			best = t;
			found = true;
		}
	}
	if (found)
		return best;

	/* A gap. The wall clock reads before w at lo and after w at hi, and never
	 * reads w exactly, so bisecting ends on the instant it jumps over w: the
	 * transition that opens the gap. */
	int64_t lo = w - z->offs[z->noffs - 1], hi = w - z->offs[0];
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (wall(z, mid) < w)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}
