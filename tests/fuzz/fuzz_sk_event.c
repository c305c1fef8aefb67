/* libFuzzer harness: Slack payloads (the `payload` of a slash_commands,
 * interactive or events_api envelope) through sk_event.c, and the same
 * bytes as Markdown through sk_mrkdwn(). Whatever parses must be an event
 * the core can take: every string it needs set, well-formed UTF-8. The
 * mrkdwn must be well-formed, within its limit, and never a mention. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat/chat.h"
#include "slack/sk_event.h"
#include "slack/sk_render.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, int required)
{
	if (!s) {
		if (required)
			abort();
		return;
	}
	size_t n = strlen(s);
	if (utf8_invalid_at(s, n) != n)
		abort();
}

static void check(enum sb_rc rc, const struct sk_event *e)
{
	const struct event *ev = &e->ev;
	if (rc != SB_OK) {
		if (e->kind != SK_IGNORE || ev->user || ev->nopts)
			abort();
		return;
	}
	if (e->kind == SK_IGNORE) {
		if (!e->ignore_why)
			abort();
		check_str(e->usage, 0);
		if (e->usage && !*e->usage)
			abort();
		return;
	}
	check_str(ev->user, 1);
	if (!*ev->user)
		abort();
	check_str(ev->channel, 1);
	check_str(ev->workspace, 0);
	check_str(ev->user_name, 0);
	if (e->kind == SK_HOME)
		return;
	if (ev->nopts > EV_MAX_OPTS)
		abort();
	for (size_t i = 0; i < ev->nopts; i++) {
		check_str(ev->opts[i].name, 1);
		check_str(ev->opts[i].value, 1);
	}
	switch (ev->type) {
	case EV_COMMAND:
		check_str(ev->command, 1);
		break;
	case EV_BUTTON:
	case EV_FORM:
		check_str(ev->id, 1);
		if (!*ev->id)
			abort();
		break;
	case EV_MESSAGE:
		check_str(ev->text, 1);
		check_str(ev->thread, 1);
		if (!*ev->text)
			abort();
		break;
	}
}

static void check_mrkdwn(const char *s, size_t max)
{
	if (!s)
		abort();
	size_t n = strlen(s);
	if (utf8_invalid_at(s, n) != n || utf8_len(s, n) > max)
		abort();
	if (strstr(s, "<!") || strstr(s, "<@") || strstr(s, "<#"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sk_event out;
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	if (root) {
		check(sk_parse_slash(root, &out), &out);
		check(sk_parse_interactive(root, &out), &out);
		check(sk_parse_event(root, "UBOT", &out), &out);
		cJSON_Delete(root);
	}
	if (size > 64 * 1024)
		return 0;
	char *md = malloc(size + 1);
	if (!md)
		return 0;
	memcpy(md, data, size);
	md[size] = '\0';
	char *m = sk_mrkdwn(md, 300);
	check_mrkdwn(m, 300);
	free(m);
	char *pieces[4];
	bool more;
	size_t np = sk_mrkdwn_split(md, 100, pieces, 4, &more);
	for (size_t i = 0; i < np; i++) {
		check_mrkdwn(pieces[i], 100);
		free(pieces[i]);
	}
	free(md);
	return 0;
}
