#include "bank.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "../util/buf.h"
#include "../util/mem.h"
#include "../util/str.h"

enum section { S_NONE, S_META, S_BODY, S_ANSWER, S_HINTS, S_KEYPOINTS, S_CHOICES, S_BAD };

static const struct {
	const char *name;
	enum section sec;
} section_table[] = {
    {"answer", S_ANSWER},
    {"hints", S_HINTS},
    {"key points", S_KEYPOINTS},
    {"choices", S_CHOICES},
};

/* Lines of the source, to cut raw Markdown out by cmark's positions. */
struct lines {
	const char *text;
	size_t len;
	size_t *start; /* start[i] = offset of line i+1 */
	size_t n;
};

/* A question while its blocks are being read. */
struct draft {
	bool open;
	int line;
	size_t diag_start; /* diagnostics count when the question opened */
	bool diff_seen;
	const char *prompt;
	enum section sec;
	bool seen[S_BAD];
	const char *id;
	int id_line;
	int difficulty;
	const char **tags;
	size_t ntags;
	int body_first, body_last; /* line range, 0 = none */
	int ans_first, ans_last;
	int ans_line; /* the ### Answer heading */
	const char *hints[BANK_HINTS_MAX + 1];
	int hint_lines[BANK_HINTS_MAX + 1];
	size_t nhints;
	const char *kps[BANK_KEYPOINTS_MAX + 1];
	int kp_lines[BANK_KEYPOINTS_MAX + 1];
	size_t nkps;
	const char *choices[BANK_CHOICES_MAX + 1];
	int choice_lines[BANK_CHOICES_MAX + 1];
	bool choice_ok[BANK_CHOICES_MAX + 1];
	bool choice_right[BANK_CHOICES_MAX + 1];
	size_t nchoices;
	int choices_line;
};

struct parser {
	struct bank *b;
	struct diags *d;
	const char *path;
	const char *slug;
	struct lines L;
	const char *title;
	int title_line;
	bool no_title_said;
	int intro_first, intro_last;
	size_t first_q;
	struct draft q;
};

void bank_init(struct bank *b)
{
	memset(b, 0, sizeof *b);
	arena_init(&b->arena);
}

void bank_free(struct bank *b)
{
	free(b->topics);
	free(b->q);
	free(b->by_id);
	arena_free(&b->arena);
	memset(b, 0, sizeof *b);
}

static void lines_init(struct lines *L, const char *text, size_t len)
{
	L->text = text;
	L->len = len;
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	L->start = xmalloc((n + 1) * sizeof *L->start);
	L->start[0] = 0;
	size_t k = 1;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			L->start[k++] = i + 1;
	L->n = n;
	L->start[n] = len + 1; /* as if there were a newline after the end */
}

/* Raw text of line `line` (1-based), without its newline. */
static const char *line_at(const struct lines *L, int line, size_t *n)
{
	if (line < 1 || (size_t)line > L->n) {
		*n = 0;
		return "";
	}
	size_t s = L->start[line - 1];
	size_t e = L->start[line] - 1;
	if (e > s && L->text[e - 1] == '\r')
		e--;
	*n = e - s;
	return L->text + s;
}

/* Lines first..last joined with \n, trailing blank lines and white space
 * removed; in the arena. */
static const char *lines_text(struct parser *P, int first, int last)
{
	struct buf b;
	buf_init(&b, BANK_MAX_FILE_BYTES);
	for (int i = first; i <= last; i++) {
		size_t n;
		const char *s = line_at(&P->L, i, &n);
		buf_add(&b, s, n);
		buf_addc(&b, '\n');
	}
	size_t n = b.len;
	while (n && isspace((unsigned char)buf_str(&b)[n - 1]))
		n--;
	const char *out = arena_strndup(&P->b->arena, buf_str(&b), n);
	buf_free(&b);
	return out;
}

static int start_line(cmark_node *n)
{
	return cmark_node_get_start_line(n);
}

static int end_line(cmark_node *n)
{
	int e = cmark_node_get_end_line(n);
	return e >= start_line(n) ? e : start_line(n);
}

/* Text of a heading as written, without the #s (ATX) or underline (setext). */
static const char *heading_text(struct parser *P, cmark_node *h)
{
	size_t n;
	const char *s = line_at(&P->L, start_line(h), &n);
	str_trim_span(&s, &n);
	if (n && *s == '#') {
		while (n && *s == '#') {
			s++;
			n--;
		}
		str_trim_span(&s, &n);
		/* an optional closing sequence of #s after a space */
		size_t k = n;
		while (k && s[k - 1] == '#')
			k--;
		if (k < n && (k == 0 || s[k - 1] == ' ' || s[k - 1] == '\t')) {
			n = k;
			str_trim_span(&s, &n);
		}
		return arena_strndup(&P->b->arena, s, n);
	}
	/* setext: every line but the underline, joined by spaces */
	struct buf b;
	buf_init(&b, 4096);
	for (int i = start_line(h); i < end_line(h); i++) {
		const char *t = line_at(&P->L, i, &n);
		str_trim_span(&t, &n);
		if (b.len)
			buf_addc(&b, ' ');
		buf_add(&b, t, n);
	}
	const char *out = arena_strdup(&P->b->arena, buf_str(&b));
	buf_free(&b);
	return out;
}

/* The text of one list item: its lines with the marker and indentation
 * removed, joined by `sep`. */
static const char *item_text(struct parser *P, cmark_node *item, const char *sep)
{
	struct buf b;
	buf_init(&b, 65536);
	for (int i = start_line(item); i <= end_line(item); i++) {
		size_t n;
		const char *s = line_at(&P->L, i, &n);
		str_trim_span(&s, &n);
		if (i == start_line(item)) {
			/* "- ", "* ", "+ ", "1. ", "1) " */
			if (n && strchr("-*+", *s)) {
				s++;
				n--;
			} else {
				while (n && isdigit((unsigned char)*s)) {
					s++;
					n--;
				}
				if (n && (*s == '.' || *s == ')')) {
					s++;
					n--;
				}
			}
			str_trim_span(&s, &n);
		}
		if (!n)
			continue;
		if (b.len)
			buf_adds(&b, sep);
		buf_add(&b, s, n);
	}
	const char *out = arena_strdup(&P->b->arena, buf_str(&b));
	buf_free(&b);
	return out;
}

static char *slug_of(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".md") == 0)
		n -= 3;
	return xstrndup(base, n);
}

/* Raw HTML and images render on neither platform: say so where they are. */
static void check_inlines(struct parser *P, cmark_node *block)
{
	cmark_iter *it = cmark_iter_new(block);
	cmark_event_type ev;
	bool html = false, image = false;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		cmark_node_type t = cmark_node_get_type(cmark_iter_get_node(it));
		if (t == CMARK_NODE_HTML_INLINE && !html) {
			html = true;
			diag_add(
			    P->d, P->path, start_line(block),
			    "raw HTML is shown as plain text on Discord and Slack; write Markdown "
			    "(wrap code such as <div> in backticks)");
		} else if (t == CMARK_NODE_IMAGE && !image) {
			image = true;
			diag_add(
			    P->d, P->path, start_line(block),
			    "images are not supported in questions; link to the image instead");
		}
	}
	cmark_iter_free(it);
}

static bool meta_key(const char *s, size_t n, const char **key, size_t *klen)
{
	size_t i = 0;
	while (i < n && (isalpha((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
		i++;
	if (i == 0 || i >= n || s[i] != ':')
		return false;
	*key = s;
	*klen = i;
	return true;
}

/* Is this paragraph the `id:` / `difficulty:` / `tags:` block? */
static bool looks_like_meta(struct parser *P, cmark_node *para)
{
	size_t n;
	const char *s = line_at(&P->L, start_line(para), &n);
	str_trim_span(&s, &n);
	const char *k;
	size_t kl;
	return meta_key(s, n, &k, &kl);
}

static void parse_meta(struct parser *P, cmark_node *para)
{
	struct draft *q = &P->q;
	bool seen_id = false, seen_diff = false, seen_tags = false;
	for (int ln = start_line(para); ln <= end_line(para); ln++) {
		size_t n;
		const char *s = line_at(&P->L, ln, &n);
		str_trim_span(&s, &n);
		/* a hard line break written as a trailing backslash */
		if (n && s[n - 1] == '\\') {
			n--;
			str_trim_span(&s, &n);
		}
		const char *key;
		size_t kl;
		if (!meta_key(s, n, &key, &kl)) {
			diag_add(
			    P->d, P->path, ln,
			    "expected 'key: value' (id, difficulty or tags) in the lines under the "
			    "question; leave a blank line before the question's body");
			continue;
		}
		const char *v = s + kl + 1;
		size_t vn = n - kl - 1;
		str_trim_span(&v, &vn);
		char *val = xstrndup(v, vn);
		if (kl == 2 && strncmp(key, "id", 2) == 0) {
			if (seen_id)
				diag_add(P->d, P->path, ln, "id given twice");
			seen_id = true;
			if (!str_is_slug(val, BANK_ID_MAX) || strlen(val) < BANK_ID_MIN)
				diag_add(P->d, P->path, ln,
				         "id '%s' must be %d-%d characters of lowercase letters, "
				         "digits and -",
				         val, BANK_ID_MIN, BANK_ID_MAX);
			else
				q->id = arena_strdup(&P->b->arena, val);
			q->id_line = ln;
		} else if (kl == 10 && strncmp(key, "difficulty", 10) == 0) {
			long dv;
			if (seen_diff)
				diag_add(P->d, P->path, ln, "difficulty given twice");
			seen_diff = true;
			q->diff_seen = true;
			if (!str_to_long(val, 1, 3, &dv))
				diag_add(P->d, P->path, ln,
				         "difficulty '%s' must be 1 (easy), 2 (medium) or 3 (hard)",
				         val);
			else
				q->difficulty = (int)dv;
		} else if (kl == 4 && strncmp(key, "tags", 4) == 0) {
			if (seen_tags)
				diag_add(P->d, P->path, ln, "tags given twice");
			seen_tags = true;
			const char *tags[BANK_TAGS_MAX];
			size_t nt = 0;
			bool bad = false;
			char *save = NULL;
			for (char *t = strtok_r(val, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				str_trim(t);
				if (!*t)
					continue;
				if (!str_is_slug(t, 32)) {
					diag_add(P->d, P->path, ln,
					         "tag '%s' must be lowercase letters, digits and - "
					         "(at most 32)",
					         t);
					bad = true;
				} else if (nt == BANK_TAGS_MAX) {
					diag_add(P->d, P->path, ln, "at most %d tags",
					         BANK_TAGS_MAX);
					bad = true;
					break;
				} else {
					tags[nt++] = arena_strdup(&P->b->arena, t);
				}
			}
			if (!bad) {
				q->tags =
				    arena_alloc(&P->b->arena, (nt ? nt : 1) * sizeof *q->tags);
				memcpy(q->tags, tags, nt * sizeof *tags);
				q->ntags = nt;
			}
		} else {
			diag_add(P->d, P->path, ln,
			         "unknown metadata '%.*s' (expected id, difficulty or tags)",
			         (int)kl, key);
		}
		free(val);
	}
}

static void check_len(struct parser *P, int line, const char *what, const char *s, size_t max)
{
	size_t n = utf8_len(s, strlen(s));
	if (n > max)
		diag_add(P->d, P->path, line, "%s is %zu characters long; the limit is %zu", what,
		         n, max);
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0x1f; /* a field separator no text contains */
	h *= 0x100000001b3ULL;
	return h;
}

static void hash_question(struct bank_question *q)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char diff[4] = {(char)('0' + q->difficulty), 0};
	h = fnv(h, q->id);
	h = fnv(h, diff);
	h = fnv(h, q->prompt);
	h = fnv(h, q->body);
	h = fnv(h, q->answer);
	for (size_t i = 0; i < q->nhints; i++)
		h = fnv(h, q->hints[i]);
	for (size_t i = 0; i < q->nkey_points; i++)
		h = fnv(h, q->key_points[i]);
	for (size_t i = 0; i < q->nchoices; i++) {
		h = fnv(h, q->choices[i]);
		h = fnv(h, (int)i == q->correct ? "x" : " ");
	}
	snprintf(q->hash, sizeof q->hash, "%016llx", (unsigned long long)h);
}

static const char **copy_list(struct parser *P, const char *const *v, size_t n)
{
	const char **out = arena_alloc(&P->b->arena, (n ? n : 1) * sizeof *out);
	if (n) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(out, v, n * sizeof *v);
	return out;
}

/* Validates the draft and, if it is sound, appends it to the bank. */
static void close_question(struct parser *P)
{
	struct draft *q = &P->q;
	if (!q->open)
		return;
	q->open = false;
	size_t before = diags_total(P->d);
	size_t plen = utf8_len(q->prompt, strlen(q->prompt));
	if (plen < BANK_PROMPT_MIN || plen > BANK_PROMPT_MAX)
		diag_add(P->d, P->path, q->line,
		         "the question (## heading) must be %d-%d characters, not %zu",
		         BANK_PROMPT_MIN, BANK_PROMPT_MAX, plen);
	if (!q->id_line)
		diag_add(
		    P->d, P->path, q->line,
		    "missing 'id: ...' (put id, difficulty and tags on the lines right under the "
		    "## heading)");
	if (!q->diff_seen)
		diag_add(P->d, P->path, q->line, "missing 'difficulty: 1|2|3'");
	if (!q->seen[S_ANSWER])
		diag_add(P->d, P->path, q->line,
		         "missing '### Answer' (every question needs a model answer)");
	else if (!q->ans_first)
		diag_add(P->d, P->path, q->ans_line, "'### Answer' is empty");

	const char *body = q->body_first ? lines_text(P, q->body_first, q->body_last) : "";
	const char *answer = q->ans_first ? lines_text(P, q->ans_first, q->ans_last) : "";
	if (q->body_first)
		check_len(P, q->body_first, "the question's body", body, BANK_BODY_MAX);
	if (q->ans_first)
		check_len(P, q->ans_first, "the answer", answer, BANK_ANSWER_MAX);
	for (size_t i = 0; i < q->nhints; i++)
		check_len(P, q->hint_lines[i], "this hint", q->hints[i], BANK_HINT_MAX);
	for (size_t i = 0; i < q->nkps; i++)
		check_len(P, q->kp_lines[i], "this key point", q->kps[i], BANK_KEYPOINT_MAX);
	if (q->seen[S_HINTS] && q->nhints == 0)
		diag_add(P->d, P->path, q->line,
		         "'### Hints' has no items (write them as a bullet list)");
	if (q->seen[S_KEYPOINTS] && q->nkps == 0)
		diag_add(P->d, P->path, q->line,
		         "'### Key points' has no items (write them as a bullet list)");
	int correct = -1;
	if (q->seen[S_CHOICES]) {
		size_t right = 0;
		for (size_t i = 0; i < q->nchoices; i++) {
			if (!q->choice_ok[i])
				continue;
			check_len(P, q->choice_lines[i], "this choice", q->choices[i],
			          BANK_CHOICE_MAX);
			if (!*q->choices[i])
				diag_add(P->d, P->path, q->choice_lines[i], "empty choice");
			if (q->choice_right[i]) {
				right++;
				correct = (int)i;
			}
			for (size_t j = 0; j < i; j++)
				if (q->choice_ok[j] && strcmp(q->choices[i], q->choices[j]) == 0)
					diag_add(P->d, P->path, q->choice_lines[i],
					         "the same choice is listed twice");
		}
		if (q->nchoices < BANK_CHOICES_MIN)
			diag_add(P->d, P->path, q->choices_line,
			         "a multiple-choice question needs %d-%d choices", BANK_CHOICES_MIN,
			         BANK_CHOICES_MAX);
		if (right != 1)
			diag_add(P->d, P->path, q->choices_line,
			         "mark exactly one choice right with [x] (found %zu)", right);
	}
	/* the required fields are checked directly too: never let a question
	 * without them in, whatever the counts say */
	if (diags_total(P->d) != before || diags_total(P->d) != q->diag_start || !q->id ||
	    !q->difficulty || !q->ans_first)
		return;

	struct bank *b = P->b;
	if (b->nq == b->qcap) {
		b->qcap = b->qcap ? b->qcap * 2 : 64;
		b->q = xrealloc(b->q, b->qcap * sizeof *b->q);
	}
	struct bank_question *out = &b->q[b->nq++];
	memset(out, 0, sizeof *out);
	out->id = q->id;
	out->topic = P->slug;
	out->difficulty = q->difficulty;
	out->tags = q->tags ? q->tags : copy_list(P, NULL, 0);
	out->ntags = q->ntags;
	out->prompt = q->prompt;
	out->body = body;
	out->answer = answer;
	out->hints = copy_list(P, q->hints, q->nhints);
	out->nhints = q->nhints;
	out->key_points = copy_list(P, q->kps, q->nkps);
	out->nkey_points = q->nkps;
	out->choices = copy_list(P, q->choices, q->nchoices);
	out->nchoices = q->nchoices;
	out->correct = correct;
	out->file = P->path;
	out->line = q->line;
	hash_question(out);
}

static void open_question(struct parser *P, cmark_node *h)
{
	close_question(P);
	memset(&P->q, 0, sizeof P->q);
	P->q.open = true;
	P->q.diag_start = diags_total(P->d);
	P->q.line = start_line(h);
	P->q.prompt = heading_text(P, h);
	P->q.sec = S_META;
}

static void section_heading(struct parser *P, cmark_node *h)
{
	struct draft *q = &P->q;
	int ln = start_line(h);
	const char *text = heading_text(P, h);
	char name[64];
	snprintf(name, sizeof name, "%s", text);
	size_t n = strlen(name);
	while (n && (name[n - 1] == ':' || isspace((unsigned char)name[n - 1])))
		name[--n] = '\0';
	enum section sec = S_BAD;
	for (size_t i = 0; i < sizeof section_table / sizeof section_table[0]; i++)
		if (str_ieq(name, section_table[i].name))
			sec = section_table[i].sec;
	if (!q->open) {
		diag_add(P->d, P->path, ln, "'### %s' outside a question (questions start with ##)",
		         text);
		return;
	}
	if (sec == S_BAD) {
		diag_add(
		    P->d, P->path, ln,
		    "unknown section '### %s' (expected ### Answer, ### Hints, ### Key points or "
		    "### Choices)",
		    text);
		q->sec = S_BAD;
		return;
	}
	if (q->seen[sec])
		diag_add(P->d, P->path, ln, "'### %s' appears twice in this question", text);
	q->seen[sec] = true;
	q->sec = sec;
	if (sec == S_ANSWER)
		q->ans_line = ln;
	if (sec == S_CHOICES)
		q->choices_line = ln;
}

static void list_items(struct parser *P, cmark_node *list)
{
	struct draft *q = &P->q;
	static const char *const names[] = {
	    [S_HINTS] = "hints", [S_KEYPOINTS] = "key points", [S_CHOICES] = "choices"};
	for (cmark_node *it = cmark_node_first_child(list); it; it = cmark_node_next(it)) {
		int ln = start_line(it);
		size_t *count;
		size_t max;
		switch (q->sec) {
		case S_HINTS:
			count = &q->nhints;
			max = BANK_HINTS_MAX;
			break;
		case S_KEYPOINTS:
			count = &q->nkps;
			max = BANK_KEYPOINTS_MAX;
			break;
		default:
			count = &q->nchoices;
			max = BANK_CHOICES_MAX;
			break;
		}
		if (*count == max) {
			diag_add(P->d, P->path, ln, "at most %zu %s", max, names[q->sec]);
			return;
		}
		size_t i = (*count)++;
		if (q->sec == S_HINTS) {
			q->hints[i] = item_text(P, it, "\n");
			q->hint_lines[i] = ln;
		} else if (q->sec == S_KEYPOINTS) {
			q->kps[i] = item_text(P, it, " ");
			q->kp_lines[i] = ln;
		} else {
			const char *t = item_text(P, it, " ");
			q->choice_lines[i] = ln;
			q->choices[i] = t;
			if (t[0] == '[' && (t[1] == ' ' || t[1] == 'x' || t[1] == 'X') &&
			    t[2] == ']' && (t[3] == ' ' || t[3] == '\0')) {
				q->choice_ok[i] = true;
				q->choice_right[i] = t[1] != ' ';
				const char *s = t + 3;
				size_t n = strlen(s);
				str_trim_span(&s, &n);
				q->choices[i] = arena_strndup(&P->b->arena, s, n);
			} else {
				diag_add(P->d, P->path, ln,
				         "a choice starts with '[ ] ' (wrong) or '[x] ' (right)");
			}
		}
	}
}

static void extend(int *first, int *last, cmark_node *n)
{
	if (!*first)
		*first = start_line(n);
	*last = end_line(n);
}

static void block(struct parser *P, cmark_node *n)
{
	cmark_node_type t = cmark_node_get_type(n);
	int ln = start_line(n);
	struct draft *q = &P->q;

	if (t == CMARK_NODE_HEADING) {
		int level = cmark_node_get_heading_level(n);
		if (level == 1) {
			if (P->title)
				diag_add(
				    P->d, P->path, ln,
				    "a second '# title': one file is one topic (start a new file; "
				    "questions are ## headings)");
			else if (q->open || P->b->nq > P->first_q)
				diag_add(P->d, P->path, ln,
				         "the '# title' must come before the first question");
			else {
				P->title = heading_text(P, n);
				P->title_line = ln;
			}
			return;
		}
		if (!P->title && !P->no_title_said) {
			diag_add(P->d, P->path, ln, "the file must start with a '# Topic title'");
			P->no_title_said = true;
		}
		if (level == 2) {
			open_question(P, n);
			return;
		}
		if (level == 3) {
			section_heading(P, n);
			return;
		}
		diag_add(P->d, P->path, ln,
		         "headings of level %d are not supported in a question (use **bold** text)",
		         level);
		return;
	}
	if (t == CMARK_NODE_HTML_BLOCK) {
		diag_add(
		    P->d, P->path, ln,
		    "raw HTML is shown as plain text on Discord and Slack; write Markdown instead");
		return;
	}
	check_inlines(P, n);
	if (!q->open) {
		if (!P->title && !P->no_title_said) {
			diag_add(P->d, P->path, ln, "the file must start with a '# Topic title'");
			P->no_title_said = true;
		}
		if (!P->title)
			return;
		extend(&P->intro_first, &P->intro_last, n);
		return;
	}
	switch (q->sec) {
	case S_META:
		q->seen[S_META] = true;
		if (t == CMARK_NODE_PARAGRAPH && looks_like_meta(P, n)) {
			parse_meta(P, n);
			q->sec = S_BODY;
			return;
		}
		q->sec = S_BODY;
		/* no metadata: close_question() reports the missing id */
		extend(&q->body_first, &q->body_last, n);
		return;
	case S_BODY:
		extend(&q->body_first, &q->body_last, n);
		return;
	case S_ANSWER:
		extend(&q->ans_first, &q->ans_last, n);
		return;
	case S_HINTS:
	case S_KEYPOINTS:
	case S_CHOICES:
		if (t == CMARK_NODE_LIST) {
			list_items(P, n);
			return;
		}
		diag_add(P->d, P->path, ln, "expected a bullet list ('- item') here");
		return;
	case S_NONE:
	case S_BAD:
		return;
	}
}

static void add_topic(struct parser *P, const char *path)
{
	struct bank *b = P->b;
	b->topics = xrealloc(b->topics, (b->ntopics + 1) * sizeof *b->topics);
	struct bank_topic *t = &b->topics[b->ntopics++];
	t->slug = P->slug;
	t->title = P->title;
	t->intro = P->intro_first ? lines_text(P, P->intro_first, P->intro_last) : "";
	t->file = arena_strdup(&b->arena, path);
	t->count = b->nq - P->first_q;
}

static void too_big(struct diags *d, const char *path)
{
	diag_add(d, path, 0, "larger than %d KiB; split the topic into several files",
	         BANK_MAX_FILE_BYTES / 1024);
}

enum sb_rc bank_parse(struct bank *b, const char *path, const char *text, size_t len,
                      struct diags *d)
{
	size_t before = diags_total(d);
	struct parser P = {.b = b, .d = d, .first_q = b->nq};
	P.path = arena_strdup(&b->arena, path);
	char *slug = slug_of(path);
	P.slug = arena_strdup(&b->arena, slug);
	free(slug);

	if (len > BANK_MAX_FILE_BYTES) {
		too_big(d, P.path);
		return SB_ERR_TOOBIG;
	}
	if (!str_is_slug(P.slug, 64))
		diag_add(d, P.path, 0,
		         "the file name is the topic's id: use lowercase letters, digits and - "
		         "(e.g. django-orm.md)");
	if (bank_topic(b, P.slug))
		diag_add(d, P.path, 0, "topic '%s' is already loaded", P.slug);
	size_t bad = utf8_invalid_at(text, len);
	if (bad < len || memchr(text, '\0', len)) {
		if (bad > len)
			bad = len;
		int line = 1;
		for (size_t i = 0; i < bad && i < len; i++)
			line += text[i] == '\n';
		diag_add(d, P.path, line, "not valid UTF-8 text (save the file as UTF-8)");
		return SB_ERR_INVALID;
	}

	lines_init(&P.L, text, len);
	cmark_node *doc = cmark_parse_document(text, len, CMARK_OPT_SOURCEPOS);
	for (cmark_node *n = cmark_node_first_child(doc); n; n = cmark_node_next(n))
		block(&P, n);
	close_question(&P);
	cmark_node_free(doc);

	if (!P.title && !P.no_title_said)
		diag_add(d, P.path, 1, "the file must start with a '# Topic title'");
	else if (P.title && b->nq == P.first_q && diags_total(d) == before)
		diag_add(d, P.path, P.title_line,
		         "no questions (each question is a '## ' heading)");
	if (P.title)
		add_topic(&P, path);
	free(P.L.start);
	return diags_total(d) == before ? SB_OK : SB_ERR_INVALID;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum sb_rc bank_load_dir(struct bank *b, const char *dir, struct diags *d)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		diag_add(d, dir, 0, "cannot open the question folder: %s", strerror(errno));
		return SB_ERR_IO;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 4 || strcmp(e->d_name + l - 3, ".md") != 0)
			continue;
		if (n == BANK_MAX_FILES) {
			diag_add(d, dir, 0, "more than %d question files", BANK_MAX_FILES);
			break;
		}
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof *names, cmp_name);
	size_t dl = strlen(dir);
	for (size_t i = 0; i < n; i++) {
		struct buf path, text;
		buf_init(&path, 4096);
		buf_printf(&path, "%.*s/%s", (int)(dl && dir[dl - 1] == '/' ? dl - 1 : dl), dir,
		           names[i]);
		buf_init(&text, BANK_MAX_FILE_BYTES);
		enum sb_rc rc = buf_read_file(&text, buf_str(&path));
		if (rc == SB_ERR_TOOBIG)
			too_big(d, buf_str(&path));
		else if (rc != SB_OK)
			diag_add(d, buf_str(&path), 0, "cannot read: %s", strerror(errno));
		else
			bank_parse(b, buf_str(&path), text.data, text.len, d);
		buf_free(&text);
		buf_free(&path);
		free(names[i]);
	}
	free(names);
	return bank_finish(b, d);
}

static int cmp_qid(const void *a, const void *b)
{
	const struct bank_question *x = *(const struct bank_question *const *)a;
	const struct bank_question *y = *(const struct bank_question *const *)b;
	return strcmp(x->id, y->id);
}

enum sb_rc bank_finish(struct bank *b, struct diags *d)
{
	size_t before = diags_total(d);
	free(b->by_id);
	b->by_id = xmalloc((b->nq ? b->nq : 1) * sizeof *b->by_id);
	for (size_t i = 0; i < b->nq; i++)
		b->by_id[i] = &b->q[i];
	/* stable by construction: equal ids keep file order, so "first" is right */
	for (size_t i = 1; i < b->nq; i++) {
		struct bank_question *t = b->by_id[i];
		size_t j = i;
		while (j > 0 && cmp_qid(&b->by_id[j - 1], &t) > 0) {
			b->by_id[j] = b->by_id[j - 1];
			j--;
		}
		b->by_id[j] = t;
	}
	for (size_t i = 1; i < b->nq; i++) {
		const struct bank_question *x = b->by_id[i - 1], *y = b->by_id[i];
		if (strcmp(x->id, y->id) == 0)
			diag_add(d, y->file, y->line, "id '%s' is already used at %s:%d", y->id,
			         x->file, x->line);
	}
	if (b->nq == 0 && diags_total(d) == 0) /* not when every question had errors */
		diag_add(d, "", 0, "the question bank is empty");
	return diags_total(d) == before ? SB_OK : SB_ERR_INVALID;
}

const struct bank_question *bank_find(const struct bank *b, const char *id)
{
	size_t lo = 0, hi = b->by_id ? b->nq : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b->by_id[mid]->id, id);
		if (c == 0)
			return b->by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct bank_topic *bank_topic(const struct bank *b, const char *slug)
{
	for (size_t i = 0; i < b->ntopics; i++)
		if (strcmp(b->topics[i].slug, slug) == 0)
			return &b->topics[i];
	return NULL;
}
