/* Socket Mode policy tables and the dedupe ring. */
#include "slack/sm_policy.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* A random draw outside [0,1) (a broken source) is clamped. */
static double unit(double rnd)
{
	return rnd >= 0 && rnd < 1 ? rnd : rnd >= 1 ? 0.999999 : 0;
}

uint64_t sm_backoff_ms(unsigned attempt, double rnd)
{
	uint64_t base = SM_BACKOFF_MAX_MS;

	if (attempt < 7) /* 500 << 7 already passes the cap */
		base = (uint64_t)SM_BACKOFF_BASE_MS << attempt;
	if (base > SM_BACKOFF_MAX_MS)
		base = SM_BACKOFF_MAX_MS;
	return (uint64_t)((double)base * (0.75 + 0.5 * unit(rnd)));
}

uint64_t sm_disabled_ms(double rnd)
{
	return SM_DISABLED_MIN_MS + (uint64_t)((double)(SM_DISABLED_MIN_MS / 2) * unit(rnd));
}

/* The errors of apps.connections.open (and of every Web API method) that
 * say the token is wrong, not the moment: retrying cannot help. */
static const char *const fatal_errors[] = {
    "invalid_auth",  "not_authed",    "not_allowed_token_type", "account_inactive",
    "token_revoked", "token_expired", "missing_scope",
};

int sm_open_error_fatal(const char *error)
{
	for (size_t i = 0; i < sizeof fatal_errors / sizeof fatal_errors[0]; i++)
		if (strcmp(error, fatal_errors[i]) == 0)
			return 1;
	return 0;
}

/* Rate limited: Retry-After, else Slack's tier-1 pace (~1/min), the safe
 * guess when the header is absent, zero or unreadable. */
static void open_wait(struct sm_open_result *out, const char *v)
{
	unsigned long s = v ? strtoul(v, NULL, 10) : 0;

	out->outcome = SM_OPEN_WAIT;
	out->wait_ms = s > 3600 ? 3600000 : s ? (uint64_t)s * 1000 : 60000;
}

void sm_open_parse(long status, const char *body, size_t len, const char *retry_after,
                   struct sm_open_result *out)
{
	cJSON *root = NULL;
	const cJSON *ok, *url, *err;

	memset(out, 0, sizeof *out);
	out->outcome = SM_OPEN_RETRY;
	if (status == 429) {
		snprintf(out->error, sizeof out->error, "ratelimited");
		open_wait(out, retry_after);
		return;
	}
	if (body && len)
		root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		snprintf(out->error, sizeof out->error, status ? "http_%ld" : "no_answer", status);
		if (status == 200)
			snprintf(out->error, sizeof out->error, "not_json");
		goto out;
	}
	ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
	url = cJSON_GetObjectItemCaseSensitive(root, "url");
	err = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsTrue(ok)) {
		if (!cJSON_IsString(url) || !url->valuestring[0] ||
		    strlen(url->valuestring) >= sizeof out->url) {
			snprintf(out->error, sizeof out->error, "no_url");
			goto out;
		}
		snprintf(out->url, sizeof out->url, "%s", url->valuestring);
		out->outcome = SM_OPEN_OK;
		goto out;
	}
	if (cJSON_IsString(err))
		snprintf(out->error, sizeof out->error, "%s", err->valuestring);
	else
		snprintf(out->error, sizeof out->error, "http_%ld", status);
	if (sm_open_error_fatal(out->error))
		out->outcome = SM_OPEN_FATAL;
	else if (strcmp(out->error, "ratelimited") == 0)
		open_wait(out, retry_after);
out:
	cJSON_Delete(root);
}

/* FNV-1a: the ring compares hashes first, strings only on a match. */
static uint64_t hash_of(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

void sm_seen_init(struct sm_seen *s)
{
	memset(s, 0, sizeof *s);
}

void sm_seen_free(struct sm_seen *s)
{
	for (size_t i = 0; i < SM_SEEN_MAX; i++)
		free(s->id[i]);
	memset(s, 0, sizeof *s);
}

int sm_seen_check(struct sm_seen *s, const char *event_id)
{
	uint64_t h;

	if (!event_id || !event_id[0])
		return 0;
	h = hash_of(event_id);
	for (size_t i = 0; i < s->n; i++)
		if (s->hash[i] == h && strcmp(s->id[i], event_id) == 0)
			return 1;
	free(s->id[s->next]);
	s->id[s->next] = xstrdup(event_id);
	s->hash[s->next] = h;
	s->next = (s->next + 1) % SM_SEEN_MAX;
	if (s->n < SM_SEEN_MAX)
		s->n++;
	return 0;
}
