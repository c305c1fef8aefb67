/* Core ↔ Discord. See dc_bridge.h. */
#include "discord/dc_bridge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat/chat_loop.h"
#include "discord/dc_event.h"
#include "discord/dc_render.h"
#include "discord/dc_thread.h"
#include "util/log.h"
#include "util/mem.h"

/* Interactions awaiting their reply: Discord gives 3 s, so a handful of
 * loop turns' worth is plenty; the oldest is dropped past this. */
#define PENDING_MAX 1024
/* Channels we learned are no round's thread (ids are never reused, so a
 * "no" stays true): a cheap filter for the chatter of busy servers. */
#define NOT_OURS_SLOTS 4096

struct pending {
	uint64_t tag;
	uint64_t id;
	uint64_t app; /* application id: a deferred reply's follow-up goes to its webhook */
	int type;     /* enum dc_interaction_type */
	char *token;
	int answered;
	uint64_t arrived_ns; /* uv_hrtime() when the interaction was read */
};

struct dc_bridge {
	struct net_loop *loop;
	struct rest *rest;
	struct core *core;
	struct store *st;
	struct chat_loop *cl;
	uint64_t next_tag;
	struct pending pending[PENDING_MAX];
	size_t npending;
	uint64_t not_ours[NOT_OURS_SLOTS];
	struct dc_bridge_stats stats;
	struct cmdreg *reg;         /* where /study is registered; its own allocation */
	struct dc_threads *threads; /* threads on question messages */
	int setup_in_batch;         /* a /study setup was handled since the last commit */
	void (*on_setup)(void *ud);
	void *on_setup_ud;
};

static struct cmdreg *reg_new(struct dc_bridge *b);
static void reg_free(struct cmdreg *g);
static void on_guild_create(struct dc_bridge *b, struct gw_span d);

/* One send in flight: owns its copy of the action until REST answers. */
struct send {
	struct dc_bridge *b;
	struct action act;
	char channel[32]; /* where the message goes once the DM channel is known */
	int in_channel;   /* the question's thread could not be started: reply to it */
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

/* In answer_mode = thread members answer in the question's thread, so it
 * is started with the question rather than at the reveal. */
static void question_posted(struct dc_bridge *b, const struct action *act, const char *message)
{
	struct st_round r;
	struct st_channel ch;

	if (!act->question_round || !message || !act->channel)
		return;
	if (store_round_get(b->st, act->question_round, &r) != SB_OK ||
	    store_channel_by_id(b->st, r.channel_id, &ch) != SB_OK) {
		log_warn("cannot read a posted question's round", "round=%" PRId64 " error=%s",
		         act->question_round, log_q(store_errmsg(b->st)));
		return;
	}
	if (ch.answer_mode == ANSWER_THREAD)
		dc_thread_post(b->threads, act->channel, message, NULL, NULL);
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
		question_posted(b, &s->act, cJSON_IsString(id) ? id->valuestring : NULL);
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

/* --- files: multipart bodies ---------------------------------------------------- */

#define BOUNDARY_TRIES 4
#define BOUNDARY_MAX   48

/* A boundary no one can predict, so no member text is made to hold it;
 * the renderer still checks, and a clash just means another try. */
static void new_boundary(char out[BOUNDARY_MAX])
{
	static uint64_t seq;
	uint64_t x = uv_hrtime() ^ (++seq * 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL; /* splitmix64's finaliser */
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	snprintf(out, BOUNDARY_MAX, "studybot-%016" PRIx64 "-%" PRIu64, x, seq);
}

/* A multipart/form-data body for a post, a DM or a follow-up (followup:
 * act is a reply completing a deferred one); *ctype gets its Content-Type.
 * NULL when the files pass Discord's caps. */
static char *multipart_body(const struct action *act, int followup, size_t *len,
                            char ctype[BOUNDARY_MAX + 40])
{
	char bnd[BOUNDARY_MAX];
	char *body = NULL;

	for (int i = 0; i < BOUNDARY_TRIES && !body; i++) {
		new_boundary(bnd);
		body = followup ? dc_render_followup_multipart(act, bnd, len)
		                : dc_render_multipart(&act->msg, act->nonce, bnd, len);
	}
	if (body)
		snprintf(ctype, BOUNDARY_MAX + 40, "multipart/form-data; boundary=%s", bnd);
	return body;
}

static void post_to(struct send *s, const char *channel)
{
	char path[96];
	char *body;

	snprintf(s->channel, sizeof s->channel, "%s", channel);
	snprintf(path, sizeof path, "/channels/%s/messages", channel);
	if (dc_render_needs_multipart(&s->act.msg)) {
		char ctype[BOUNDARY_MAX + 40];
		size_t len = 0;

		body = multipart_body(&s->act, 0, &len, ctype);
		if (body) {
			rest_request_body(s->b->rest, "POST", path, ctype, body, len, message_sent,
			                  s);
			free(body);
			return;
		}
		log_error("the files are larger than Discord takes; the message goes without them",
		          "channel=%s", log_q(channel));
	}
	body = s->in_channel ? dc_render_message_ref(&s->act.msg, s->act.nonce, s->act.thread_of)
	                     : dc_render_message(&s->act.msg, s->act.nonce);
	rest_request(s->b->rest, "POST", path, body, message_sent, s);
	free(body);
}

static void thread_ready(void *ud, const char *where, int in_thread)
{
	struct send *s = ud;

	s->in_channel = !in_thread;
	post_to(s, where);
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
		dc_thread_post(b->threads, s->act.channel, s->act.thread_of, thread_ready, s);
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
	metrics_hist_observe(&b->stats.reply_latency, (double)(uv_hrtime() - p->arrived_ns) / 1e9);
}

/* --- replies with files: deferred, then a follow-up ------------------------------- */

/* A reply with files: owns the action and a copy of the interaction's
 * token until the follow-up is answered. */
struct followup {
	struct dc_bridge *b;
	uint64_t app;
	char *token;
	struct action act;
};

static void followup_free(struct followup *f)
{
	action_free(&f->act);
	free(f->token);
	free(f);
}

static void followup_sent(void *ud, const struct rest_result *res)
{
	struct followup *f = ud;

	if (res->ok)
		f->b->stats.replies++;
	else
		log_error("a reply with files could not be delivered", "status=%ld error=%s",
		          res->status, log_q(res->message));
	followup_free(f);
}

static void deferral_sent(void *ud, const struct rest_result *res)
{
	struct followup *f = ud;
	char ctype[BOUNDARY_MAX + 40];
	char path[DC_TOKEN_MAX + 64];
	size_t len = 0;
	char *body;

	if (!res->ok) {
		log_warn("an interaction reply was refused", "status=%ld error=%s", res->status,
		         log_q(res->message));
		followup_free(f);
		return;
	}
	snprintf(path, sizeof path, "/webhooks/%" PRIu64 "/%s", f->app, f->token);
	body = multipart_body(&f->act, 1, &len, ctype);
	if (!body) {
		log_error("the files are larger than Discord takes; the reply says so instead",
		          NULL);
		rest_request(
		    f->b->rest, "POST", path,
		    "{\"content\":\"The file is larger than Discord takes, so it could not "
		    "be attached.\",\"flags\":64,\"allowed_mentions\":{\"parse\":[]}}",
		    followup_sent, f);
		return;
	}
	rest_request_body(f->b->rest, "POST", path, ctype, body, len, followup_sent, f);
	free(body);
}

/* Uploading files may outlast the 3 s Discord gives an interaction's first
 * answer, so that answer is a deferral ("thinking…", private unless the
 * reply is public) and the files follow on the interaction's webhook once
 * Discord took it. Takes act's contents. */
static void send_reply_files(struct dc_bridge *b, struct pending *p, struct action *act)
{
	struct followup *f = xcalloc(1, sizeof *f);
	char path[DC_TOKEN_MAX + 64];

	f->b = b;
	f->app = p->app;
	f->token = xstrdup(p->token);
	f->act = *act;
	memset(act, 0, sizeof *act);
	snprintf(path, sizeof path, "/interactions/%" PRIu64 "/%s/callback", p->id, p->token);
	rest_request(b->rest, "POST", path,
	             f->act.public_reply ? "{\"type\":5}" : "{\"type\":5,\"data\":{\"flags\":64}}",
	             deferral_sent, f);
	p->answered = 1;
}

static void send_reply(struct dc_bridge *b, struct action *act)
{
	struct pending *p = pending_find(b, act->reply_to);
	char *body;

	if (!p || p->answered) {
		log_warn("a reply found no interaction to answer", "tag=%" PRIu64, act->reply_to);
		return;
	}
	if (act->type == ACT_REPLY && dc_render_needs_multipart(&act->msg)) {
		send_reply_files(b, p, act);
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

static void pending_drop_answered(struct dc_bridge *b, int commit_failed)
{
	for (size_t i = 0; i < b->npending; i++) {
		struct pending *p = &b->pending[i];

		if (!p->answered && commit_failed) {
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

static void on_post(void *ud, struct action *a)
{
	send_post(ud, a);
}

static void on_reply(void *ud, struct action *a)
{
	send_reply(ud, a);
}

/* Every interaction of the batch gets an answer, whatever the core said;
 * a /study setup may have changed what the shards need. */
static void on_flushed(void *ud, int commit_failed)
{
	struct dc_bridge *b = ud;

	pending_drop_answered(b, commit_failed);
	if (b->setup_in_batch && !commit_failed && b->on_setup)
		b->on_setup(b->on_setup_ud);
	b->setup_in_batch = 0;
}

void dc_bridge_on_setup(struct dc_bridge *b, void (*fn)(void *ud), void *ud)
{
	b->on_setup = fn;
	b->on_setup_ud = ud;
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
	chat_loop_begin(b->cl);
	core_handle(b->core, &m.ev, wall_now());
}

/* An interaction that could not be read but can be answered (its id,
 * token and type were): a private word beats Discord's "This interaction
 * failed". Most likely a command or button of an older version. */
static void refuse_unreadable(struct dc_bridge *b, const struct dc_interaction *in)
{
	struct pending p = {.id = in->id, .token = (char *)in->token};

	if (!in->id || !in->token[0] ||
	    (in->type != DC_APPLICATION_COMMAND && in->type != DC_MESSAGE_COMPONENT &&
	     in->type != DC_MODAL_SUBMIT))
		return;
	send_callback(b, &p,
	              "{\"type\":4,\"data\":{\"content\":\"Sorry, I could not read that: it "
	              "may come from an older version of this bot. Try /study again.\","
	              "\"flags\":64,\"allowed_mentions\":{\"parse\":[]}}}");
}

static void on_interaction(struct dc_bridge *b, struct gw_span d)
{
	static struct dc_interaction in; /* ~100 KiB: not on the stack */
	uint64_t arrived_ns = uv_hrtime();
	enum sb_rc rc = dc_parse_interaction(d.p, d.n, &in);
	struct pending *p;

	if (rc != SB_OK) {
		log_warn("an interaction could not be read", "type=%d error=%s", in.type,
		         sb_strerror(rc));
		refuse_unreadable(b, &in);
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
	p->app = in.application_id;
	p->type = in.type;
	p->token = xstrdup(in.token);
	p->answered = 0;
	p->arrived_ns = arrived_ns;
	if (in.ping) {
		send_callback(b, p, "{\"type\":1}");
		return;
	}
	in.ev.tag = p->tag;
	chat_loop_begin(b->cl);
	if (in.ev.type == EV_COMMAND && in.ev.command && strcmp(in.ev.command, "setup") == 0)
		b->setup_in_batch = 1;
	core_handle(b->core, &in.ev, wall_now());
}

void dc_bridge_dispatch(struct dc_bridge *b, const char *t, struct gw_span d)
{
	if (strcmp(t, "MESSAGE_CREATE") == 0)
		on_message(b, d);
	else if (strcmp(t, "INTERACTION_CREATE") == 0)
		on_interaction(b, d);
	else if (strcmp(t, "GUILD_CREATE") == 0)
		on_guild_create(b, d);
}

/* --- command registration (the rule is in dc_bridge.h) --------------------- */

/* Unavailable servers named in READY may never arrive: decide anyway. */
#define SETTLE_MS (30 * 1000)

/* A server given /study by this process; the ud of its PUT. Lives until the
 * registrar is freed (REST calls no callback after rest_free()). */
struct reg_guild {
	struct cmdreg *reg;
	uint64_t id;
	struct reg_guild *next;
};

/* A study channel from the store, and the server it was found in. */
struct reg_chan {
	uint64_t id;
	uint64_t guild; /* 0 until known */
	int found;      /* seen in a GUILD_CREATE of a server the bot is in */
};

struct cmdreg {
	struct rest *rest;
	struct store *st;
	uv_timer_t settle;
	uint64_t app;
	int started, settled, all_shards, nshards;
	uint64_t shards_ready; /* bit per shard index (discord.c runs at most 64) */
	size_t guilds_expected, guilds_seen;
	struct reg_chan *chans; /* sorted by id */
	size_t nchans;
	struct reg_guild *guilds;
	int global_swept; /* a stale global /study was looked for */
};

static int chan_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct reg_chan *)a)->id, y = ((const struct reg_chan *)b)->id;

	return x < y ? -1 : x > y;
}

static struct reg_chan *chan_find(struct cmdreg *g, uint64_t id)
{
	struct reg_chan key = {.id = id};

	return g->nchans ? bsearch(&key, g->chans, g->nchans, sizeof key, chan_cmp) : NULL;
}

static uint64_t id_of(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '1' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	return *end ? 0 : (uint64_t)v;
}

/* The study channels as the store has them now: the config file's (applied
 * at start) and those set up from chat. */
static void reg_load_channels(struct cmdreg *g)
{
	struct st_channel *chs = NULL;
	size_t n = 0;

	if (store_channels(g->st, &chs, &n) != SB_OK) {
		log_error("cannot read the study channels; /study is registered for every server",
		          "error=%s", log_q(store_errmsg(g->st)));
		n = 0;
	}
	g->chans = n ? xcalloc(n, sizeof *g->chans) : NULL;
	g->nchans = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t id = id_of(chs[i].ext_id);

		if (!id)
			continue;
		g->chans[g->nchans].id = id;
		g->chans[g->nchans].guild = id_of(chs[i].workspace);
		g->nchans++;
	}
	free(chs);
	if (g->nchans)
		qsort(g->chans, g->nchans, sizeof *g->chans, chan_cmp);
}

static void global_put_done(void *ud, const struct rest_result *res)
{
	(void)ud;
	if (res->ok)
		log_info("the /study command is registered", "scope=global");
	else
		log_error("the /study command could not be registered",
		          "scope=global status=%ld error=%s", res->status, log_q(res->message));
}

static void guild_put_done(void *ud, const struct rest_result *res)
{
	struct reg_guild *rg = ud;

	if (res->ok) {
		log_info("the /study command is registered", "scope=guild guild=%" PRIu64, rg->id);
	} else {
		log_error("the /study command could not be registered",
		          "scope=guild guild=%" PRIu64 " status=%ld error=%s fix=%s", rg->id,
		          res->status, log_q(res->message),
		          log_q(res->status == 403
		                    ? "add the bot again with the URL `studybot invite` "
		                      "prints (its scope applications.commands lets it "
		                      "register commands)"
		                    : "it is tried again at the next start"));
	}
}

static void global_deleted(void *ud, const struct rest_result *res)
{
	(void)ud;
	if (res->ok)
		log_info("removed the global /study command: servers with a study channel have "
		         "their own",
		         NULL);
	else
		log_warn("the global /study command could not be removed; it may be listed twice",
		         "status=%ld error=%s", res->status, log_q(res->message));
}

static void global_listed(void *ud, const struct rest_result *res)
{
	struct cmdreg *g = ud;
	const cJSON *c;

	if (!res->ok || !cJSON_IsArray(res->json)) {
		log_warn("cannot list the global commands; a global /study may be listed twice",
		         "status=%ld error=%s", res->status, log_q(res->message));
		return;
	}
	cJSON_ArrayForEach(c, res->json)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(c, "type");
		uint64_t id =
		    id_of(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id")));
		char path[96];

		if (!cJSON_IsString(name) || strcmp(name->valuestring, "study") != 0 || !id ||
		    (cJSON_IsNumber(type) && type->valueint != 1))
			continue;
		snprintf(path, sizeof path, "/applications/%" PRIu64 "/commands/%" PRIu64, g->app,
		         id);
		rest_request(g->rest, "DELETE", path, NULL, global_deleted, g);
	}
}

static void reg_guild(struct cmdreg *g, uint64_t guild)
{
	struct reg_guild *rg;
	char path[128];
	char *body;

	for (rg = g->guilds; rg; rg = rg->next)
		if (rg->id == guild)
			return;
	rg = xcalloc(1, sizeof *rg);
	rg->reg = g;
	rg->id = guild;
	rg->next = g->guilds;
	g->guilds = rg;
	body = dc_render_commands();
	snprintf(path, sizeof path, "/applications/%" PRIu64 "/guilds/%" PRIu64 "/commands", g->app,
	         guild);
	rest_request(g->rest, "PUT", path, body, guild_put_done, rg);
	free(body);
	if (!g->global_swept) {
		/* Listing first: in the usual case there is nothing to delete. */
		char list[96];

		g->global_swept = 1;
		snprintf(list, sizeof list, "/applications/%" PRIu64 "/commands", g->app);
		rest_request(g->rest, "GET", list, NULL, global_listed, g);
	}
}

/* The server of a file channel, for the core (its workspace checks and the
 * server's own questions). A failure costs only that. */
static void reg_record_guild(struct cmdreg *g, struct reg_chan *c, uint64_t guild)
{
	struct st_channel ch;
	char ext[24];

	c->found = 1;
	if (c->guild == guild)
		return;
	c->guild = guild;
	snprintf(ext, sizeof ext, "%" PRIu64, c->id);
	if (store_channel_get(g->st, ext, &ch) != SB_OK)
		return;
	snprintf(ch.workspace, sizeof ch.workspace, "%" PRIu64, guild);
	if (store_channel_put(g->st, &ch) != SB_OK)
		log_warn("cannot record the server of a study channel", "channel=%s error=%s", ext,
		         log_q(store_errmsg(g->st)));
}

static void reg_settle(struct cmdreg *g)
{
	char path[96];
	char *body;
	size_t missing = 0;

	if (g->settled)
		return;
	g->settled = 1;
	uv_timer_stop(&g->settle);
	for (size_t i = 0; i < g->nchans; i++) {
		if (g->chans[i].found)
			continue;
		missing++;
		log_warn("a study channel is in none of the bot's servers: check its id, and add "
		         "the bot to its server with the URL `studybot invite` prints",
		         "channel=%" PRIu64, g->chans[i].id);
	}
	if (g->guilds || !g->app)
		return;
	if (!g->all_shards && g->nchans) {
		log_info("no study channel in this process's shards; /study is registered by the "
		         "process whose shard has one",
		         "channels=%zu", g->nchans);
		return;
	}
	if (missing)
		log_info("no study channel in any server: /study is registered for every server, "
		         "so it can be set up from chat",
		         "channels=%zu", missing);
	body = dc_render_commands();
	snprintf(path, sizeof path, "/applications/%" PRIu64 "/commands", g->app);
	rest_request(g->rest, "PUT", path, body, global_put_done, g);
	free(body);
}

static void reg_check_settled(struct cmdreg *g)
{
	int ready = 0;

	for (int i = 0; i < 64; i++)
		ready += (int)((g->shards_ready >> i) & 1);
	if (ready >= g->nshards && g->guilds_seen >= g->guilds_expected)
		reg_settle(g);
}

static void settle_cb(uv_timer_t *t)
{
	struct cmdreg *g = t->data;

	log_warn("some servers named in READY have not arrived; deciding where /study goes "
	         "without them",
	         "expected=%zu arrived=%zu", g->guilds_expected, g->guilds_seen);
	reg_settle(g);
}

void dc_bridge_ready(struct dc_bridge *b, const struct dc_ready_info *r)
{
	struct cmdreg *g = b->reg;

	if (!g->started) {
		g->started = 1;
		g->app = r->application_id;
		g->all_shards = r->all_shards;
		g->nshards = r->nshards > 0 && r->nshards <= 64 ? r->nshards : 1;
		reg_load_channels(g);
		if (!g->app)
			log_error(
			    "READY named no application; the /study command is not registered; "
			    "set [discord] application_id",
			    NULL);
		uv_timer_start(&g->settle, settle_cb, SETTLE_MS, 0);
	}
	if (r->shard >= 0 && r->shard < 64)
		g->shards_ready |= (uint64_t)1 << r->shard;
	/* A new session sends every server again, so they are awaited again. */
	g->guilds_expected += r->guilds;
	if (!g->settled)
		reg_check_settled(g);
}

static void scan_ids(struct cmdreg *g, struct gw_span arr, uint64_t guild, int *hit)
{
	cJSON *root, *it;

	if (!arr.p || !g->nchans)
		return;
	root = cJSON_ParseWithLength(arr.p, arr.n);
	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return;
	}
	cJSON_ArrayForEach(it, root)
	{
		struct reg_chan *c = chan_find(
		    g, id_of(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id"))));

		if (c) {
			reg_record_guild(g, c, guild);
			*hit = 1;
		}
	}
	cJSON_Delete(root);
}

/* GUILD_CREATE: rare (once per server per session), so the two arrays that
 * matter are built with cJSON; the rest of a large payload is only scanned. */
static void on_guild_create(struct dc_bridge *b, struct gw_span d)
{
	static const char *const keys[] = {"id", "channels", "threads"};
	struct cmdreg *g = b->reg;
	struct gw_span v[3];
	uint64_t guild;
	int hit = 0;

	if (!g->started)
		return;
	gw_json_keys(d, keys, v, 3);
	guild = gw_span_id(v[0]);
	g->guilds_seen++;
	if (guild) {
		scan_ids(g, v[1], guild, &hit);
		scan_ids(g, v[2], guild, &hit);
		for (size_t i = 0; i < g->nchans; i++)
			if (g->chans[i].guild == guild) {
				g->chans[i].found = 1;
				hit = 1;
			}
		if (hit && g->app)
			reg_guild(g, guild);
	}
	if (!g->settled)
		reg_check_settled(g);
}

static struct cmdreg *reg_new(struct dc_bridge *b)
{
	struct cmdreg *g = xcalloc(1, sizeof *g);

	g->rest = b->rest;
	g->st = b->st;
	uv_timer_init(net_loop_uv(b->loop), &g->settle);
	g->settle.data = g;
	return g;
}

static void reg_closed(uv_handle_t *h)
{
	struct cmdreg *g = h->data;

	while (g->guilds) {
		struct reg_guild *next = g->guilds->next;

		free(g->guilds);
		g->guilds = next;
	}
	free(g->chans);
	free(g);
}

static void reg_free(struct cmdreg *g)
{
	uv_timer_stop(&g->settle);
	uv_close((uv_handle_t *)&g->settle, reg_closed);
}

/* --- life ------------------------------------------------------------------ */

/* Seconds; Discord's own limit is 3 s. */
static const double reply_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.05,
                                       0.1,   0.25,   0.5,   1,    2,    3};

enum sb_rc dc_bridge_new(struct dc_bridge **out, struct net_loop *loop, struct rest *rest,
                         struct core *core, struct store *st)
{
	static const struct chat_loop_ops ops = {
	    .post = on_post, .reply = on_reply, .flushed = on_flushed};
	struct dc_bridge *b = xcalloc(1, sizeof *b);

	metrics_hist_init(&b->stats.reply_latency, reply_buckets,
	                  sizeof reply_buckets / sizeof reply_buckets[0]);
	b->loop = loop;
	b->rest = rest;
	b->core = core;
	b->st = st;
	b->reg = reg_new(b);
	b->threads = dc_thread_new(rest);
	chat_loop_new(&b->cl, loop, core, st, &ops, b);
	*out = b;
	return SB_OK;
}

void dc_bridge_free(struct dc_bridge *b)
{
	if (!b)
		return;
	chat_loop_free(b->cl);
	dc_thread_free(b->threads);
	for (size_t i = 0; i < b->npending; i++)
		free(b->pending[i].token);
	reg_free(b->reg);
	free(b);
}

void dc_bridge_get_stats(const struct dc_bridge *b, struct dc_bridge_stats *out)
{
	*out = b->stats;
}
