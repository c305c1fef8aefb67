#include "keypoint.h"

#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

char *kp_normalize(const char *text)
{
	size_t n = strlen(text);
	char *out = xmalloc(n + 3);
	size_t o = 0;
	out[o++] = ' '; /* a leading and trailing space make word bounds uniform */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
		if (word)
			out[o++] = (char)c;
		else if (out[o - 1] != ' ')
			out[o++] = ' ';
	}
	if (out[o - 1] != ' ')
		out[o++] = ' ';
	out[o] = '\0';
	return out;
}

/* Extra letters a point's last word may take in an answer ("deadlock" in
 * "deadlocks", "index" in "indexes"), for words long enough that this
 * cannot turn one word into another ("F" must not match "Foo"). */
#define KP_STEM_MIN   4
#define KP_SUFFIX_MAX 4

static bool match_one(const char *norm_text, const char *alt, size_t len)
{
	char *tmp = xstrndup(alt, len);
	char *na = kp_normalize(tmp);
	free(tmp);
	/* na is " words ... " (or " " when the point has no word at all) */
	size_t n = strlen(na);
	bool hit = false;
	if (n > 1) {
		na[--n] = '\0'; /* drop the trailing space: the end is checked below */
		size_t last = n;
		while (last > 0 && na[last - 1] != ' ')
			last--;
		bool stem = n - last >= KP_STEM_MIN;
		for (const char *at = strstr(norm_text, na); at && !hit; at = strstr(at + 1, na)) {
			const char *after = at + n;
			size_t extra = 0;
			while (after[extra] && after[extra] != ' ')
				extra++;
			hit = extra == 0 || (stem && extra <= KP_SUFFIX_MAX);
		}
	}
	free(na);
	return hit;
}

bool kp_match(const char *norm_text, const char *point)
{
	const char *p = point;
	for (;;) {
		const char *bar = strstr(p, " | ");
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (match_one(norm_text, p, len))
			return true;
		if (!bar)
			return false;
		p = bar + 3;
	}
}

size_t kp_coverage(const char *text, const char *const *points, size_t n, bool *hit)
{
	char *norm = kp_normalize(text);
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		bool h = kp_match(norm, points[i]);
		if (hit)
			hit[i] = h;
		count += h;
	}
	free(norm);
	return count;
}

void kp_display(const char *point, char *out, size_t outsz)
{
	const char *bar = strstr(point, " | ");
	size_t len = bar ? (size_t)(bar - point) : strlen(point);
	if (len >= outsz)
		len = outsz - 1;
	memcpy(out, point, len);
	out[len] = '\0';
}
