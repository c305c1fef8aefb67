/* Prometheus text format 0.0.4 (the format Prometheus documents under
 * "Exposition formats"): one writer, so every page is valid by construction. */
#include "util/metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int name_char(char c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (colon && c == ':')
		return 1;
	return !first && c >= '0' && c <= '9';
}

static int name_ok(const char *s, int colon)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > METRICS_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], i == 0, colon))
			return 0;
	return 1;
}

int metrics_name_ok(const char *s)
{
	return name_ok(s, 1);
}

int metrics_label_ok(const char *s)
{
	/* Names starting with "__" are reserved for Prometheus itself. */
	return name_ok(s, 0) && strncmp(s, "__", 2) != 0;
}

static void fail(struct metrics *m, enum sb_rc rc)
{
	if (m->rc == SB_OK)
		m->rc = rc;
}

static void put(struct metrics *m, const char *s, size_t n)
{
	if (m->rc == SB_OK && buf_add(m->out, s, n) != SB_OK)
		fail(m, SB_ERR_TOOBIG);
}

static void puts_(struct metrics *m, const char *s)
{
	put(m, s, strlen(s));
}

/* HELP text escapes backslash and newline; label values also the double
 * quote. Anything else passes as it is (the format is UTF-8). */
static void escaped(struct metrics *m, const char *s, int quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = NULL;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (quote && *s == '"')
			esc = "\\\"";
		if (!esc)
			continue;
		put(m, run, (size_t)(s - run));
		puts_(m, esc);
		run = s + 1;
	}
	put(m, run, (size_t)(s - run));
}

void metrics_begin(struct metrics *m, struct buf *out)
{
	m->out = out;
	m->family[0] = '\0';
	m->rc = SB_OK;
}

void metrics_family(struct metrics *m, const char *name, enum metrics_type type, const char *help)
{
	size_t n = name ? strlen(name) : 0;

	/* Counters end in _total (Prometheus naming); catching a mistake
	 * here keeps it off every dashboard. */
	if (!metrics_name_ok(name) ||
	    (type == METRICS_COUNTER && (n < 6 || strcmp(name + n - 6, "_total") != 0))) {
		fail(m, SB_ERR_INVALID);
		return;
	}
	snprintf(m->family, sizeof m->family, "%s", name);
	puts_(m, "# HELP ");
	puts_(m, name);
	puts_(m, " ");
	escaped(m, help ? help : "", 0);
	puts_(m, "\n# TYPE ");
	puts_(m, name);
	puts_(m, type == METRICS_COUNTER ? " counter\n"
	         : type == METRICS_GAUGE ? " gauge\n"
	                                 : " histogram\n");
}

static void value_text(double v, char *out, size_t n)
{
	if (isnan(v))
		snprintf(out, n, "NaN");
	else if (isinf(v))
		snprintf(out, n, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(out, n, "%.0f", v);
	else
		snprintf(out, n, "%.9g", v);
}

static void sample(struct metrics *m, const char *suffix, const char *const *labels, double value)
{
	char num[64];

	if (!m->family[0]) {
		fail(m, SB_ERR_INVALID);
		return;
	}
	for (size_t i = 0; labels && labels[i]; i += 2)
		if (!metrics_label_ok(labels[i]) || !labels[i + 1]) {
			fail(m, SB_ERR_INVALID);
			return;
		}
	puts_(m, m->family);
	puts_(m, suffix);
	if (labels && labels[0]) {
		puts_(m, "{");
		for (size_t i = 0; labels[i]; i += 2) {
			if (i)
				puts_(m, ",");
			puts_(m, labels[i]);
			puts_(m, "=\"");
			escaped(m, labels[i + 1], 1);
			puts_(m, "\"");
		}
		puts_(m, "}");
	}
	value_text(value, num, sizeof num);
	puts_(m, " ");
	puts_(m, num);
	puts_(m, "\n");
}

void metrics_sample(struct metrics *m, const char *const *labels, double value)
{
	sample(m, "", labels, value);
}

void metrics_sample1(struct metrics *m, const char *label, const char *value, double v)
{
	const char *labels[] = {label, value, NULL};

	metrics_sample(m, labels, v);
}

void metrics_hist_init(struct metrics_hist *h, const double *le, size_t n)
{
	memset(h, 0, sizeof *h);
	h->le = le;
	h->n = n < METRICS_HIST_MAX ? n : METRICS_HIST_MAX;
}

void metrics_hist_observe(struct metrics_hist *h, double v)
{
	size_t i = 0;

	while (i < h->n && v > h->le[i])
		i++;
	h->counts[i]++;
	h->sum += v;
	h->count++;
}

void metrics_histogram(struct metrics *m, const struct metrics_hist *h)
{
	unsigned long cum = 0;
	char le[32];

	for (size_t i = 0; i <= h->n; i++) {
		const char *labels[] = {"le", le, NULL};

		cum += h->counts[i];
		if (i < h->n)
			value_text(h->le[i], le, sizeof le);
		else
			snprintf(le, sizeof le, "+Inf");
		sample(m, "_bucket", labels, (double)cum);
	}
	sample(m, "_sum", NULL, h->sum);
	sample(m, "_count", NULL, (double)h->count);
}
