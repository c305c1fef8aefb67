#include "duration.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define DUR_MAX (365L * 86400L)

static const struct {
	char unit;
	long secs;
} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

bool dur_parse(const char *s, long *out)
{
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return true;
	}
	long total = 0;
	int last = -1; /* units must come largest first, each once */
	if (!*s)
		return false;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return false;
		long v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s - '0');
			if (v > DUR_MAX)
				return false;
			s++;
		}
		int u = -1;
		for (int i = 0; i < 4; i++)
			if (*s == units[i].unit)
				u = i;
		if (u < 0 || u <= last)
			return false;
		last = u;
		s++;
		total += v * units[u].secs;
		if (total > DUR_MAX)
			return false;
	}
	*out = total;
	return true;
}

char *dur_format(long secs, char *out, unsigned outsz)
{
	if (secs <= 0) {
		snprintf(out, outsz, "0s");
		return out;
	}
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < 4; i++) {
		long v = secs / units[i].secs;
		secs %= units[i].secs;
		if (v && o < outsz) {
			int n = snprintf(out + o, outsz - o, "%ld%c", v, units[i].unit);
			if (n > 0)
				o += (size_t)n;
		}
	}
	return out;
}
