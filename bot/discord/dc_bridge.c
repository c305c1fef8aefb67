/* Core ↔ Discord. See dc_bridge.h. */
#include "discord/dc_bridge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "discord/dc_event.h"
#include "discord/dc_render.h"
#include "util/log.h"
#include "util/mem.h"

/* Interactions awaiting their reply: Discord gives 3 s, so a handful of
 * loop turns' worth is plenty; the oldest is dropped past this. */
#define PENDING_MAX 1024
/* Channels we learned are no round's thread (ids are never reused, so a
 * "no" stays true): a cheap filter for the chatter of busy servers. */
#define NOT_OURS_SLOTS 4096
#define MAX_TICK_MS    (60 * 1000)

struct pending {
	uint64_t tag;
	uint64_t id;
	int type; /* enum dc_interaction_type */
	char *token;
	int answered;
};

struct dc_bridge {
	struct net_loop *loop;
	struct rest *rest;
	struct core *core;
	struct store *st;
	uv_check_t check;
	uv_timer_t tick;
	int batch_open;
	int commit_failed; /* the last batch's replies are gone: say so */
	uint64_t next_tag;
	struct pending pending[PENDING_MAX];
	size_t npending;
	uint64_t not_ours[NOT_OURS_SLOTS];
	struct dc_bridge_stats stats;
};

/* One send in flight: owns its copy of the action until REST answers. */
struct send {
	struct dc_bridge *b;
	struct action act;
	char channel[32]; /* where the message goes once the DM channel is known */
};

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

/* --- sending actions ------------------------------------------------------- */

static void send_free(struct send *s)
{
	action_free(&s->act);
	free(s);
}

static void message_sent(void *ud, const struct rest_result *res)
{
	struct send *s = ud;
	struct dc_bridge *b = s->b;
	const cJSON *id = res->json ? cJSON_GetObjectItemCaseSensitive(res->json, "id") : NULL;

	if (res->ok) {
		b->stats.posts++;
		core_delivered(b->core, &s->act, cJSON_IsString(id) ? id->valuestring : NULL,
		               wall_now());
	} else if (res->status >= 400 && res->status < 500) {
		/* Discord refused it for good (missing access, a deleted
		 * channel): sending it again at every start would not help. */
		b->stats.failed_sends++;
		log_error("Discord refused a message; it is dropped",
		          "channel=%s status=%ld error=%s", log_q(s->channel), res->status,
		          log_q(res->message));
		core_delivered(b->core, &s->act, NULL, wall_now());
	} else {
		/* No answer after every retry: the outbox keeps it, and the next
		 * start sends it again with the same nonce. */
		b->stats.failed_sends++;
		log_error("a message could not be sent; it will be sent again at the next start",
		          "channel=%s error=%s", log_q(s->channel), log_q(res->message));
	}
	send_free(s);
}

static void post_to(struct send *s, const char *channel)
{
	char path[96];
	char *body;

	if (dc_render_needs_multipart(&s->act.msg))
		log_warn("files are not attached yet; the message goes without them", "channel=%s",
		         log_q(channel));
	body = dc_render_message(&s->act.msg, s->act.nonce);
	snprintf(s->channel, sizeof s->channel, "%s", channel);
	snprintf(path, sizeof path, "/channels/%s/messages", channel);
	rest_request(s->b->rest, "POST", path, body, message_sent, s);
	free(body);
}

static void thread_started(void *ud, const struct rest_result *res)
{
	struct send *s = ud;

	/* 160004: the thread exists already. Either way the thread's id is
	 * the message's, so the post can go. */
	if (!res->ok && res->code != 160004)
		log_warn("cannot start a thread on the question; posting in it anyway",
		         "message=%s error=%s", log_q(s->act.thread_of), log_q(res->message));
	post_to(s, s->act.thread_of);
}

static void dm_opened(void *ud, const struct rest_result *res)
{
	struct send *s = ud;
	const cJSON *id = res->json ? cJSON_GetObjectItemCaseSensitive(res->json, "id") : NULL;

	if (!res->ok || !cJSON_IsString(id)) {
		s->b->stats.failed_sends++;
		log_warn("cannot open a private channel with a member", "user=%s error=%s",
		         log_q(s->act.user), log_q(res->message));
		/* Closed DMs are the member's choice: do not retry forever. */
		if (res->status >= 400 && res->status < 500)
			core_delivered(s->b->core, &s->act, NULL, wall_now());
		send_free(s);
		return;
	}
	post_to(s, id->valuestring);
}

static void send_post(struct dc_bridge *b, struct action *act)
{
	struct send *s = xcalloc(1, sizeof *s);

	s->b = b;
	s->act = *act;
	memset(act, 0, sizeof *act); /* the send owns it now */
	if (s->act.type == ACT_DM) {
		char body[96];

		snprintf(body, sizeof body, "{\"recipient_id\":\"%s\"}", s->act.user);
		rest_request(b->rest, "POST", "/users/@me/channels", body, dm_opened, s);
	} else if (s->act.thread_of && *s->act.thread_of) {
		char path[128];

		snprintf(path, sizeof path, "/channels/%s/messages/%s/threads", s->act.channel,
		         s->act.thread_of);
		rest_request(b->rest, "POST", path,
		             "{\"name\":\"Answers and reviews\",\"auto_archive_duration\":1440}",
		             thread_started, s);
	} else {
		post_to(s, s->act.channel);
	}
}

static struct pending *pending_find(struct dc_bridge *b, uint64_t tag)
{
	for (size_t i = 0; i < b->npending; i++)
		if (b->pending[i].tag == tag)
			return &b->pending[i];
	return NULL;
}

static void callback_sent(void *ud, const struct rest_result *res)
{
	struct dc_bridge *b = ud;

	if (!res->ok)
		log_warn("an interaction reply was refused", "status=%ld error=%s", res->status,
		         log_q(res->message));
	else
		b->stats.replies++;
}

static void send_callback(struct dc_bridge *b, struct pending *p, const char *body)
{
	char path[DC_TOKEN_MAX + 64];

	snprintf(path, sizeof path, "/interactions/%" PRIu64 "/%s/callback", p->id, p->token);
	rest_request(b->rest, "POST", path, body, callback_sent, b);
	p->answered = 1;
}

static void send_reply(struct dc_bridge *b, const struct action *act)
{
	struct pending *p = pending_find(b, act->reply_to);
	char *body;

	if (!p || p->answered) {
		log_warn("a reply found no interaction to answer", "tag=%" PRIu64, act->reply_to);
		return;
	}
	body = act->type == ACT_FORM ? dc_render_form(&act->form) : dc_render_reply(act);
	if (!body) {
		log_error("a reply could not be rendered", "tag=%" PRIu64, act->reply_to);
		return;
	}
	send_callback(b, p, body);
	free(body);
}

static void pending_drop_answered(struct dc_bridge *b)
{
	for (size_t i = 0; i < b->npending; i++) {
		struct pending *p = &b->pending[i];

		if (!p->answered && b->commit_failed) {
			send_callback(
			    b, p,
			    "{\"type\":4,\"data\":{\"content\":\"Sorry, that could not be "
			    "recorded, so nothing was saved. Please try again in a "
			    "moment.\",\"flags\":64}}");
		} else if (!p->answered) {
			/* The core said nothing: acknowledge anyway, so the member
			 * does not see "This interaction failed". */
			send_callback(
			    b, p,
			    p->type == DC_APPLICATION_COMMAND
			        ? "{\"type\":4,\"data\":{\"content\":\"Done.\",\"flags\":64}}"
			        : "{\"type\":6}");
		}
		free(p->token);
	}
	b->npending = 0;
}

static void flush(struct dc_bridge *b)
{
	struct actions acts = {0};

	core_take_actions(b->core, &acts);
	for (size_t i = 0; i < acts.n; i++) {
		struct action *a = &acts.v[i];

		switch (a->type) {
		case ACT_POST:
		case ACT_DM:
			send_post(b, a);
			break;
		case ACT_REPLY:
		case ACT_FORM:
			send_reply(b, a);
			break;
		}
	}
	actions_free(&acts);
	pending_drop_answered(b);
	b->commit_failed = 0;
}

/* --- batches and ticks ----------------------------------------------------- */

static void schedule_tick(struct dc_bridge *b);

static void end_batch(struct dc_bridge *b)
{
	if (!b->batch_open)
		return;
	b->batch_open = 0;
	b->commit_failed = core_batch_end(b->core) != SB_OK;
	if (b->commit_failed)
		log_error("a batch of events could not be committed; none of it was confirmed",
		          "error=%s", log_q(store_errmsg(b->st)));
	flush(b);
	schedule_tick(b);
}

static void check_cb(uv_check_t *h)
{
	end_batch(h->data);
}

static void begin_batch(struct dc_bridge *b)
{
	if (b->batch_open)
		return;
	b->batch_open = 1;
	core_batch_begin(b->core);
}

static void tick_cb(uv_timer_t *t)
{
	struct dc_bridge *b = t->data;

	end_batch(b);
	if (core_tick(b->core, wall_now()) != SB_OK)
		log_error("scheduled work failed; it is tried again", "error=%s",
		          log_q(store_errmsg(b->st)));
	flush(b);
	schedule_tick(b);
}

static void schedule_tick(struct dc_bridge *b)
{
	int64_t now = wall_now();
	int64_t wake = core_next_wake(b->core, now);
	uint64_t ms = wake > now ? (uint64_t)(wake - now) * 1000 : 1000;

	if (ms > MAX_TICK_MS)
		ms = MAX_TICK_MS; /* the wall clock may jump; look again soon */
	uv_timer_start(&b->tick, tick_cb, ms, 0);
}

/* --- events in ------------------------------------------------------------- */

static int not_ours(struct dc_bridge *b, uint64_t channel)
{
	return channel && b->not_ours[channel % NOT_OURS_SLOTS] == channel;
}

static void on_message(struct dc_bridge *b, struct gw_span d)
{
	uint64_t channel = gw_span_id(gw_json_key(d, "channel_id"));
	static struct dc_message m; /* 16 KiB of text: not on the stack */
	char ext[32];
	struct st_round r;
	enum sb_rc rc;

	if (not_ours(b, channel)) {
		b->stats.ignored++;
		return;
	}
	snprintf(ext, sizeof ext, "%" PRIu64, channel);
	rc = store_round_by_message(b->st, ext, &r);
	if (rc == SB_ERR_NOTFOUND) {
		b->not_ours[channel % NOT_OURS_SLOTS] = channel;
		b->stats.ignored++;
		return;
	}
	if (dc_parse_message(d.p, d.n, &m) != SB_OK) {
		b->stats.ignored++;
		return;
	}
	b->stats.messages++;
	begin_batch(b);
	core_handle(b->core, &m.ev, wall_now());
}

static void on_interaction(struct dc_bridge *b, struct gw_span d)
{
	static struct dc_interaction in; /* ~100 KiB: not on the stack */
	enum sb_rc rc = dc_parse_interaction(d.p, d.n, &in);
	struct pending *p;

	if (rc != SB_OK) {
		log_warn("an interaction could not be read; ignored", "error=%s", sb_strerror(rc));
		return;
	}
	b->stats.interactions++;
	if (b->npending == PENDING_MAX) {
		log_error("too many interactions waiting for the store; one is dropped", NULL);
		free(b->pending[0].token);
		memmove(b->pending, b->pending + 1, (PENDING_MAX - 1) * sizeof *b->pending);
		b->npending--;
	}
	p = &b->pending[b->npending++];
	p->tag = ++b->next_tag;
	p->id = in.id;
	p->type = in.type;
	p->token = xstrdup(in.token);
	p->answered = 0;
	if (in.ping) {
		send_callback(b, p, "{\"type\":1}");
		return;
	}
	in.ev.tag = p->tag;
	begin_batch(b);
	core_handle(b->core, &in.ev, wall_now());
}

void dc_bridge_dispatch(struct dc_bridge *b, const char *t, struct gw_span d)
{
	if (strcmp(t, "MESSAGE_CREATE") == 0)
		on_message(b, d);
	else if (strcmp(t, "INTERACTION_CREATE") == 0)
		on_interaction(b, d);
}

static void commands_put(void *ud, const struct rest_result *res)
{
	(void)ud;
	if (res->ok)
		log_info("the /study command is registered", NULL);
	else
		log_error("the /study command could not be registered", "status=%ld error=%s",
		          res->status, log_q(res->message));
}

void dc_bridge_ready(struct dc_bridge *b, uint64_t application_id)
{
	char path[96];
	char *body = dc_render_commands();

	snprintf(path, sizeof path, "/applications/%" PRIu64 "/commands", application_id);
	rest_request(b->rest, "PUT", path, body, commands_put, b);
	free(body);
}

/* --- life ------------------------------------------------------------------ */

enum sb_rc dc_bridge_new(struct dc_bridge **out, struct net_loop *loop, struct rest *rest,
                         struct core *core, struct store *st)
{
	struct dc_bridge *b = xcalloc(1, sizeof *b);

	b->loop = loop;
	b->rest = rest;
	b->core = core;
	b->st = st;
	uv_check_init(net_loop_uv(loop), &b->check);
	b->check.data = b;
	uv_check_start(&b->check, check_cb);
	uv_timer_init(net_loop_uv(loop), &b->tick);
	b->tick.data = b;
	/* What a crash left unsent goes first, with its old nonce. */
	if (core_resend_pending(core) != SB_OK)
		log_error("unsent messages could not be read back", "error=%s",
		          log_q(store_errmsg(st)));
	flush(b);
	schedule_tick(b);
	*out = b;
	return SB_OK;
}

static void freed_cb(uv_handle_t *h)
{
	struct dc_bridge *b = h->data;

	if (h == (uv_handle_t *)&b->tick)
		free(b);
}

void dc_bridge_free(struct dc_bridge *b)
{
	if (!b)
		return;
	end_batch(b);
	for (size_t i = 0; i < b->npending; i++)
		free(b->pending[i].token);
	uv_check_stop(&b->check);
	uv_close((uv_handle_t *)&b->check, NULL);
	uv_close((uv_handle_t *)&b->tick, freed_cb);
}

void dc_bridge_get_stats(const struct dc_bridge *b, struct dc_bridge_stats *out)
{
	*out = b->stats;
}
