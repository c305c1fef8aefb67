#include "cid.h"

#include <stdio.h>
#include <string.h>

#include "util/str.h"

static const struct {
	const char *tag;
	enum cid_verb verb;
	int nargs; /* after the tag: 0, 1 number, 2 numbers, or -1 = qid, -2 = number then qid */
	int amin, amax;
} verbs[] = {
    {"a", CID_ANSWER, 1, 0, 0}, {"h", CID_HINT, 1, 0, 0},         {"c", CID_PICK, 2, 0, 9},
    {"r", CID_RATE, 2, 1, 5},   {"x", CID_FORGET, 1, 0, 0},       {"s", CID_SHOW, -1, 0, 0},
    {"g", CID_GRADE, -2, 0, 5}, {"fa", CID_FORM_ANSWER, 1, 0, 0}, {"fq", CID_FORM_ADD, 0, 0, 0},
    {"xk", CID_KEEP, 1, 0, 0},
};

/* A positive decimal without sign, leading zeros or trailing junk. */
static bool parse_id(const char *s, size_t n, int64_t *out)
{
	if (n == 0 || n > 18 || s[0] == '0')
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool parse_small(const char *s, size_t n, int lo, int hi, int *out)
{
	if (n != 1 || s[0] < '0' || s[0] > '9')
		return false;
	int v = s[0] - '0';
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

bool cid_parse(const char *s, struct cid *out)
{
	memset(out, 0, sizeof *out);
	if (!s || strlen(s) > CID_MAX || strncmp(s, "sb1:", 4) != 0)
		return false;
	s += 4;
	const char *colon = strchr(s, ':');
	size_t taglen = colon ? (size_t)(colon - s) : strlen(s);
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strlen(verbs[i].tag) != taglen || strncmp(verbs[i].tag, s, taglen) != 0)
			continue;
		out->verb = verbs[i].verb;
		const char *rest = colon ? colon + 1 : NULL;
		switch (verbs[i].nargs) {
		case 0:
			return rest == NULL;
		case 1:
			return rest && parse_id(rest, strlen(rest), &out->num);
		case 2: {
			const char *c2 = rest ? strchr(rest, ':') : NULL;
			return c2 && parse_id(rest, (size_t)(c2 - rest), &out->num) &&
			       parse_small(c2 + 1, strlen(c2 + 1), verbs[i].amin, verbs[i].amax,
			                   &out->arg);
		}
		case -1:
			if (!rest || !str_is_slug(rest, sizeof out->qid - 1))
				return false;
			strcpy(out->qid, rest);
			return true;
		default: { /* -2: a grade, then a qid */
			const char *c2 = rest ? strchr(rest, ':') : NULL;
			if (!c2 || !parse_small(rest, (size_t)(c2 - rest), verbs[i].amin,
			                        verbs[i].amax, &out->arg))
				return false;
			if (!str_is_slug(c2 + 1, sizeof out->qid - 1))
				return false;
			strcpy(out->qid, c2 + 1);
			return true;
		}
		}
	}
	return false;
}

void cid_format(const struct cid *c, char *out)
{
	const size_t n = CID_MAX + 1;
	long long num = (long long)c->num;
	switch (c->verb) {
	case CID_ANSWER:
		snprintf(out, n, "sb1:a:%lld", num);
		break;
	case CID_HINT:
		snprintf(out, n, "sb1:h:%lld", num);
		break;
	case CID_PICK:
		snprintf(out, n, "sb1:c:%lld:%d", num, c->arg);
		break;
	case CID_RATE:
		snprintf(out, n, "sb1:r:%lld:%d", num, c->arg);
		break;
	case CID_FORGET:
		snprintf(out, n, "sb1:x:%lld", num);
		break;
	case CID_SHOW:
		snprintf(out, n, "sb1:s:%s", c->qid);
		break;
	case CID_GRADE:
		snprintf(out, n, "sb1:g:%d:%s", c->arg, c->qid);
		break;
	case CID_FORM_ANSWER:
		snprintf(out, n, "sb1:fa:%lld", num);
		break;
	case CID_FORM_ADD:
		snprintf(out, n, "sb1:fq");
		break;
	case CID_KEEP:
		snprintf(out, n, "sb1:xk:%lld", num);
		break;
	}
}
