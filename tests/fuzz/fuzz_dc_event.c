/* libFuzzer harness: Discord INTERACTION_CREATE and MESSAGE_CREATE
 * payloads (the `d` of a dispatch), as the gateway hands them over: not
 * NUL-terminated. Whatever parses must be an event the core can take:
 * every string it needs set, within the struct's own storage, well-formed
 * UTF-8 and within its caps. Anything else is refused without a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat.h"
#include "discord/dc_event.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, const void *lo, size_t span, size_t max, int required)
{
	if (!s) {
		if (required)
			abort();
		return;
	}
	const char *b = lo;
	if (s < b || s >= b + span)
		abort(); /* points outside the struct */
	size_t n = strlen(s);
	if (n > max || utf8_invalid_at(s, n) != n)
		abort();
}

static void check_event(const struct event *ev, const void *owner, size_t span)
{
	check_str(ev->channel, owner, span, DC_ID_CHARS, 1);
	check_str(ev->user, owner, span, DC_ID_CHARS, 1);
	check_str(ev->workspace, owner, span, DC_ID_CHARS, 0);
	check_str(ev->user_name, owner, span, DC_NAME_MAX, 0);
	if (ev->nopts > EV_MAX_OPTS)
		abort();
	for (size_t i = 0; i < ev->nopts; i++) {
		check_str(ev->opts[i].name, owner, span, DC_VALUE_MAX, 1);
		check_str(ev->opts[i].value, owner, span, DC_VALUE_MAX, 1);
	}
	switch (ev->type) {
	case EV_COMMAND:
		check_str(ev->command, owner, span, DC_VALUE_MAX, 1);
		break;
	case EV_BUTTON:
	case EV_FORM:
		check_str(ev->id, owner, span, 400, 1);
		break;
	case EV_MESSAGE:
		check_str(ev->text, owner, span, DC_VALUE_MAX, 1);
		check_str(ev->thread, owner, span, DC_ID_CHARS, 1);
		if (!*ev->text)
			abort();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dc_interaction in;
	static struct dc_message msg;
	/* An exact-size copy, so reading past the span is caught. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (dc_parse_interaction(buf, size, &in) == SB_OK) {
		if (!in.id || !in.application_id || !in.user_id || !in.channel_id || !in.token[0])
			abort();
		check_event(&in.ev, &in, sizeof in);
	}
	if (dc_parse_message(buf, size, &msg) == SB_OK) {
		if (!msg.id || !msg.author_id || !msg.channel_id || msg.ev.type != EV_MESSAGE)
			abort();
		check_event(&msg.ev, &msg, sizeof msg);
	}
	free(buf);
	return 0;
}
