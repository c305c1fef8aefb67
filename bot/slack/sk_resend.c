/* Finding a post that reached Slack before a crash. See sk_resend.h. */
#include "slack/sk_resend.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"

/* How far back to look: a resend follows a restart, so the post, if it
 * went out, is among the channel's latest messages. */
#define LOOK_BACK "50"
/* A thread is read from its start: room for a round's reveal, its cards,
 * thread answers and results. */
#define THREAD_READ "200"

char *sk_with_nonce(const char *body, const char *nonce)
{
	cJSON *root = cJSON_Parse(body);
	cJSON *meta, *payload;
	char *out;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return NULL;
	}
	meta = cJSON_AddObjectToObject(root, "metadata");
	cJSON_AddStringToObject(meta, "event_type", SK_NONCE_EVENT);
	payload = cJSON_AddObjectToObject(meta, "event_payload");
	cJSON_AddStringToObject(payload, "nonce", nonce);
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

const char *sk_resend_match(const cJSON *answer, const char *nonce)
{
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(answer, "messages");
	const cJSON *m;

	cJSON_ArrayForEach(m, msgs)
	{
		const cJSON *meta = cJSON_GetObjectItemCaseSensitive(m, "metadata");
		const char *type =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "event_type"));
		const cJSON *payload = cJSON_GetObjectItemCaseSensitive(meta, "event_payload");
		const char *n =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "nonce"));
		const char *ts = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "ts"));

		if (type && strcmp(type, SK_NONCE_EVENT) == 0 && n && strcmp(n, nonce) == 0 && ts)
			return ts;
	}
	return NULL;
}

struct lookup {
	char *nonce, *channel;
	sk_resend_done done;
	void *ud;
};

static void looked(void *ud, const struct webapi_result *res)
{
	struct lookup *l = ud;
	const char *ts = NULL;

	if (res->ok)
		ts = sk_resend_match(res->json, l->nonce);
	else
		log_warn("cannot tell whether a message reached Slack before the restart; it is "
		         "sent again",
		         "channel=%s error=%s why=%s", log_q(l->channel), log_q(res->error),
		         log_q(webapi_error_text(res->error)));
	if (ts)
		log_info("a message sent before the restart had reached Slack; not sent again",
		         "channel=%s ts=%s", log_q(l->channel), log_q(ts));
	l->done(l->ud, ts);
	free(l->nonce);
	free(l->channel);
	free(l);
}

void sk_resend_find(struct webapi *api, const char *channel, const char *thread_ts,
                    const char *nonce, sk_resend_done done, void *ud)
{
	struct lookup *l = xcalloc(1, sizeof *l);
	const char *history[] = {"channel", channel, "limit", LOOK_BACK, "include_all_metadata",
	                         "true",    NULL};
	const char *replies[] = {
	    "channel", channel, "ts", thread_ts, "limit", THREAD_READ, "include_all_metadata",
	    "true",    NULL};

	l->nonce = xstrdup(nonce);
	l->channel = xstrdup(channel);
	l->done = done;
	l->ud = ud;
	if (thread_ts)
		webapi_get(api, "conversations.replies", replies, looked, l);
	else
		webapi_get(api, "conversations.history", history, looked, l);
}
