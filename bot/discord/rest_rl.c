/* Discord's REST rate limits as a table (rest_rl.h). Two hash maps: route
 * templates to the bucket Discord named for them, and limiters, one per
 * (bucket, major parameter), holding what the last answer said. */
#include "discord/rest_rl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/str.h"

#define RL_MAX_ROUTES   4096 /* routes learned; past this a route stays its own bucket */
#define RL_MAX_BUCKET   64   /* longest X-RateLimit-Bucket we keep */
#define RL_SWEEP_EVERY  256  /* rl_sent calls between sweeps of idle limiters */
#define RL_TOKEN_MIN    33   /* a path segment this long is opaque: hashed, not kept */
#define RL_DEFAULT_WAIT 1000 /* a 429 that says nothing about how long */

/* One entry of any map: routes use bucket (the learned bucket); flights
 * use bucket (the limiter key the request was sent on) and inflight. */
struct rl_node {
	struct rl_node *next;
	uint64_t h;
	char *key;
	char *bucket;
	int inflight;
	long remaining; /* -1 unknown */
	uint64_t reset_at;
	uint64_t blocked_until;
	uint64_t last_used;
};

struct rl_map {
	struct rl_node **slot;
	size_t nslot, n;
};

struct rl {
	struct rl_map routes, lims;
	struct rl_map flights; /* route keys in flight, by the limiter they went on */
	unsigned per_sec;
	uint64_t *ring; /* send times of the last per_sec non-exempt requests */
	unsigned ring_head, ring_n;
	uint64_t global_until, ban_until;
	unsigned long invalid;
	unsigned sends;
};

/* --- small helpers --------------------------------------------------------- */

static uint64_t rl_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t rl_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Appends [s, s+n) to out at *o, never past outsz-1; keeps out terminated. */
static void rl_put(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
	if (*o + 1 >= outsz)
		return;
	if (n > outsz - 1 - *o)
		n = outsz - 1 - *o;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

static int rl_seg_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

static int rl_all_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Seconds as Discord writes them ("1", "0.25", "64.57") to ms, rounded up
 * so a wait is never shorter than asked. Anything else (signs, exponents,
 * "inf", HTTP dates) is refused. */
static int rl_parse_secs(const char *s, uint64_t *ms)
{
	size_t n, digits = 0, dots = 0;
	char tmp[32];

	if (!s)
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof tmp)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.')
			dots++;
		else if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else
			return 0;
	}
	if (dots > 1 || digits == 0)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	double v = strtod(tmp, NULL) * 1000.0;
	*ms = v >= (double)RL_MAX_WAIT_MS ? RL_MAX_WAIT_MS : (uint64_t)ceil(v);
	return 1;
}

static uint64_t rl_secs_to_ms(double secs)
{
	if (!(secs >= 0)) /* NaN too */
		return 0;
	double v = secs * 1000.0;
	return v >= (double)RL_MAX_WAIT_MS ? RL_MAX_WAIT_MS : (uint64_t)ceil(v);
}

static int rl_parse_count(const char *s, long *out)
{
	return s && str_to_long(s, 0, 1000000000L, out);
}

static int rl_is_true(const char *s)
{
	return s && str_ieq(s, "true");
}

/* --- hash map --------------------------------------------------------------- */

static void rl_map_init(struct rl_map *m)
{
	m->nslot = 64;
	m->n = 0;
	m->slot = xcalloc(m->nslot, sizeof *m->slot);
}

static void rl_node_free(struct rl_node *e)
{
	free(e->key);
	free(e->bucket);
	free(e);
}

static void rl_map_free(struct rl_map *m)
{
	for (size_t i = 0; i < m->nslot; i++) {
		struct rl_node *e = m->slot[i];

		while (e) {
			struct rl_node *next = e->next;

			rl_node_free(e);
			e = next;
		}
	}
	free(m->slot);
}

static void rl_map_grow(struct rl_map *m)
{
	size_t nslot = m->nslot * 2;
	struct rl_node **slot = xcalloc(nslot, sizeof *slot);

	for (size_t i = 0; i < m->nslot; i++) {
		struct rl_node *e = m->slot[i];

		while (e) {
			struct rl_node *next = e->next;
			size_t j = (size_t)(e->h & (nslot - 1));

			e->next = slot[j];
			slot[j] = e;
			e = next;
		}
	}
	free(m->slot);
	m->slot = slot;
	m->nslot = nslot;
}

static struct rl_node *rl_map_find(struct rl_map *m, const char *key, int create)
{
	uint64_t h = rl_hash(key, strlen(key));
	size_t i = (size_t)(h & (m->nslot - 1));

	for (struct rl_node *e = m->slot[i]; e; e = e->next)
		if (e->h == h && strcmp(e->key, key) == 0)
			return e;
	if (!create)
		return NULL;
	if (m->n >= m->nslot * 2) {
		rl_map_grow(m);
		i = (size_t)(h & (m->nslot - 1));
	}
	struct rl_node *e = xcalloc(1, sizeof *e);
	e->h = h;
	e->key = xstrdup(key);
	e->remaining = -1;
	e->next = m->slot[i];
	m->slot[i] = e;
	m->n++;
	return e;
}

static void rl_map_remove(struct rl_map *m, const char *key)
{
	uint64_t h = rl_hash(key, strlen(key));
	struct rl_node **pp = &m->slot[h & (m->nslot - 1)];

	for (; *pp; pp = &(*pp)->next) {
		struct rl_node *e = *pp;

		if (e->h == h && strcmp(e->key, key) == 0) {
			*pp = e->next;
			rl_node_free(e);
			m->n--;
			return;
		}
	}
}

/* Forgets limiters nothing waits on and nothing was sent on for a while,
 * so one-off majors (every interaction is one) do not pile up. */
static void rl_sweep(struct rl *t, uint64_t now)
{
	struct rl_map *m = &t->lims;

	for (size_t i = 0; i < m->nslot; i++) {
		struct rl_node **pp = &m->slot[i];

		while (*pp) {
			struct rl_node *e = *pp;

			if (e->inflight == 0 && now >= e->reset_at && now >= e->blocked_until &&
			    now >= e->last_used && now - e->last_used >= RL_IDLE_MS) {
				*pp = e->next;
				rl_node_free(e);
				m->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}

/* --- route keys ------------------------------------------------------------- */

/* Appends "#" and the hash of a token, so keys tell tokens apart and can
 * still be logged. */
static void rl_put_token(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
	char h[24];
	int len = snprintf(h, sizeof h, "#%016llx", (unsigned long long)rl_hash(s, n));

	rl_put(out, outsz, o, h, (size_t)len);
}

char *rl_route_key(const char *method, const char *path, char *out, size_t outsz, int *exempt)
{
	size_t o = 0, plen = strcspn(path, "?#");
	const char *seg0 = NULL, *prev = NULL;
	size_t seg0n = 0, prevn = 0;
	int idx = 0, major_res = 0, token_res = 0, callback = 0;

	if (outsz == 0)
		return out;
	out[0] = '\0';
	if (exempt)
		*exempt = 0;
	rl_put(out, outsz, &o, method, strlen(method));
	rl_put(out, outsz, &o, " ", 1);
	for (size_t i = 0; i < plen;) {
		if (path[i] == '/') {
			rl_put(out, outsz, &o, "/", 1);
			i++;
			continue;
		}
		const char *s = path + i;
		size_t n = strcspn(s, "/");

		if (n > plen - i)
			n = plen - i;
		i += n;
		if (idx == 0) {
			seg0 = s;
			seg0n = n;
			major_res = rl_seg_is(s, n, "channels") || rl_seg_is(s, n, "guilds") ||
			            rl_seg_is(s, n, "webhooks") || rl_seg_is(s, n, "interactions");
			token_res = rl_seg_is(s, n, "webhooks") || rl_seg_is(s, n, "interactions");
			rl_put(out, outsz, &o, s, n);
		} else if (prev && rl_seg_is(prev, prevn, "reactions")) {
			/* the emoji and whose reaction: all one bucket */
			rl_put(out, outsz, &o, ":reaction", 9);
			break;
		} else if (idx == 2 && token_res) {
			rl_put_token(out, outsz, &o, s, n);
		} else if (idx == 1 && major_res && n < RL_TOKEN_MIN) {
			rl_put(out, outsz, &o, s, n);
		} else if (rl_all_digits(s, n)) {
			rl_put(out, outsz, &o, ":id", 3);
		} else if (n >= RL_TOKEN_MIN) {
			rl_put_token(out, outsz, &o, s, n);
		} else {
			rl_put(out, outsz, &o, s, n);
		}
		if (idx == 3 && seg0 && rl_seg_is(seg0, seg0n, "interactions") &&
		    rl_seg_is(s, n, "callback") && i == plen)
			callback = 1;
		prev = s;
		prevn = n;
		idx++;
	}
	if (exempt)
		*exempt = callback;
	return out;
}

/* Splits a route key into its template (major parameter replaced by "{}")
 * and the major parameter ("channels/123", "webhooks/1/#…"; "" if none). */
static void rl_split(const char *key, char *tmpl, size_t tsz, char *major, size_t msz)
{
	const char *p = strchr(key, '/');
	size_t to = 0, mo = 0;

	tmpl[0] = major[0] = '\0';
	if (!p) {
		rl_put(tmpl, tsz, &to, key, strlen(key));
		return;
	}
	const char *s0 = p + 1;
	size_t n0 = strcspn(s0, "/");
	int major_res = rl_seg_is(s0, n0, "channels") || rl_seg_is(s0, n0, "guilds") ||
	                rl_seg_is(s0, n0, "webhooks") || rl_seg_is(s0, n0, "interactions");
	int token_res = rl_seg_is(s0, n0, "webhooks") || rl_seg_is(s0, n0, "interactions");

	if (!major_res || s0[n0] != '/' || s0[n0 + 1] == '\0' || s0[n0 + 1] == '/') {
		rl_put(tmpl, tsz, &to, key, strlen(key));
		return;
	}
	const char *s1 = s0 + n0 + 1;
	size_t n1 = strcspn(s1, "/");
	const char *rest = s1 + n1;

	rl_put(major, msz, &mo, s0, n0 + 1 + n1);
	if (token_res && rest[0] == '/' && rest[1] == '#') {
		size_t n2 = strcspn(rest + 1, "/");

		rl_put(major, msz, &mo, rest, 1 + n2);
		rest += 1 + n2;
	}
	rl_put(tmpl, tsz, &to, key, (size_t)(s0 + n0 - key));
	rl_put(tmpl, tsz, &to, "/{}", 3);
	rl_put(tmpl, tsz, &to, rest, strlen(rest));
}

/* The limiter's key: the learned bucket (else the route template) plus
 * the major parameter. */
static void rl_lim_key(struct rl *t, const char *route_key, char *out, size_t outsz)
{
	char tmpl[RL_KEY_MAX], major[RL_KEY_MAX];
	struct rl_node *route;

	rl_split(route_key, tmpl, sizeof tmpl, major, sizeof major);
	route = rl_map_find(&t->routes, tmpl, 0);
	if (route && route->bucket)
		snprintf(out, outsz, "b:%s %s", route->bucket, major);
	else
		snprintf(out, outsz, "r:%s %s", tmpl, major);
}

#define RL_LIM_KEY_MAX (RL_KEY_MAX * 2 + RL_MAX_BUCKET + 8)

static struct rl_node *rl_lim(struct rl *t, const char *route_key, int create)
{
	char k[RL_LIM_KEY_MAX];

	rl_lim_key(t, route_key, k, sizeof k);
	return rl_map_find(&t->lims, k, create);
}

static int rl_bucket_ok(const char *b)
{
	size_t n = strlen(b);

	if (n == 0 || n > RL_MAX_BUCKET)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (b[i] <= ' ' || b[i] > '~')
			return 0;
	return 1;
}

static void rl_learn_bucket(struct rl *t, const char *route_key, const char *bucket)
{
	char tmpl[RL_KEY_MAX], major[RL_KEY_MAX];
	struct rl_node *route;

	if (!bucket || !rl_bucket_ok(bucket))
		return;
	rl_split(route_key, tmpl, sizeof tmpl, major, sizeof major);
	route = rl_map_find(&t->routes, tmpl, 0);
	if (!route) {
		if (t->routes.n >= RL_MAX_ROUTES)
			return;
		route = rl_map_find(&t->routes, tmpl, 1);
	}
	if (route->bucket && strcmp(route->bucket, bucket) == 0)
		return;
	free(route->bucket);
	route->bucket = xstrdup(bucket);
}

/* --- the table -------------------------------------------------------------- */

struct rl *rl_new(unsigned global_per_sec)
{
	struct rl *t = xcalloc(1, sizeof *t);

	rl_map_init(&t->routes);
	rl_map_init(&t->lims);
	rl_map_init(&t->flights);
	t->per_sec = global_per_sec;
	if (global_per_sec)
		t->ring = xcalloc(global_per_sec, sizeof *t->ring);
	return t;
}

void rl_free(struct rl *t)
{
	if (!t)
		return;
	rl_map_free(&t->routes);
	rl_map_free(&t->lims);
	rl_map_free(&t->flights);
	free(t->ring);
	free(t);
}

/* The time left until `until`, if any, kept when longer than *w. */
static void rl_longest(uint64_t *w, uint64_t until, uint64_t now)
{
	if (until > now && until - now > *w)
		*w = until - now;
}

uint64_t rl_wait(struct rl *t, const char *route_key, int exempt, uint64_t now_ms)
{
	struct rl_node *lim;
	uint64_t w = 0;

	/* the same route in flight on the limiter it had before its bucket
	 * was learned still holds the line */
	if (rl_map_find(&t->flights, route_key, 0))
		return RL_BUSY;
	lim = rl_lim(t, route_key, 0);
	if (lim && lim->inflight)
		return RL_BUSY; /* its completion wakes the caller anyway */
	/* the longest of all reasons, so that after waiting it only other
	 * requests' sends (the global window) can hold this one back */
	rl_longest(&w, t->ban_until, now_ms);
	if (!exempt)
		rl_longest(&w, t->global_until, now_ms);
	if (lim) {
		rl_longest(&w, lim->blocked_until, now_ms);
		if (lim->remaining == 0)
			rl_longest(&w, lim->reset_at, now_ms);
	}
	if (!exempt && t->per_sec && t->ring_n == t->per_sec)
		rl_longest(&w, t->ring[t->ring_head] + 1000, now_ms);
	return w;
}

void rl_sent(struct rl *t, const char *route_key, int exempt, uint64_t now_ms)
{
	char k[RL_LIM_KEY_MAX];
	struct rl_node *lim, *flight;

	rl_lim_key(t, route_key, k, sizeof k);
	lim = rl_map_find(&t->lims, k, 1);
	flight = rl_map_find(&t->flights, route_key, 1);
	if (!flight->bucket)
		flight->bucket = xstrdup(k);
	flight->inflight++;
	lim->inflight++;
	lim->last_used = now_ms;
	if (lim->reset_at <= now_ms)
		lim->remaining = -1; /* the bucket has refilled; the answer will say by how much */
	else if (lim->remaining > 0)
		lim->remaining--;
	if (!exempt && t->per_sec) {
		t->ring[t->ring_head] = now_ms;
		t->ring_head = (t->ring_head + 1) % t->per_sec;
		if (t->ring_n < t->per_sec)
			t->ring_n++;
	}
	if (++t->sends % RL_SWEEP_EVERY == 0)
		rl_sweep(t, now_ms);
}

void rl_hold(struct rl *t, const char *route_key, uint64_t until_ms)
{
	struct rl_node *lim = rl_lim(t, route_key, 1);

	lim->blocked_until = rl_max(lim->blocked_until, until_ms);
}

/* Takes X-RateLimit-Remaining and -Reset-After into the limiter. */
static void rl_learn_counts(struct rl_node *lim, const struct rl_answer *a, uint64_t now)
{
	long remaining;
	uint64_t reset_ms;

	if (!rl_parse_count(a->remaining, &remaining))
		return;
	lim->remaining = remaining;
	if (rl_parse_secs(a->reset_after, &reset_ms))
		lim->reset_at = now + reset_ms;
	else if (remaining == 0)
		lim->reset_at = now + RL_DEFAULT_WAIT; /* exhausted, reset unknown */
	else
		lim->reset_at = 0;
}

/* How long a 429 asks us to wait, from the most precise source given. */
static uint64_t rl_retry_ms(const struct rl_answer *a)
{
	uint64_t ms;

	if (a->body_retry_after >= 0)
		ms = rl_secs_to_ms(a->body_retry_after);
	else if (!rl_parse_secs(a->retry_after_hdr, &ms) && !rl_parse_secs(a->reset_after, &ms))
		ms = RL_DEFAULT_WAIT;
	return ms ? ms : 1;
}

uint64_t rl_done(struct rl *t, const char *route_key, const struct rl_answer *a, uint64_t now_ms,
                 int *global_429, int *ban_shaped)
{
	struct rl_node *lim, *flight = rl_map_find(&t->flights, route_key, 0);
	int global, ban, shared;
	uint64_t retry;

	if (global_429)
		*global_429 = 0;
	if (ban_shaped)
		*ban_shaped = 0;
	if (flight) {
		/* release the limiter it was sent on, even if the route has
		 * moved to another bucket since */
		lim = rl_map_find(&t->lims, flight->bucket, 0);
		if (lim && lim->inflight > 0) {
			lim->inflight--;
			lim->last_used = now_ms;
		}
		if (--flight->inflight <= 0)
			rl_map_remove(&t->flights, route_key);
	}
	if (a->status == 0)
		return 0; /* no answer: nothing learned */
	if (a->status == 401 || a->status == 403)
		t->invalid++;
	rl_learn_bucket(t, route_key, a->bucket);
	lim = rl_lim(t, route_key, 1); /* the bucket may have just been learned */
	lim->last_used = now_ms;
	rl_learn_counts(lim, a, now_ms);
	if (a->status != 429)
		return 0;

	global = rl_is_true(a->global_hdr) || a->body_global == 1 ||
	         (a->scope && str_ieq(a->scope, "global"));
	/* Discord's limiter always names itself in headers, or at least in a
	 * JSON body saying "global"; Cloudflare's ban page does neither */
	ban = !a->bucket && !a->limit && !a->remaining && !a->reset_after && !a->global_hdr &&
	      !a->scope && a->body_global != 1;
	shared = a->scope && str_ieq(a->scope, "shared");
	if (!shared)
		t->invalid++;
	retry = rl_retry_ms(a);
	if (ban) {
		retry = rl_max(retry, RL_BAN_MS);
		t->ban_until = rl_max(t->ban_until, now_ms + retry);
	} else if (global) {
		t->global_until = rl_max(t->global_until, now_ms + retry);
	} else {
		lim->blocked_until = rl_max(lim->blocked_until, now_ms + retry);
	}
	if (global_429)
		*global_429 = global && !ban;
	if (ban_shaped)
		*ban_shaped = ban;
	return retry;
}

unsigned long rl_invalid(const struct rl *t)
{
	return t->invalid;
}

size_t rl_limiters(const struct rl *t)
{
	return t->lims.n;
}
