/* libFuzzer harness: what Slack sends a Socket Mode client, read two ways:
 *   1. as a websocket message (sm_decode): whatever decodes keeps the
 *      header's promises: every string set, hello and disconnect without an
 *      envelope_id or payload, the three envelope types with both;
 *   2. as an apps.connections.open answer (sm_open_parse), with the status
 *      and Retry-After taken from the input: a URL comes only with OK, and
 *      the URL then goes through the websocket URL rule.
 * The input buffer is exactly `size` bytes, so ASan sees any overread. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws_url.h"
#include "slack/sm_envelope.h"
#include "slack/sm_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void message(const char *text, size_t len)
{
	struct sm_envelope e;

	if (sm_decode(text, len, &e) != SB_OK) {
		if (e.root || e.type_name)
			abort();
		return;
	}
	if (!e.root || !e.type_name || !e.envelope_id || !e.retry_reason || !e.event_id ||
	    !e.reason)
		abort();
	if (e.retry_attempt < 0 || e.num_connections < 0)
		abort();
	switch (e.type) {
	case SM_HELLO:
	case SM_DISCONNECT:
		if (e.envelope_id[0] || e.payload)
			abort();
		break;
	case SM_EVENTS_API:
	case SM_SLASH_COMMANDS:
	case SM_INTERACTIVE:
		if (!e.envelope_id[0] || !cJSON_IsObject(e.payload))
			abort();
		break;
	case SM_OTHER:
		break;
	}
	if (e.type != SM_EVENTS_API && e.event_id[0])
		abort();
	static const char *const names[] = {"hello", "disconnect", "events_api", "slash_commands",
	                                    "interactive"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((strcmp(e.type_name, names[i]) == 0) != (e.type == (enum sm_type)i))
			abort();
	sm_envelope_free(&e);
}

static void open_answer(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 429, 500, 0};
	struct sm_open_result r;
	struct net_url u;
	char retry_after[8];

	if (size < 2)
		return;
	snprintf(retry_after, sizeof retry_after, "%u", data[1]);
	sm_open_parse(statuses[data[0] % 4], (const char *)data + 2, size - 2,
	              data[0] & 4 ? retry_after : NULL, &r);
	if (!memchr(r.url, 0, sizeof r.url) || !memchr(r.error, 0, sizeof r.error))
		abort();
	if ((r.outcome == SM_OPEN_OK) != (r.url[0] != 0))
		abort();
	if (r.outcome == SM_OPEN_WAIT && r.wait_ms == 0)
		abort();
	if (r.outcome == SM_OPEN_OK && net_url_split(r.url, "wss", "ws", &u) == SB_OK &&
	    u.path[0] != '/')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	message((const char *)data, size);
	open_answer(data, size);
	return 0;
}
