/* Gateway payloads: a scanner for the envelope and for spans of it, and
 * cJSON-based decoders for the few events the bot acts on.
 *
 * The scanner (sc_*) validates JSON (RFC 8259 syntax) without building
 * anything: it only moves a cursor that never passes `end`, so input need not
 * be NUL-terminated. Rules it holds to, beyond the grammar:
 *   - nesting of arrays/objects is capped at GW_JSON_DEPTH (the envelope
 *     counts as one level), so a hostile payload cannot exhaust the stack;
 *   - string bytes >= 0x80 pass through unchecked (UTF-8 is checked where
 *     text is used), control characters must be escaped, escapes must be
 *     one of JSON's, and \u needs four hex digits; a lone surrogate is
 *     accepted as the RFC allows and decodes to U+FFFD;
 *   - keys are compared after decoding escapes, so "\u006fp" is "op".
 * Duplicates: the envelope refuses a second "op", "s", "t" or "d" (a payload
 * whose meaning depends on which copy wins is not one to act on);
 * gw_json_key() returns the first occurrence, as cJSON does, so the scanner
 * and the cJSON decoders below agree on what a payload says. */
#include "discord/gw_payload.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>

#define GW_JSON_DEPTH 64

struct scan {
	const char *p;
	const char *end;
};

/* Bytes that end a run of plain string characters: '"', '\\' and the
 * control characters JSON requires to be escaped. */
static const unsigned char sc_special[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1,
};

static inline bool sc_more(const struct scan *s)
{
	return s->p < s->end;
}

/* Discord sends compact JSON: the usual case is no white space at all. */
static inline void sc_ws(struct scan *s)
{
	if (s->p < s->end && (unsigned char)*s->p > ' ')
		return;
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

static inline bool sc_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int sc_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (the caller has checked they are in bounds). */
static bool sc_hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = sc_hexval(p[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return true;
}

/* Finding the end of a run of plain string bytes eight at a time ("bit
 * twiddling hacks": haszero / hasless). Most of a payload is string bytes,
 * so this is where the scanner spends its time. The word is loaded
 * little-endian whatever the machine (compilers make this one load), so
 * the lowest flagged byte is the first special one: a borrow in these
 * subtractions only ever runs upwards, past the first match. */
#define SC_ONES  0x0101010101010101ull
#define SC_HIGHS 0x8080808080808080ull

static inline uint64_t sc_load8(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 |
	       (uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 |
	       (uint64_t)u[7] << 56;
}

/* High bit of each byte that is '"', '\\' or below 0x20 (exact up to the first). */
static inline uint64_t sc_word_special(uint64_t w)
{
	uint64_t q = w ^ (SC_ONES * '"');
	uint64_t b = w ^ (SC_ONES * '\\');
	return (((q - SC_ONES) & ~q) | ((b - SC_ONES) & ~b) | ((w - SC_ONES * 0x20) & ~w)) &
	       SC_HIGHS;
}

/* Index of the lowest flagged byte of a non-zero mask (de Bruijn). */
static inline unsigned sc_first_byte(uint64_t m)
{
	static const unsigned char pos[64] = {
	    0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28, 62, 5,  39, 46, 44, 42,
	    22, 9,  24, 35, 59, 56, 49, 18, 29, 11, 63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21,
	    23, 58, 17, 10, 51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12};
	return pos[((m & (0 - m)) * 0x022FDD63CC95386Dull) >> 58] / 8;
}

/* The first special byte at or after p, or end. */
static inline const char *sc_plain_run(const char *p, const char *end)
{
	while (end - p >= 8) {
		uint64_t m = sc_word_special(sc_load8(p));
		if (m)
			return p + sc_first_byte(m);
		p += 8;
	}
	while (p < end && !sc_special[(unsigned char)*p])
		p++;
	return p;
}

/* At '"': moves past the closing quote; *body is what lies between. */
static bool sc_string(struct scan *s, struct gw_span *body)
{
	const char *p = s->p + 1;
	const char *end = s->end;
	const char *start = p;
	for (;;) {
		p = sc_plain_run(p, end);
		if (p >= end || (unsigned char)*p < 0x20)
			return false;
		if (*p == '"')
			break;
		if (end - p < 2) /* a backslash needs one more byte */
			return false;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			break;
		case 'u': {
			unsigned cp;
			if (end - p < 6 || !sc_hex4(p + 2, &cp))
				return false;
			p += 6;
			break;
		}
		default:
			return false;
		}
	}
	body->p = start;
	body->n = (size_t)(p - start);
	s->p = p + 1;
	return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool sc_number(struct scan *s)
{
	const char *p = s->p;
	const char *end = s->end;
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return false;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && sc_is_digit(*p))
			p++;
	} else {
		return false;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !sc_is_digit(*p))
			return false;
		while (p < end && sc_is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !sc_is_digit(*p))
			return false;
		while (p < end && sc_is_digit(*p))
			p++;
	}
	s->p = p;
	return true;
}

static bool sc_literal(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool sc_value(struct scan *s, int depth);

/* Object members one at a time: reads `"key" :` (or the closing brace)
 * and leaves s at the member's value, which the caller consumes.
 * Returns 1 for a member, 0 at the end of the object, -1 on bad syntax. */
static int sc_member(struct scan *s, size_t *count, struct gw_span *key)
{
	sc_ws(s);
	if (!sc_more(s))
		return -1;
	if (*s->p == '}') {
		s->p++;
		return 0;
	}
	if (*count > 0) {
		if (*s->p != ',')
			return -1;
		s->p++;
		sc_ws(s);
		if (!sc_more(s))
			return -1;
	}
	if (*s->p != '"' || !sc_string(s, key))
		return -1;
	sc_ws(s);
	if (!sc_more(s) || *s->p != ':')
		return -1;
	s->p++;
	sc_ws(s);
	(*count)++;
	return 1;
}

/* A trailing comma ("{"a":1,}") is caught by sc_member: after a comma it
 * wants a key, and '}' is not one. */
static bool sc_object(struct scan *s, int depth)
{
	if (depth >= GW_JSON_DEPTH)
		return false;
	s->p++; /* '{' */
	size_t count = 0;
	struct gw_span key;
	int r;
	while ((r = sc_member(s, &count, &key)) == 1)
		if (!sc_value(s, depth + 1))
			return false;
	return r == 0;
}

static bool sc_array(struct scan *s, int depth)
{
	if (depth >= GW_JSON_DEPTH)
		return false;
	s->p++; /* '[' */
	sc_ws(s);
	if (sc_more(s) && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		if (!sc_value(s, depth + 1))
			return false;
		sc_ws(s);
		if (!sc_more(s))
			return false;
		if (*s->p == ']') {
			s->p++;
			return true;
		}
		if (*s->p != ',')
			return false;
		s->p++;
		sc_ws(s);
	}
}

/* One value starting exactly at s->p (no leading white space); depth is
 * the number of containers around it. */
static bool sc_value(struct scan *s, int depth)
{
	if (!sc_more(s))
		return false;
	struct gw_span ignored;
	switch (*s->p) {
	case '{':
		return sc_object(s, depth);
	case '[':
		return sc_array(s, depth);
	case '"':
		return sc_string(s, &ignored);
	case 't':
		return sc_literal(s, "true", 4);
	case 'f':
		return sc_literal(s, "false", 5);
	case 'n':
		return sc_literal(s, "null", 4);
	default:
		return sc_number(s);
	}
}

/* Decoding string bodies that sc_string accepted. */

static size_t utf8_put(unsigned cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* \uXXXX at p (bounds checked by the caller): a surrogate pair becomes one
 * code point, a lone surrogate U+FFFD. Advances *pp past what it used. */
static unsigned str_uescape(const char **pp, const char *end)
{
	const char *p = *pp;
	unsigned cp = 0, lo;
	sc_hex4(p + 2, &cp);
	p += 6;
	if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
	    sc_hex4(p + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		p += 6;
	} else if (cp >= 0xD800 && cp <= 0xDFFF) {
		cp = 0xFFFD;
	}
	*pp = p;
	return cp;
}

/* The next character of a string body as UTF-8 bytes in out; returns how
 * many (0 at the end or on a broken escape). */
static size_t str_next(const char **pp, const char *end, char out[4])
{
	const char *p = *pp;
	if (p >= end)
		return 0;
	if (*p != '\\') {
		out[0] = *p;
		*pp = p + 1;
		return 1;
	}
	if (end - p < 2)
		return 0;
	char c = p[1];
	switch (c) {
	case 'b':
		c = '\b';
		break;
	case 'f':
		c = '\f';
		break;
	case 'n':
		c = '\n';
		break;
	case 'r':
		c = '\r';
		break;
	case 't':
		c = '\t';
		break;
	case 'u': {
		unsigned cp;
		if (end - p < 6 || !sc_hex4(p + 2, &cp))
			return 0;
		return utf8_put(str_uescape(pp, end), out);
	}
	default: /* '"', '\\', '/' stand for themselves */
		break;
	}
	out[0] = c;
	*pp = p + 2;
	return 1;
}

/* The slow half of key_eq: a raw body longer than the key, with escapes. */
static bool key_eq_escaped(struct gw_span k, const char *key, size_t kl)
{
	if (!memchr(k.p, '\\', k.n))
		return false;
	const char *p = k.p;
	const char *end = k.p + k.n;
	size_t i = 0;
	char u[4];
	while (p < end) {
		size_t m = str_next(&p, end, u);
		if (m == 0 || kl - i < m || memcmp(key + i, u, m) != 0)
			return false;
		i += m;
	}
	return i == kl;
}

/* A key's raw body equals key (kl bytes) once decoded. An escape always
 * decodes to fewer bytes than it takes raw, so a raw body no longer than
 * the key matches only byte for byte, and only without escapes. */
static inline bool key_eq(struct gw_span k, const char *key, size_t kl)
{
	if (k.n == kl)
		return memcmp(k.p, key, kl) == 0 && !memchr(k.p, '\\', k.n);
	return k.n > kl && key_eq_escaped(k, key, kl);
}

/* Decodes a string body into out (NUL-terminated); false when it does not
 * fit in outsz - 1 bytes or holds a NUL (which would cut it silently). */
static bool str_decode(struct gw_span body, char *out, size_t outsz)
{
	if (!memchr(body.p, '\\', body.n)) { /* no escapes: raw NULs were refused */
		if (body.n >= outsz)
			return false;
		memcpy(out, body.p, body.n);
		out[body.n] = '\0';
		return true;
	}
	const char *p = body.p;
	const char *end = body.p + body.n;
	size_t o = 0;
	char u[4];
	while (p < end) {
		size_t m = str_next(&p, end, u);
		if (m == 0 || outsz - 1 - o < m || memchr(u, '\0', m))
			return false;
		memcpy(out + o, u, m);
		o += m;
	}
	out[o] = '\0';
	return true;
}

/* A span that is a plain non-negative JSON integer (digits only, as
 * sc_number left it: no leading zero) no greater than max. */
static bool span_uint(struct gw_span v, uint64_t max, uint64_t *out)
{
	if (v.n == 0)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (!sc_is_digit(v.p[i]))
			return false;
		unsigned d = (unsigned)(v.p[i] - '0');
		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

static bool span_is(struct gw_span v, const char *lit)
{
	size_t n = strlen(lit);
	return v.p && v.n == n && memcmp(v.p, lit, n) == 0;
}

/* The envelope. */

enum env_key { ENV_OP, ENV_S, ENV_T, ENV_D, ENV_OTHER };

static enum env_key env_key(struct gw_span k)
{
	if (k.n == 1) { /* the usual spellings, without a call */
		switch (k.p[0]) {
		case 's':
			return ENV_S;
		case 't':
			return ENV_T;
		case 'd':
			return ENV_D;
		default:
			return ENV_OTHER;
		}
	}
	if (k.n == 2 && k.p[0] == 'o' && k.p[1] == 'p')
		return ENV_OP;
	if (k.n <= 2 || !memchr(k.p, '\\', k.n))
		return ENV_OTHER;
	static const char *const names[] = {"op", "s", "t", "d"};
	for (int i = 0; i < ENV_OTHER; i++)
		if (key_eq(k, names[i], strlen(names[i])))
			return (enum env_key)i;
	return ENV_OTHER;
}

static bool env_set(struct gw_envelope *e, enum env_key which, struct gw_span v)
{
	uint64_t x;
	switch (which) {
	case ENV_OP:
		if (!span_uint(v, INT_MAX, &x))
			return false;
		e->op = (int)x;
		return true;
	case ENV_S:
		if (span_is(v, "null"))
			return true;
		if (!span_uint(v, INT64_MAX, &x))
			return false;
		e->s = (int64_t)x;
		return true;
	case ENV_T:
		if (span_is(v, "null"))
			return true;
		if (v.n < 2 || v.p[0] != '"')
			return false;
		return str_decode((struct gw_span){v.p + 1, v.n - 2}, e->t, sizeof e->t);
	case ENV_D:
		e->d = v;
		return true;
	case ENV_OTHER:
		break;
	}
	return true;
}

static void env_clear(struct gw_envelope *e)
{
	e->op = -1;
	e->s = -1;
	e->t[0] = '\0';
	e->d = (struct gw_span){NULL, 0};
}

enum sb_rc gw_envelope_decode(const char *json, size_t len, struct gw_envelope *e)
{
	env_clear(e);
	if (!json)
		return SB_ERR_INVALID;
	struct scan s = {json, json + len};
	sc_ws(&s);
	if (!sc_more(&s) || *s.p != '{')
		return SB_ERR_INVALID;
	s.p++;
	unsigned seen = 0;
	size_t count = 0;
	struct gw_span key;
	int r;
	while ((r = sc_member(&s, &count, &key)) == 1) {
		enum env_key which = env_key(key);
		if (which != ENV_OTHER) {
			if (seen & 1u << which)
				goto bad;
			seen |= 1u << which;
		}
		const char *v = s.p;
		if (!sc_value(&s, 1))
			goto bad;
		if (!env_set(e, which, (struct gw_span){v, (size_t)(s.p - v)}))
			goto bad;
	}
	if (r != 0)
		goto bad;
	sc_ws(&s);
	if (sc_more(&s)) /* trailing garbage */
		goto bad;
	return SB_OK;
bad:
	env_clear(e);
	return SB_ERR_INVALID;
}

/* Opens an object span: true with s just inside the brace. */
static bool obj_open(struct gw_span obj, struct scan *s)
{
	if (!obj.p)
		return false;
	*s = (struct scan){obj.p, obj.p + obj.n};
	sc_ws(s);
	if (!sc_more(s) || *s->p != '{')
		return false;
	s->p++;
	return true;
}

struct gw_span gw_json_key(struct gw_span obj, const char *key)
{
	struct gw_span v = {NULL, 0};
	gw_json_keys(obj, &key, &v, 1);
	return v;
}

size_t gw_json_keys(struct gw_span obj, const char *const *keys, struct gw_span *out, size_t n)
{
	size_t klen[GW_JSON_KEYS_MAX];
	size_t want = 0, found = 0;
	for (size_t i = 0; i < n; i++) {
		out[i] = (struct gw_span){NULL, 0};
		if (i < GW_JSON_KEYS_MAX && keys[i]) {
			klen[i] = strlen(keys[i]);
			want++;
		}
	}
	struct scan s;
	if (want == 0 || !obj_open(obj, &s))
		return 0;
	size_t count = 0;
	struct gw_span k;
	while (found < want && sc_member(&s, &count, &k) == 1) {
		const char *v = s.p;
		if (!sc_value(&s, 1))
			break;
		for (size_t i = 0; i < n && i < GW_JSON_KEYS_MAX; i++) {
			if (!keys[i] || out[i].p || !key_eq(k, keys[i], klen[i]))
				continue;
			out[i] = (struct gw_span){v, (size_t)(s.p - v)};
			found++;
		}
	}
	return found;
}

/* Snowflakes: at most 20 digits, no sign, no leading zero, no overflow. */
uint64_t gw_span_id(struct gw_span v)
{
	if (!v.p || v.n == 0)
		return 0;
	struct gw_span digits = v;
	if (v.p[0] == '"') {
		if (v.n < 2 || v.p[v.n - 1] != '"')
			return 0;
		digits = (struct gw_span){v.p + 1, v.n - 2};
	}
	if (digits.n == 0 || (digits.p[0] == '0' && digits.n > 1))
		return 0;
	uint64_t x;
	return span_uint(digits, UINT64_MAX, &x) ? x : 0;
}

int gw_span_bool(struct gw_span v)
{
	if (span_is(v, "true"))
		return 1;
	if (span_is(v, "false"))
		return 0;
	return -1;
}

enum sb_rc gw_decode_hello(struct gw_span d, struct gw_hello *h)
{
	h->heartbeat_interval_ms = 0;
	uint64_t x;
	struct gw_span v = gw_json_key(d, "heartbeat_interval");
	if (!v.p || !span_uint(v, UINT32_MAX, &x) || x == 0)
		return SB_ERR_INVALID;
	h->heartbeat_interval_ms = (uint32_t)x;
	return SB_OK;
}

/* The cJSON decoders: rare events, so a tree is fine; every access is
 * type-checked, numbers must be integers in range. */

/* Parses exactly [p, p+n): cJSON_ParseWithLength alone accepts trailing
 * garbage, and its require_null_terminated wants a NUL inside the length. */
static cJSON *json_parse_exact(const char *p, size_t n)
{
	if (!p)
		return NULL;
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(p, n, &end, 0);
	if (!root)
		return NULL;
	struct scan s = {end, p + n};
	if (!end || end < p || end > p + n || (sc_ws(&s), sc_more(&s))) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static bool json_int(const cJSON *v, double min, double max, double *out)
{
	if (!cJSON_IsNumber(v))
		return false;
	double d = v->valuedouble;
	if (!(d >= min && d <= max) || d != (double)(int64_t)d)
		return false;
	*out = d;
	return true;
}

/* A string field that must fit whole: session ids and URLs cut short would
 * be wrong, not merely shorter. Printable ASCII only (no spaces): they go
 * into URLs and payloads as they are. */
static bool json_token(const cJSON *v, char *out, size_t outsz)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return false;
	size_t n = strlen(v->valuestring);
	if (n == 0 || n >= outsz)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v->valuestring[i];
		if (c <= 0x20 || c >= 0x7F)
			return false;
	}
	memcpy(out, v->valuestring, n + 1);
	return true;
}

static bool json_ws_url(const cJSON *v, char *out, size_t outsz)
{
	return json_token(v, out, outsz) &&
	       (strncmp(out, "wss://", 6) == 0 || strncmp(out, "ws://", 5) == 0);
}

/* Display text: cut to fit, never inside a UTF-8 sequence. */
static bool json_text(const cJSON *v, char *out, size_t outsz)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return false;
	size_t n = strlen(v->valuestring);
	if (n >= outsz) {
		n = outsz - 1;
		while (n > 0 && ((unsigned char)v->valuestring[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, v->valuestring, n);
	out[n] = '\0';
	return true;
}

/* Snowflakes are strings in JSON ("1234"): a number would have gone
 * through a double and lost digits. */
static uint64_t json_id(const cJSON *v)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return 0;
	size_t n = strlen(v->valuestring);
	return gw_span_id((struct gw_span){v->valuestring, n});
}

static bool ready_shard(const cJSON *shard, struct gw_ready *r)
{
	if (!shard)
		return true; /* only there when we sent one */
	double id, count;
	if (!cJSON_IsArray(shard) || cJSON_GetArraySize(shard) != 2 ||
	    !json_int(cJSON_GetArrayItem(shard, 0), 0, INT_MAX, &id) ||
	    !json_int(cJSON_GetArrayItem(shard, 1), 1, INT_MAX, &count) || id >= count)
		return false;
	r->shard_id = (int)id;
	r->shard_count = (int)count;
	return true;
}

enum sb_rc gw_decode_ready(struct gw_span d, struct gw_ready *r)
{
	memset(r, 0, sizeof *r);
	r->shard_id = r->shard_count = -1;
	enum sb_rc rc = SB_ERR_INVALID;
	cJSON *root = json_parse_exact(d.p, d.n);
	if (!cJSON_IsObject(root))
		goto out;
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(root, "user");
	const cJSON *app = cJSON_GetObjectItemCaseSensitive(root, "application");
	const cJSON *guilds = cJSON_GetObjectItemCaseSensitive(root, "guilds");
	if (!json_token(cJSON_GetObjectItemCaseSensitive(root, "session_id"), r->session_id,
	                sizeof r->session_id) ||
	    !json_ws_url(cJSON_GetObjectItemCaseSensitive(root, "resume_gateway_url"),
	                 r->resume_gateway_url, sizeof r->resume_gateway_url))
		goto out;
	if (!cJSON_IsObject(user) ||
	    !(r->user_id = json_id(cJSON_GetObjectItemCaseSensitive(user, "id"))) ||
	    !json_text(cJSON_GetObjectItemCaseSensitive(user, "username"), r->user_name,
	               sizeof r->user_name))
		goto out;
	if (app && (!cJSON_IsObject(app) ||
	            !(r->application_id = json_id(cJSON_GetObjectItemCaseSensitive(app, "id")))))
		goto out;
	if (guilds && !cJSON_IsArray(guilds))
		goto out;
	r->guilds = guilds ? (size_t)cJSON_GetArraySize(guilds) : 0;
	if (!ready_shard(cJSON_GetObjectItemCaseSensitive(root, "shard"), r))
		goto out;
	rc = SB_OK;
out:
	cJSON_Delete(root);
	if (rc != SB_OK) {
		memset(r, 0, sizeof *r);
		r->shard_id = r->shard_count = -1;
	}
	return rc;
}

/* session_start_limit: all four fields are required by Discord's schema,
 * but max_concurrency came later, so a response without it means 1. */
static bool bot_limit(const cJSON *sl, struct gw_bot_info *b)
{
	double total, remaining, reset, conc = 1;
	const cJSON *mc = cJSON_GetObjectItemCaseSensitive(sl, "max_concurrency");
	if (!cJSON_IsObject(sl) ||
	    !json_int(cJSON_GetObjectItemCaseSensitive(sl, "total"), 0, INT_MAX, &total) ||
	    !json_int(cJSON_GetObjectItemCaseSensitive(sl, "remaining"), 0, INT_MAX, &remaining) ||
	    !json_int(cJSON_GetObjectItemCaseSensitive(sl, "reset_after"), 0, 9007199254740992.0,
	              &reset) ||
	    (mc && !json_int(mc, 1, INT_MAX, &conc)))
		return false;
	b->sl_total = (int)total;
	b->sl_remaining = (int)remaining;
	b->sl_reset_after_ms = (uint64_t)reset;
	b->sl_max_concurrency = (int)conc;
	return true;
}

enum sb_rc gw_decode_gateway_bot(const char *json, size_t len, struct gw_bot_info *b)
{
	memset(b, 0, sizeof *b);
	enum sb_rc rc = SB_ERR_INVALID;
	cJSON *root = json_parse_exact(json, len);
	double shards;
	if (!cJSON_IsObject(root) ||
	    !json_ws_url(cJSON_GetObjectItemCaseSensitive(root, "url"), b->url, sizeof b->url) ||
	    !json_int(cJSON_GetObjectItemCaseSensitive(root, "shards"), 1, INT_MAX, &shards) ||
	    !bot_limit(cJSON_GetObjectItemCaseSensitive(root, "session_start_limit"), b))
		goto out;
	b->shards = (int)shards;
	rc = SB_OK;
out:
	cJSON_Delete(root);
	if (rc != SB_OK)
		memset(b, 0, sizeof *b);
	return rc;
}
