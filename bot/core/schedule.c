#include "schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../util/str.h"

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t n)
{
	if (n != 3)
		return -1;
	for (int i = 0; i < 7; i++)
		if (strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

static bool parse_days(const char *s, size_t n, unsigned char *days, char *err, size_t errsz)
{
	if (n == 5 && strncasecmp(s, "daily", 5) == 0) {
		*days = SCHED_ALL_DAYS;
		return true;
	}
	unsigned char mask = 0;
	const char *end = s + n;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma ? comma : end;
		const char *p = s;
		size_t len = (size_t)(item_end - s);
		str_trim_span(&p, &len);
		const char *dash = memchr(p, '-', len);
		int a, b;
		if (dash) {
			a = day_index(p, (size_t)(dash - p));
			b = day_index(dash + 1, len - (size_t)(dash - p) - 1);
		} else {
			a = b = day_index(p, len);
		}
		if (a < 0 || b < 0) {
			snprintf(
			    err, errsz,
			    "unknown day '%.*s' (expected mon..sun, e.g. \"mon,wed,fri 09:00\")",
			    (int)len, p);
			return false;
		}
		/* "fri-mon" wraps over the weekend */
		for (int d = a;; d = (d + 1) % 7) {
			mask |= (unsigned char)(1u << d);
			if (d == b)
				break;
		}
		s = comma ? comma + 1 : end;
	}
	if (!mask) {
		snprintf(err, errsz, "no days given");
		return false;
	}
	*days = mask;
	return true;
}

static bool parse_clock(const char *s, int *secs)
{
	int h, m, sec = 0, n = 0;
	size_t len = strlen(s);
	if (len == 5 && sscanf(s, "%2d:%2d%n", &h, &m, &n) == 2 && n == 5) {
		/* HH:MM */
	} else if (len == 8 && sscanf(s, "%2d:%2d:%2d%n", &h, &m, &sec, &n) == 3 && n == 8) {
		/* HH:MM:SS */
	} else {
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != ':')
			return false;
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
		return false;
	*secs = h * 3600 + m * 60 + sec;
	return true;
}

bool sched_parse(const char *s, struct schedule *out, char *err, size_t errsz)
{
	char tmp[128];
	if (strlen(s) >= sizeof tmp) {
		snprintf(err, errsz, "too long");
		return false;
	}
	strcpy(tmp, s);
	str_trim(tmp);
	char *sp = strrchr(tmp, ' ');
	const char *clock = sp ? sp + 1 : tmp;
	struct schedule r = {SCHED_ALL_DAYS, 0};
	if (sp) {
		*sp = '\0';
		str_trim(tmp);
		if (!parse_days(tmp, strlen(tmp), &r.days, err, errsz))
			return false;
	}
	if (!parse_clock(clock, &r.secs)) {
		snprintf(err, errsz, "bad time '%s' (expected HH:MM or HH:MM:SS, 24-hour)", clock);
		return false;
	}
	*out = r;
	return true;
}

char *sched_format(const struct schedule *s, char *out, size_t outsz)
{
	char days[64] = "";
	if (s->days == SCHED_ALL_DAYS) {
		strcpy(days, "daily");
	} else {
		for (int i = 0; i < 7; i++) {
			if (!(s->days & (1u << i)))
				continue;
			if (days[0])
				strcat(days, ",");
			strcat(days, day_names[i]);
		}
	}
	int h = s->secs / 3600, m = s->secs / 60 % 60, sec = s->secs % 60;
	if (sec)
		snprintf(out, outsz, "%s %02d:%02d:%02d", days, h, m, sec);
	else
		snprintf(out, outsz, "%s %02d:%02d", days, h, m);
	return out;
}
