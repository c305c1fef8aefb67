/* The core's small Markdown as Slack mrkdwn (Slack docs, "Formatting text
 * for app surfaces"), and the cutting and splitting that keep it within
 * Slack's limits without breaking an escape, a link or a code block.
 *
 * Conversion is line by line: no inline construct spans a line break, so a
 * text split at line breaks converts piece by piece to the same result.
 *
 * Ownership: sk_mrkdwn() and the pieces of sk_mrkdwn_split() are malloc'd
 * for the caller to free; inputs are borrowed. */
#include "slack/sk_render.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

#define ELLIPSIS       "\xe2\x80\xa6" /* U+2026 */
#define BULLET         "\xe2\x80\xa2 "
#define FENCE          "```"
#define BREAK_LOOKBACK 64 /* bytes searched back for a space to cut at */
#define NEST_MAX       4  /* bold inside italics inside …: deeper is literal */
#define OUT_MAX        ((size_t)64 * 1024 * 1024)

/* --- escaping --------------------------------------------------------------- */

/* Slack reads &, < and > as the start of an entity, a mention or a link:
 * escaped, member text can never ping (<!channel>, <@U…>) or link. */
static void add_escaped(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (p[i]) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		default:
			buf_addc(b, p[i]);
		}
	}
}

/* s as well-formed UTF-8 without \r (each bad byte becomes U+FFFD).
 * Returns new. */
static char *prep(const char *s)
{
	char *t = utf8_repair(s), *w = t;
	for (const char *r = t; *r; r++)
		if (*r != '\r')
			*w++ = *r;
	*w = '\0';
	return t;
}

/* --- inline ----------------------------------------------------------------- */

static bool url_ok(const char *u, size_t n)
{
	static const char *const schemes[] = {"https://", "http://", "mailto:"};
	bool scheme = false;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t k = strlen(schemes[i]);
		if (n > k && strncmp(u, schemes[i], k) == 0)
			scheme = true;
	}
	if (!scheme)
		return false;
	for (size_t i = 0; i < n; i++)
		if (u[i] == ' ' || u[i] == '\t' || u[i] == '<' || u[i] == '>' || u[i] == '|')
			return false;
	return true;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (unsigned char)c >= 0x80;
}

/* Offset of the first k-byte marker run that closes an emphasis opened
 * at 0 in [s, s+n), or n when none: the content must be non-empty and not
 * start or end with a space. */
static size_t find_close(const char *s, size_t n, const char *mark, size_t k)
{
	if (n <= k || s[k] == ' ')
		return n;
	for (size_t j = k + 1; j + k <= n; j++) {
		if (s[j] == '`') {
			/* A code span inside is stepped over whole. */
			size_t r = 0, e;
			while (j + r < n && s[j + r] == '`')
				r++;
			for (e = j + r; e + r <= n; e++)
				if (memcmp(s + e, s + j, r) == 0 && (e + r == n || s[e + r] != '`'))
					break;
			j = e + r <= n ? e + r - 1 : j + r - 1;
			continue;
		}
		if (memcmp(s + j, mark, k) != 0 || s[j - 1] == ' ')
			continue;
		if (k == 2) {
			/* "***x***": the double marker is the run's last two. */
			while (j + k < n && s[j + k] == mark[0])
				j++;
			return j;
		}
		/* A single marker closes only at a word's end ("2*3*4" is
		 * arithmetic), and not as half of a double one. */
		if (s[j - 1] != mark[0] &&
		    (j + 1 >= n || (s[j + 1] != mark[0] && !word_char(s[j + 1]))))
			return j;
	}
	return n;
}

static void inline_md(struct buf *b, const char *s, size_t n, int depth, bool in_bold);

/* An emphasis at s (marker k bytes) rendered with Slack's marker sm, or
 * false when it does not close. */
static bool emphasis(struct buf *b, const char *s, size_t n, size_t k, char sm, int depth,
                     bool in_bold, size_t *used)
{
	char mark[3] = {s[0], s[0], 0};
	mark[k] = '\0';
	size_t j = find_close(s, n, mark, k);
	if (j >= n || depth >= NEST_MAX)
		return false;
	bool bold = sm == '*';
	/* Slack has no bold inside bold (a heading): the inner markers go. */
	if (!(bold && in_bold))
		buf_addc(b, sm);
	inline_md(b, s + k, j - k, depth + 1, in_bold || bold);
	if (!(bold && in_bold))
		buf_addc(b, sm);
	*used = j + k;
	return true;
}

/* `code` at s: kept, its content only escaped. */
static bool code_span(struct buf *b, const char *s, size_t n, size_t *used)
{
	size_t k = 0;
	while (k < n && s[k] == '`')
		k++;
	for (size_t j = k; j + k <= n; j++) {
		if (s[j] != '`')
			continue;
		size_t r = 0;
		while (j + r < n && s[j + r] == '`')
			r++;
		if (r == k && j > k) {
			buf_addc(b, '`');
			add_escaped(b, s + k, j - k);
			buf_addc(b, '`');
			*used = j + k;
			return true;
		}
		j += r - 1;
	}
	return false;
}

/* [text](url) at s → <url|text>; only web and mail links. */
static bool link(struct buf *b, const char *s, size_t n, size_t *used)
{
	const char *close = memchr(s, ']', n);
	if (!close || (size_t)(close - s) + 1 >= n || close[1] != '(')
		return false;
	const char *u = close + 2;
	const char *end = memchr(u, ')', n - (size_t)(u - s));
	if (!end || !url_ok(u, (size_t)(end - u)) || close == s + 1)
		return false;
	buf_addc(b, '<');
	add_escaped(b, u, (size_t)(end - u));
	buf_addc(b, '|');
	add_escaped(b, s + 1, (size_t)(close - s - 1));
	buf_addc(b, '>');
	*used = (size_t)(end - s) + 1;
	return true;
}

/* A bare web address: a link, since verbatim text is not auto-linked. */
static bool bare_url(struct buf *b, const char *s, size_t n, size_t at, size_t *used)
{
	if (at > 0 && s[at - 1] != ' ' && s[at - 1] != '(')
		return false;
	if (strncmp(s + at, "https://", n - at < 8 ? n - at : 8) != 0 &&
	    strncmp(s + at, "http://", n - at < 7 ? n - at : 7) != 0)
		return false;
	size_t e = at;
	while (e < n && s[e] != ' ' && s[e] != '\t')
		e++;
	while (e > at && strchr(".,;:!?)", s[e - 1]))
		e--;
	if (!url_ok(s + at, e - at))
		return false;
	buf_addc(b, '<');
	add_escaped(b, s + at, e - at);
	buf_addc(b, '>');
	*used = e - at;
	return true;
}

static void inline_md(struct buf *b, const char *s, size_t n, int depth, bool in_bold)
{
	for (size_t i = 0; i < n;) {
		size_t used = 0;
		char c = s[i];
		bool done = false;
		if (c == '`')
			done = code_span(b, s + i, n - i, &used);
		else if (c == '*' && i + 1 < n && s[i + 1] == '*')
			done = emphasis(b, s + i, n - i, 2, '*', depth, in_bold, &used);
		else if (c == '_' && i + 1 < n && s[i + 1] == '_')
			done = emphasis(b, s + i, n - i, 2, '*', depth, in_bold, &used);
		else if (c == '*' && (i == 0 || !word_char(s[i - 1])))
			done = emphasis(b, s + i, n - i, 1, '_', depth, in_bold, &used);
		else if (c == '[')
			done = link(b, s + i, n - i, &used);
		else if (c == 'h')
			done = bare_url(b, s, n, i, &used);
		if (done) {
			i += used;
			continue;
		}
		/* A marker that opens nothing stays as typed, run and all. */
		size_t k = 1;
		if (c == '`' || c == '*')
			while (i + k < n && s[i + k] == c)
				k++;
		add_escaped(b, s + i, k);
		i += k;
	}
}

/* --- lines ------------------------------------------------------------------ */

/* A ``` line: the fence stays, a language tag goes. */
static bool fence_line(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i < 3 && s[i] == ' ')
		i++;
	return n - i >= 3 && memcmp(s + i, FENCE, 3) == 0;
}

static size_t heading_level(const char *s, size_t n)
{
	size_t k = 0;
	while (k < n && k < 7 && s[k] == '#')
		k++;
	return k >= 1 && k <= 6 && k < n && s[k] == ' ' ? k : 0;
}

/* One line outside a code block. */
static void convert_line(struct buf *b, const char *s, size_t n)
{
	size_t lead = 0;
	while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
		lead++;
	size_t h = lead == 0 ? heading_level(s, n) : 0;
	if (h) {
		const char *t = s + h;
		size_t m = n - h;
		str_trim_span(&t, &m);
		if (m) {
			buf_addc(b, '*');
			inline_md(b, t, m, 0, true);
			buf_addc(b, '*');
		}
		return;
	}
	if (lead + 1 < n && (s[lead] == '-' || s[lead] == '*' || s[lead] == '+') &&
	    s[lead + 1] == ' ') {
		buf_add(b, s, lead);
		buf_adds(b, BULLET);
		inline_md(b, s + lead + 2, n - lead - 2, 0, false);
		return;
	}
	inline_md(b, s, n, 0, false);
}

/* Converts [s, s+n) (prepared) into b; *fence tracks an open code block
 * across calls. */
static void convert(struct buf *b, const char *s, size_t n, bool *fence)
{
	for (size_t i = 0; i <= n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (s + i)) : n - i;
		const char *line = s + i;
		if (fence_line(line, len)) {
			const char *p = memchr(line, '`', len);
			size_t rest = len - (size_t)(p - line) - 3;
			const char *r = p + 3;
			buf_adds(b, FENCE);
			/* "```python" opens with a tag Slack would print; a one-line
			 * "```x```" is kept whole. */
			if (rest >= 3 && memcmp(r + rest - 3, FENCE, 3) == 0 && !*fence) {
				add_escaped(b, r, rest);
			} else if (*fence) {
				*fence = false;
			} else {
				*fence = true;
				if (memchr(r, ' ', rest) && rest) {
					buf_addc(b, '\n');
					add_escaped(b, r, rest);
				}
			}
		} else if (*fence) {
			add_escaped(b, line, len);
		} else {
			convert_line(b, line, len);
		}
		if (!nl)
			break;
		buf_addc(b, '\n');
		i += len + 1;
	}
}

/* --- cutting ---------------------------------------------------------------- */

/* The byte offset in mrkdwn s just past the first `budget` characters,
 * moved back so it splits no entity (&amp;) and no link (<u|t>), and to a
 * nearby space or line break when there is one. */
static size_t safe_cut(const char *s, size_t budget)
{
	size_t i = 0, chars = 0, last_safe = 0, last_space = 0;
	bool in_ent = false, in_link = false;
	while (s[i] && chars < budget) {
		unsigned char c = (unsigned char)s[i];
		if (c == '&')
			in_ent = true;
		else if (c == '<')
			in_link = true;
		size_t k = 1;
		while (((unsigned char)s[i + k] & 0xc0) == 0x80)
			k++;
		if (in_ent && c == ';')
			in_ent = false;
		if (in_link && c == '>')
			in_link = false;
		i += k;
		chars++;
		if (!in_ent && !in_link) {
			last_safe = i;
			if (s[i] == ' ' || s[i] == '\n')
				last_space = i;
		}
	}
	if (!s[i] && !in_ent && !in_link)
		return i;
	if (last_space && last_space + BREAK_LOOKBACK >= last_safe && last_space > last_safe / 2)
		return last_space;
	return last_safe;
}

/* Whether a line of converted text opens or closes a code block, given
 * whether one is open: as convert() decided. */
static bool fence_toggles(const char *line, size_t len, bool open)
{
	if (!fence_line(line, len))
		return false;
	const char *p = memchr(line, '`', len);
	size_t rest = len - (size_t)(p - line) - 3;
	return open || rest < 3 || memcmp(p + 3 + rest - 3, FENCE, 3) != 0;
}

/* Whether [s, s+n) of converted text leaves a code block open. */
static bool fence_open(const char *s, size_t n)
{
	bool open = false;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (s + i)) : n - i;
		if (fence_toggles(s + i, len, open))
			open = !open;
		i += len + 1;
	}
	return open;
}

static size_t chars(const char *s, size_t n)
{
	return utf8_len(s, n);
}

/* mrkdwn s in at most max characters: cut as safe_cut() says, an open
 * code block closed, "…" at the end. Returns new. */
static char *cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (chars(s, n) <= max)
		return xstrdup(s);
	struct buf b;
	buf_init(&b, OUT_MAX);
	buf_add(&b, "", 0);
	if (max == 0)
		return buf_take(&b);
	size_t off = safe_cut(s, max - 1);
	bool open = fence_open(s, off);
	if (open) {
		/* "\n```" after the text: 4 more characters. */
		off = max > 5 ? safe_cut(s, max - 5) : 0;
		open = fence_open(s, off);
		if (open && max < 5) {
			off = 0;
			open = false;
		}
	}
	while (off && (s[off - 1] == ' ' || s[off - 1] == '\n'))
		off--;
	buf_add(&b, s, off);
	buf_adds(&b, ELLIPSIS);
	if (open)
		buf_adds(&b, "\n" FENCE);
	return buf_take(&b);
}

char *sk_mrkdwn(const char *md, size_t max)
{
	if (!md)
		return NULL;
	char *p = prep(md);
	struct buf b;
	buf_init(&b, OUT_MAX);
	buf_add(&b, "", 0);
	bool fence = false;
	convert(&b, p, strlen(p), &fence);
	free(p);
	if (fence)
		buf_adds(&b, "\n" FENCE);
	char *out = buf_take(&b), *c = cut(out, max);
	free(out);
	return c;
}

/* --- splitting -------------------------------------------------------------- */

struct line {
	const char *s; /* into the converted text */
	size_t n, chars;
	bool open_after; /* a code block is open after this line */
};

struct pieces {
	char **v;
	size_t n, max;
	bool more; /* text was left out for want of pieces */
};

static bool blank_span(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t')
			return false;
	return true;
}

/* Takes b as the next piece, closing an open code block; a blank piece is
 * dropped. */
static void emit(struct pieces *p, struct buf *b, bool close)
{
	while (b->len && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	if (close)
		buf_adds(b, "\n" FENCE);
	if (blank_span(buf_str(b), b->len)) {
		buf_free(b);
		return;
	}
	if (p->n == p->max) {
		p->more = true;
		buf_free(b);
		return;
	}
	p->v[p->n++] = buf_take(b);
}

static void start(struct buf *b, bool reopen)
{
	buf_init(b, OUT_MAX);
	buf_add(b, "", 0);
	if (reopen)
		buf_adds(b, FENCE "\n");
}

/* One line longer than a piece: cut at safe points into pieces, each
 * closed and reopened when inside a code block. */
static void split_line(struct pieces *p, const struct line *l, bool in_fence, size_t max)
{
	size_t room = max - (in_fence ? 8 : 0);
	char *tmp = xstrndup(l->s, l->n);
	const char *q = tmp;
	while (*q && !p->more) {
		size_t off = safe_cut(q, room);
		if (off == 0) /* one link longer than a piece: broken, not lost */
			off = utf8_offset(q, room);
		struct buf b;
		start(&b, in_fence);
		buf_add(&b, q, off);
		emit(p, &b, in_fence);
		q += off;
		while (*q == ' ')
			q++;
	}
	free(tmp);
}

size_t sk_mrkdwn_split(const char *md, size_t max, char **out, size_t maxpieces, bool *more)
{
	*more = false;
	if (!md || maxpieces == 0 || max < 16)
		return 0;
	char *all = sk_mrkdwn(md, SIZE_MAX);
	size_t total = strlen(all), nl = 1;
	for (size_t i = 0; i < total; i++)
		nl += all[i] == '\n';
	struct line *v = xcalloc(nl, sizeof *v);
	size_t n = 0;
	bool open = false;
	for (size_t i = 0; i <= total && n < nl;) {
		const char *e = memchr(all + i, '\n', total - i);
		size_t len = e ? (size_t)(e - (all + i)) : total - i;
		v[n].s = all + i;
		v[n].n = len;
		v[n].chars = chars(all + i, len) + 1; /* with its line break */
		if (fence_toggles(all + i, len, open))
			open = !open;
		v[n].open_after = open;
		n++;
		i += len + 1;
		if (!e)
			break;
	}
	struct pieces p = {out, 0, maxpieces, false};
	for (size_t i = 0; i < n && !p.more;) {
		bool reopen = i > 0 && v[i - 1].open_after;
		size_t size = reopen ? 4 : 0, j = i, clean = i;
		while (j < n && size + v[j].chars + (v[j].open_after ? 4 : 0) <= max) {
			size += v[j].chars;
			j++;
			if (!v[j - 1].open_after)
				clean = j;
		}
		if (j == i) {
			split_line(&p, &v[i], reopen || v[i].open_after, max);
			i++;
			continue;
		}
		/* A piece that would end inside a code block ends before the
		 * block instead when the whole block then fits in the next. */
		if (j < n && v[j - 1].open_after && clean > i) {
			size_t block = 0, e = clean;
			while (e < n && block <= max) {
				block += v[e].chars;
				if (!v[e++].open_after)
					break;
			}
			if (block <= max)
				j = clean;
		}
		struct buf b;
		start(&b, reopen);
		for (size_t k = i; k < j; k++) {
			buf_add(&b, v[k].s, v[k].n);
			buf_addc(&b, '\n');
		}
		emit(&p, &b, v[j - 1].open_after);
		i = j;
	}
	free(v);
	free(all);
	*more = p.more;
	return p.n;
}
