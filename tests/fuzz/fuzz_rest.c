/* libFuzzer harness: what Discord's REST API sends back. The input reads
 * like an answer:
 *
 *   METHOD PATH            (the request's route)
 *   STATUS
 *   Name: value            (header lines, up to an empty line)
 *   body
 *
 * The body (and the whole input) goes through rest_error_text; route,
 * status, X-RateLimit-* headers and the body's retry_after / global go
 * through the rate-limit table, whose answers must stay within bounds: no
 * wait past the clamp, a 429 always waits, a finished request never leaves
 * its limiter busy. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discord/rest.h"
#include "discord/rest_rl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

struct input {
	char *text; /* the input, NUL-terminated, lines cut in place */
	char *lines[MAX_LINES];
	int nlines;
	const char *body;
	size_t body_len;
};

/* Cuts the head into lines (\n or \r\n) up to the first empty line; the
 * rest is the body. */
static void split(struct input *in, size_t size)
{
	char *p = in->text, *end = in->text + size;

	while (p < end && in->nlines < MAX_LINES) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;

		if (eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		*eol = '\0';
		if (*p == '\0' && in->nlines >= 2) {
			p = nl ? nl + 1 : end;
			break;
		}
		in->lines[in->nlines++] = p;
		p = nl ? nl + 1 : end;
	}
	in->body = p < end ? p : "";
	in->body_len = p < end ? (size_t)(end - p) : 0;
}

static const char *header(const struct input *in, const char *name)
{
	size_t n = strlen(name);

	for (int i = 2; i < in->nlines; i++) {
		const char *l = in->lines[i];

		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			l += n + 1;
			while (*l == ' ' || *l == '\t')
				l++;
			return l;
		}
	}
	return NULL;
}

static void check_text(const char *s, size_t len)
{
	char out[512], tiny[5];

	rest_error_text(s, len, out, sizeof out);
	if (strlen(out) >= sizeof out)
		abort();
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort(); /* one line */
	rest_error_text(s, len, tiny, sizeof tiny);
	if (strlen(tiny) >= sizeof tiny)
		abort();
}

static void check_limits(const struct input *in)
{
	char method[16] = "GET", key[RL_KEY_MAX];
	const char *path = "/";
	int exempt = 0, global = 0, ban = 0;
	struct rl_answer a;
	struct rl *t;
	uint64_t now = 1000, w;
	cJSON *json;

	if (in->nlines >= 1) {
		const char *sp = strchr(in->lines[0], ' ');
		size_t mn = sp ? (size_t)(sp - in->lines[0]) : 0;

		if (sp && mn < sizeof method) {
			memcpy(method, in->lines[0], mn);
			method[mn] = '\0';
			path = sp + 1;
		}
	}
	rl_route_key(method, path, key, sizeof key, &exempt);
	if (strlen(key) >= sizeof key)
		abort();

	memset(&a, 0, sizeof a);
	a.status = in->nlines >= 2 ? strtol(in->lines[1], NULL, 10) : 0;
	a.bucket = header(in, "X-RateLimit-Bucket");
	a.limit = header(in, "X-RateLimit-Limit");
	a.remaining = header(in, "X-RateLimit-Remaining");
	a.reset_after = header(in, "X-RateLimit-Reset-After");
	a.retry_after_hdr = header(in, "Retry-After");
	a.global_hdr = header(in, "X-RateLimit-Global");
	a.scope = header(in, "X-RateLimit-Scope");
	a.body_retry_after = -1;
	a.body_global = -1;
	json = cJSON_ParseWithLength(in->body, in->body_len);
	const cJSON *ra = cJSON_GetObjectItemCaseSensitive(json, "retry_after");
	const cJSON *gl = cJSON_GetObjectItemCaseSensitive(json, "global");
	if (cJSON_IsNumber(ra) && ra->valuedouble >= 0)
		a.body_retry_after = ra->valuedouble;
	if (cJSON_IsBool(gl))
		a.body_global = cJSON_IsTrue(gl);

	t = rl_new(50);
	/* twice: the second round runs on whatever the first one learned */
	for (int round = 0; round < 2; round++) {
		w = rl_wait(t, key, exempt, now);
		if (w != 0 && w > RL_MAX_WAIT_MS)
			abort();
		now += w;
		if (rl_wait(t, key, exempt, now) != 0)
			abort();
		rl_sent(t, key, exempt, now);
		if (rl_wait(t, key, exempt, now) != RL_BUSY)
			abort();
		w = rl_done(t, key, &a, now, &global, &ban);
		if (w > RL_MAX_WAIT_MS || (a.status == 429 && w == 0) || (a.status != 429 && w))
			abort();
		if (ban && global)
			abort();
		w = rl_wait(t, key, exempt, now);
		if (w == RL_BUSY || w > RL_MAX_WAIT_MS)
			abort();
	}
	rl_free(t);
	cJSON_Delete(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;

	memset(&in, 0, sizeof in);
	in.text = malloc(size + 1);
	if (!in.text)
		return 0;
	memcpy(in.text, data, size);
	in.text[size] = '\0';
	check_text((const char *)data, size);
	split(&in, size);
	check_text(in.body, in.body_len);
	check_limits(&in);
	free(in.text);
	return 0;
}
