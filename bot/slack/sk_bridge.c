/* Core ↔ Slack. See sk_bridge.h. */
#include "slack/sk_bridge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat/chat_loop.h"
#include "slack/sk_event.h"
#include "slack/sk_render.h"
#include "slack/sk_resend.h"
#include "util/log.h"
#include "util/mem.h"

/* Envelopes waiting for their commit (or for a users.info look-up); Slack
 * gives 3 s, so this is many loop turns' worth. */
#define PENDING_MAX    1024
#define MEMBER_SLOTS   256
#define MEMBER_TTL_S   600
#define SK_ID_MAX      32
#define ENVELOPE_MAX   96
#define TRIGGER_MAX    192
#define NAME_MAX_BYTES 128

static const char sorry_not_saved[] =
    "Sorry, that could not be recorded, so nothing was saved. Please try again in a moment.";

enum pend_kind { PK_EVENT, PK_SLASH, PK_ACTION, PK_VIEW };

struct pending {
	uint64_t tag;
	int conn;
	enum pend_kind kind;
	int accepts; /* the envelope takes a response payload */
	char envelope_id[ENVELOPE_MAX];
	char channel[SK_ID_MAX], user[SK_ID_MAX], thread_ts[SK_ID_MAX];
	char trigger_id[TRIGGER_MAX];
	char *ack_payload; /* the ack's payload, when a reply goes there */
	int answered;      /* a reply or a form went out for it */
	uint64_t arrived_ns;
	/* Waiting for users.info before the core may see it: a copy of the
	 * payload, parsed again once the answer is in. */
	int waiting;
	enum sm_type type;
	cJSON *payload;
};

/* What users.info said of a member: admin or not, and the handle the
 * bot shows (message events carry only the id). */
struct member_entry {
	char user[SK_ID_MAX];
	char name[NAME_MAX_BYTES];
	int admin;
	int64_t until; /* 0: a look-up is in flight */
};

struct sk_bridge {
	struct sm *sm;
	struct webapi *api;
	struct core *core;
	struct store *st;
	const struct config *cfg;
	struct chat_loop *cl;
	int resending; /* the outbox's leftovers are being handed out (sk_resend.h) */
	char team[SK_ID_MAX], self[SK_ID_MAX];
	uint64_t next_tag;
	struct pending *pending; /* PENDING_MAX of them */
	size_t npending;
	struct member_entry members[MEMBER_SLOTS];
	struct sk_bridge_stats stats;
};

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static void copy_id(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* --- acks ------------------------------------------------------------------------- */

static void ack(struct sk_bridge *b, int conn, const char *envelope_id, const char *payload,
                uint64_t arrived_ns)
{
	if (sm_ack(b->sm, conn, envelope_id, payload) != SB_OK) {
		log_warn("an envelope could not be acknowledged: no connection is open; Slack "
		         "sends it again",
		         "envelope=%s", log_q(envelope_id));
		return;
	}
	if (arrived_ns)
		metrics_hist_observe(&b->stats.ack_latency,
		                     (double)(uv_hrtime() - arrived_ns) / 1e9);
}

/* A slash command's answer in its ack: what the member sees at once. */
static char *text_response(const char *text)
{
	struct chat_msg m = {.text = (char *)text};

	return sk_render_response(&m, false);
}

/* Acks an envelope handled on the spot; a slash command's ack carries
 * text (NULL: none) for the member. */
static void ack_saying(struct sk_bridge *b, int conn, const struct sm_envelope *e, const char *text,
                       uint64_t arrived_ns)
{
	char *resp = NULL;

	if (text && e->type == SM_SLASH_COMMANDS && e->accepts_response_payload)
		resp = text_response(text);
	ack(b, conn, e->envelope_id, resp, arrived_ns);
	free(resp);
}

/* --- sending ---------------------------------------------------------------------- */

/* One post or DM in flight: owns its copy of the action. */
struct send {
	struct sk_bridge *b;
	struct action act;
	char *body; /* chat.postMessage's */
};

static void log_refusal(const char *what, const struct webapi_result *res, const char *where)
{
	log_error(what, "where=%s status=%ld error=%s why=%s detail=%s", log_q(where), res->status,
	          log_q(res->error), log_q(webapi_error_text(res->error)), log_q(res->detail));
}

static void message_sent(void *ud, const struct webapi_result *res)
{
	struct send *s = ud;
	struct sk_bridge *b = s->b;
	const char *where = s->act.type == ACT_DM ? s->act.user : s->act.channel;

	if (res->ok) {
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(res->json, "ts");

		b->stats.posts++;
		core_delivered(b->core, &s->act, cJSON_GetStringValue(ts), wall_now());
	} else if (res->status >= 200 && res->status < 500 && res->status != 429) {
		/* Slack refused it for good (not_in_channel, channel_not_found…):
		 * sending it again at every start would not help. */
		b->stats.failed_sends++;
		log_refusal("Slack refused a message; it is dropped", res, where);
		core_delivered(b->core, &s->act, NULL, wall_now());
	} else {
		/* No answer after every retry: the outbox keeps it for the next
		 * start. */
		b->stats.failed_sends++;
		log_error("a message could not be sent; it will be sent again at the next start",
		          "where=%s error=%s", log_q(where), log_q(res->error));
	}
	action_free(&s->act);
	free(s->body);
	free(s);
}

static void resend_checked(void *ud, const char *ts)
{
	struct send *s = ud;

	if (ts) {
		s->b->stats.posts++;
		core_delivered(s->b->core, &s->act, ts, wall_now());
		action_free(&s->act);
		free(s->body);
		free(s);
		return;
	}
	webapi_call(s->b->api, "chat.postMessage", s->body, message_sent, s);
}

static void send_post(struct sk_bridge *b, struct action *act)
{
	struct send *s = xcalloc(1, sizeof *s);
	const char *to;
	char *body;

	s->b = b;
	s->act = *act;
	memset(act, 0, sizeof *act); /* the send owns it now */
	/* A user id as the channel posts in the member's DM with the app. */
	to = s->act.type == ACT_DM ? s->act.user : s->act.channel;
	body = sk_render_post(&s->act.msg, to, s->act.type == ACT_POST ? s->act.thread_of : NULL);
	if (body && s->act.nonce) {
		s->body = sk_with_nonce(body, s->act.nonce);
		free(body);
	} else {
		s->body = body;
	}
	if (!s->body) {
		log_error("a message could not be rendered; it is dropped", "where=%s", log_q(to));
		core_delivered(b->core, &s->act, NULL, wall_now());
		action_free(&s->act);
		free(s);
		return;
	}
	/* A post the outbox kept across a restart may have reached Slack
	 * already (sk_resend.h). DMs are not looked for: reading them back
	 * would need the im:history scope, and a repeated DM harms little. */
	if (b->resending && s->act.type == ACT_POST && s->act.nonce) {
		sk_resend_find(b->api, s->act.channel, s->act.thread_of, s->act.nonce,
		               resend_checked, s);
		return;
	}
	webapi_call(b->api, "chat.postMessage", s->body, message_sent, s);
}

/* A reply that is not an ack payload: private by default. */
struct reply {
	struct sk_bridge *b;
	char user[SK_ID_MAX];
	struct chat_msg msg;
	int dm_tried;
};

static void reply_free(struct reply *r)
{
	chat_msg_free(&r->msg);
	free(r);
}

static void reply_dm(struct reply *r);

static void reply_sent(void *ud, const struct webapi_result *res)
{
	struct reply *r = ud;

	if (res->ok) {
		r->b->stats.replies++;
	} else if (!r->dm_tried && (strcmp(res->error, "user_not_in_channel") == 0 ||
	                            strcmp(res->error, "channel_not_found") == 0 ||
	                            strcmp(res->error, "not_in_channel") == 0)) {
		/* A private word in a channel the member (or the bot) is not in:
		 * it goes to the member's DM instead. */
		reply_dm(r);
		return;
	} else {
		log_refusal("a private reply was refused", res, r->user);
	}
	reply_free(r);
}

static void reply_dm(struct reply *r)
{
	char *body = sk_render_post(&r->msg, r->user, NULL);

	r->dm_tried = 1;
	webapi_call(r->b->api, "chat.postMessage", body, reply_sent, r);
	free(body);
}

/* Takes msg's contents. */
static void send_private(struct sk_bridge *b, const struct pending *p, struct chat_msg *msg)
{
	struct reply *r = xcalloc(1, sizeof *r);
	char *body;

	r->b = b;
	copy_id(r->user, sizeof r->user, p->user);
	r->msg = *msg;
	memset(msg, 0, sizeof *msg);
	/* Ephemeral messages need a channel both are in; a DM channel (D…) or
	 * none (a click on the App Home) gets a plain message in the DM. */
	if (!p->channel[0] || p->channel[0] == 'D') {
		reply_dm(r);
		return;
	}
	body = sk_render_ephemeral(&r->msg, p->channel, p->user,
	                           p->thread_ts[0] ? p->thread_ts : NULL);
	webapi_call(b->api, "chat.postEphemeral", body, reply_sent, r);
	free(body);
}

static void public_sent(void *ud, const struct webapi_result *res)
{
	struct sk_bridge *b = ud;

	if (res->ok)
		b->stats.replies++;
	else
		log_refusal("a reply was refused", res, "channel");
}

/* --- files: the export, to the admin's DM ------------------------------------------ */

struct upload {
	struct sk_bridge *b;
	struct action act;
	size_t next;
	char dm[SK_ID_MAX];
};

static void upload_next(struct upload *u);

static void upload_done(void *ud, const struct webapi_result *res)
{
	struct upload *u = ud;

	if (!res->ok) {
		log_refusal("a file could not be shared", res, u->act.user);
		action_free(&u->act);
		free(u);
		return;
	}
	u->next++;
	upload_next(u);
}

static void upload_next(struct upload *u)
{
	const struct chat_file *f;

	if (u->next >= u->act.msg.nfiles) {
		u->b->stats.replies++;
		action_free(&u->act);
		free(u);
		return;
	}
	f = &u->act.msg.files[u->next];
	webapi_upload(u->b->api, u->dm, NULL, f->name, f->data, f->len,
	              u->next == 0 ? u->act.msg.text : NULL, upload_done, u);
}

static void dm_opened(void *ud, const struct webapi_result *res)
{
	struct upload *u = ud;
	const cJSON *ch = res->json ? cJSON_GetObjectItemCaseSensitive(res->json, "channel") : NULL;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "id"));

	if (!res->ok || !id) {
		log_refusal("cannot open a DM to send files", res, u->act.user);
		action_free(&u->act);
		free(u);
		return;
	}
	copy_id(u->dm, sizeof u->dm, id);
	upload_next(u);
}

/* Files (the export) are private: they go to the member's DM. Takes act. */
static void send_files(struct sk_bridge *b, const struct pending *p, struct action *act)
{
	struct upload *u = xcalloc(1, sizeof *u);
	char body[96];

	u->b = b;
	u->act = *act;
	memset(act, 0, sizeof *act);
	free(u->act.user);
	u->act.user = xstrdup(p->user);
	snprintf(body, sizeof body, "{\"users\":\"%s\"}", p->user);
	webapi_call(b->api, "conversations.open", body, dm_opened, u);
}

/* --- replies and forms ----------------------------------------------------------- */

static struct pending *pending_find(struct sk_bridge *b, uint64_t tag)
{
	for (size_t i = 0; i < b->npending; i++)
		if (b->pending[i].tag == tag)
			return &b->pending[i];
	return NULL;
}

static void view_opened(void *ud, const struct webapi_result *res)
{
	(void)ud;
	if (!res->ok)
		log_refusal("a form could not be opened", res, "views.open");
}

static void send_form(struct sk_bridge *b, struct pending *p, const struct action *act)
{
	char *body;

	if (!p->trigger_id[0]) {
		log_warn("a form was asked for an event that cannot open one", "tag=%" PRIu64,
		         p->tag);
		return;
	}
	/* The channel rides along, so the submission's reply finds it. */
	body = sk_render_modal(&act->form, p->trigger_id, p->channel);
	webapi_call(b->api, "views.open", body, view_opened, b);
	free(body);
	p->answered = 1;
}

static void send_reply(struct sk_bridge *b, struct action *act)
{
	struct pending *p = pending_find(b, act->reply_to);

	if (!p) {
		log_warn("a reply found no event to answer", "tag=%" PRIu64, act->reply_to);
		return;
	}
	if (act->type == ACT_FORM) {
		send_form(b, p, act);
		return;
	}
	p->answered = 1;
	if (act->invalid_input && p->kind == PK_VIEW && p->accepts && !p->ack_payload) {
		/* The form stays open with the reason under the input. */
		p->ack_payload = sk_render_form_errors(act->invalid_input, act->msg.text);
		return;
	}
	if (act->msg.nfiles) {
		send_files(b, p, act);
		if (p->kind == PK_SLASH && p->accepts && !p->ack_payload)
			p->ack_payload = text_response("The export is on its way to your direct "
			                               "messages with me.");
		return;
	}
	if (p->kind == PK_SLASH && p->accepts && !p->ack_payload) {
		p->ack_payload = sk_render_response(&act->msg, act->public_reply);
		return;
	}
	if (act->public_reply && p->channel[0]) {
		char *body =
		    sk_render_post(&act->msg, p->channel, p->thread_ts[0] ? p->thread_ts : NULL);

		webapi_call(b->api, "chat.postMessage", body, public_sent, b);
		free(body);
		return;
	}
	send_private(b, p, &act->msg);
}

static void on_post(void *ud, struct action *a)
{
	send_post(ud, a);
}

static void on_reply(void *ud, struct action *a)
{
	send_reply(ud, a);
}

static void pending_release(struct pending *p)
{
	free(p->ack_payload);
	cJSON_Delete(p->payload);
	p->ack_payload = NULL;
	p->payload = NULL;
}

/* Every envelope handled in the batch is acked now, after the commit. */
static void on_flushed(void *ud, int commit_failed)
{
	struct sk_bridge *b = ud;
	size_t keep = 0;

	for (size_t i = 0; i < b->npending; i++) {
		struct pending *p = &b->pending[i];

		if (p->waiting) {
			b->pending[keep++] = *p;
			continue;
		}
		if (commit_failed && !p->answered && p->kind != PK_EVENT) {
			if (p->kind == PK_SLASH && p->accepts && !p->ack_payload) {
				p->ack_payload = text_response(sorry_not_saved);
			} else {
				struct chat_msg m = {.text = xstrdup(sorry_not_saved)};

				send_private(b, p, &m);
			}
		} else if (!p->answered && p->kind == PK_SLASH && p->accepts && !p->ack_payload) {
			/* The core said nothing: say something, as an empty ack
			 * leaves the member wondering. */
			p->ack_payload = text_response("Done.");
		}
		ack(b, p->conn, p->envelope_id, p->ack_payload, p->arrived_ns);
		pending_release(p);
	}
	b->npending = keep;
}

/* --- events in ------------------------------------------------------------------- */

static int config_admin(const struct sk_bridge *b, const char *user)
{
	if (!user)
		return 0;
	for (size_t i = 0; i < b->cfg->slack.nadmins; i++)
		if (strcmp(b->cfg->slack.admins[i], user) == 0)
			return 1;
	return 0;
}

static struct member_entry *member_slot(struct sk_bridge *b, const char *user)
{
	struct member_entry *oldest = &b->members[0];

	for (size_t i = 0; i < MEMBER_SLOTS; i++) {
		struct member_entry *e = &b->members[i];

		if (strcmp(e->user, user) == 0)
			return e;
		if (e->until < oldest->until)
			oldest = e;
	}
	return oldest;
}

/* What the event itself cannot say: admin rights (the config's list, or
 * users.info) and, for events that carry none, the member's name. m may be
 * NULL (no look-up needed or possible). */
static void member_fill(const struct sk_bridge *b, struct sk_event *se,
                        const struct member_entry *m)
{
	se->ev.admin = (m && m->admin) || (se->ev.user && config_admin(b, se->ev.user));
	if (m && !se->ev.user_name && m->name[0])
		se->ev.user_name = m->name;
}

static void handle(struct sk_bridge *b, struct pending *p, struct sk_event *se)
{
	se->ev.tag = p->tag;
	if (!se->ev.workspace && b->team[0])
		se->ev.workspace = b->team;
	b->stats.events++;
	chat_loop_begin(b->cl);
	core_handle(b->core, &se->ev, wall_now());
}

static enum sb_rc parse(struct sk_bridge *b, enum sm_type type, const cJSON *payload,
                        struct sk_event *se)
{
	switch (type) {
	case SM_SLASH_COMMANDS:
		return sk_parse_slash(payload, se);
	case SM_INTERACTIVE:
		return sk_parse_interactive(payload, se);
	case SM_EVENTS_API:
		return sk_parse_event(payload, b->self, se);
	default:
		return SB_ERR_INVALID;
	}
}

/* One users.info in flight. */
struct lookup {
	struct sk_bridge *b;
	char user[SK_ID_MAX];
};

static void member_answered(void *ud, const struct webapi_result *res)
{
	struct lookup *l = ud;
	struct sk_bridge *b = l->b;
	static struct sk_event se; /* ~4 KiB plus the event: not on the stack */
	const cJSON *user = res->json ? cJSON_GetObjectItemCaseSensitive(res->json, "user") : NULL;
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(user, "name"));
	struct member_entry *e;
	int admin = 0;

	if (res->ok && user) {
		admin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(user, "is_admin")) ||
		        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(user, "is_owner")) ||
		        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(user, "is_primary_owner"));
	} else {
		log_warn("cannot tell whether a member is a workspace admin; treated as not one",
		         "user=%s error=%s why=%s", log_q(l->user), log_q(res->error),
		         log_q(webapi_error_text(res->error)));
	}
	e = member_slot(b, l->user);
	copy_id(e->user, sizeof e->user, l->user);
	e->admin = admin;
	copy_id(e->name, sizeof e->name, res->ok ? name : NULL);
	/* A failed look-up is not remembered long. */
	e->until = wall_now() + (res->ok ? MEMBER_TTL_S : 10);
	for (size_t i = 0; i < b->npending; i++) {
		struct pending *p = &b->pending[i];

		if (!p->waiting || strcmp(p->user, l->user) != 0)
			continue;
		p->waiting = 0;
		if (parse(b, p->type, p->payload, &se) != SB_OK || se.kind != SK_CORE)
			continue; /* read fine before; acked below */
		member_fill(b, &se, e);
		handle(b, p, &se);
	}
	/* Whatever was waiting is acked now: this answer may come in curl's
	 * timer callback, after which the loop can sleep in poll until the next
	 * wake, long past Slack's 3 s, before the check phase ends the batch. */
	chat_loop_begin(b->cl);
	chat_loop_end(b->cl);
	free(l);
}

static void member_lookup(struct sk_bridge *b, const char *user)
{
	struct member_entry *e = member_slot(b, user);
	const char *args[] = {"user", user, NULL};
	struct lookup *l;

	if (strcmp(e->user, user) == 0 && e->until == 0)
		return; /* already asked */
	copy_id(e->user, sizeof e->user, user);
	e->until = 0;
	e->admin = 0;
	l = xcalloc(1, sizeof *l);
	l->b = b;
	copy_id(l->user, sizeof l->user, user);
	b->stats.member_lookups++;
	webapi_get(b->api, "users.info", args, member_answered, l);
}

static void publish_home(struct sk_bridge *b, const char *user, const char *team)
{
	struct chat_msg msgs[8];
	size_t n = 0;
	char *body;

	if (core_home(b->core, team, user, wall_now(), msgs, 8, &n) != SB_OK) {
		log_error("cannot build a member's home", "user=%s error=%s", log_q(user),
		          log_q(store_errmsg(b->st)));
		return;
	}
	body = sk_render_home(user, msgs, n);
	for (size_t i = 0; i < n; i++)
		chat_msg_free(&msgs[i]);
	b->stats.homes++;
	webapi_call(b->api, "views.publish", body, public_sent, b);
	free(body);
}

/* The thread of a round's question (its ts is the round's message id)? */
static int round_thread(struct sk_bridge *b, const char *thread_ts)
{
	struct st_round r;

	return thread_ts && store_round_by_message(b->st, thread_ts, &r) != SB_ERR_NOTFOUND;
}

static struct pending *pending_add(struct sk_bridge *b, int conn, const struct sm_envelope *e,
                                   const struct sk_event *se, uint64_t arrived_ns)
{
	struct pending *p;

	if (b->npending == PENDING_MAX) {
		log_error("too many envelopes waiting for the store; the oldest is acked unhandled",
		          NULL);
		ack(b, b->pending[0].conn, b->pending[0].envelope_id, NULL, 0);
		pending_release(&b->pending[0]);
		memmove(b->pending, b->pending + 1, (PENDING_MAX - 1) * sizeof *b->pending);
		b->npending--;
	}
	p = &b->pending[b->npending++];
	memset(p, 0, sizeof *p);
	p->tag = ++b->next_tag;
	p->conn = conn;
	p->type = e->type;
	p->kind = e->type == SM_SLASH_COMMANDS ? PK_SLASH
	          : e->type == SM_EVENTS_API   ? PK_EVENT
	          : se->ev.type == EV_FORM     ? PK_VIEW
	                                       : PK_ACTION;
	p->accepts = e->accepts_response_payload;
	p->arrived_ns = arrived_ns;
	copy_id(p->envelope_id, sizeof p->envelope_id, e->envelope_id);
	copy_id(p->channel, sizeof p->channel, se->ev.channel);
	copy_id(p->user, sizeof p->user, se->ev.user);
	copy_id(p->thread_ts, sizeof p->thread_ts, se->thread_ts ? se->thread_ts : se->ev.thread);
	copy_id(p->trigger_id, sizeof p->trigger_id, se->trigger_id);
	return p;
}

void sk_bridge_envelope(struct sk_bridge *b, int conn, const struct sm_envelope *e)
{
	static struct sk_event se; /* ~4 KiB plus the event: not on the stack */
	uint64_t arrived_ns = uv_hrtime();
	struct pending *p;
	enum sb_rc rc;
	int need;

	b->stats.envelopes++;
	rc = parse(b, e->type, e->payload, &se);
	if (rc != SB_OK) {
		b->stats.ignored++;
		log_warn("an envelope could not be read; acknowledged and dropped",
		         "type=%s error=%s", log_q(e->type_name), sb_strerror(rc));
		ack_saying(b, conn, e, "Sorry, I could not read that. Try `/study help`.",
		           arrived_ns);
		return;
	}
	if (se.kind == SK_IGNORE) {
		b->stats.ignored++;
		log_debug("envelope ignored", "type=%s why=%s", log_q(e->type_name),
		          log_q(se.ignore_why));
		ack_saying(b, conn, e, se.usage, arrived_ns);
		return;
	}
	if (se.kind == SK_HOME) {
		ack(b, conn, e->envelope_id, NULL, arrived_ns);
		publish_home(b, se.ev.user, se.ev.workspace);
		return;
	}
	if (se.ev.type == EV_MESSAGE && !round_thread(b, se.ev.thread)) {
		/* A reply in some other thread: chatter, not an answer. */
		b->stats.ignored++;
		ack(b, conn, e->envelope_id, NULL, arrived_ns);
		return;
	}
	p = pending_add(b, conn, e, &se, arrived_ns);
	/* Admin rights matter for admin commands and forms; a name for
	 * events that carry none (thread replies), which the results and
	 * leaderboards show. */
	need = (se.admin_needed || se.ev.type == EV_FORM) && !config_admin(b, se.ev.user);
	if (se.ev.user && (need || !se.ev.user_name)) {
		struct member_entry *m = member_slot(b, se.ev.user);

		if (strcmp(m->user, se.ev.user) != 0 || m->until <= wall_now()) {
			p->waiting = 1;
			p->payload = cJSON_Duplicate(e->payload, 1);
			member_lookup(b, se.ev.user);
			return;
		}
		member_fill(b, &se, m);
	} else {
		member_fill(b, &se, NULL);
	}
	handle(b, p, &se);
}

/* --- life ------------------------------------------------------------------------ */

/* Seconds; Slack's own limit is 3 s. */
static const double ack_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02,
                                     0.05,   0.1,   0.25,   0.5,   1,    3};

enum sb_rc sk_bridge_new(struct sk_bridge **out, struct net_loop *loop, struct sm *sm,
                         struct webapi *api, struct core *core, struct store *st,
                         const struct config *cfg)
{
	static const struct chat_loop_ops ops = {
	    .post = on_post, .reply = on_reply, .flushed = on_flushed};
	struct sk_bridge *b = xcalloc(1, sizeof *b);

	metrics_hist_init(&b->stats.ack_latency, ack_buckets,
	                  sizeof ack_buckets / sizeof ack_buckets[0]);
	b->sm = sm;
	b->api = api;
	b->core = core;
	b->st = st;
	b->cfg = cfg;
	b->pending = xcalloc(PENDING_MAX, sizeof *b->pending);
	/* chat_loop_new() hands out what a crash left in the outbox first. */
	b->resending = 1;
	chat_loop_new(&b->cl, loop, core, st, &ops, b);
	b->resending = 0;
	*out = b;
	return SB_OK;
}

void sk_bridge_set_self(struct sk_bridge *b, const char *team_id, const char *bot_user)
{
	copy_id(b->team, sizeof b->team, team_id);
	copy_id(b->self, sizeof b->self, bot_user);
}

void sk_bridge_free(struct sk_bridge *b)
{
	if (!b)
		return;
	chat_loop_free(b->cl);
	for (size_t i = 0; i < b->npending; i++)
		pending_release(&b->pending[i]);
	free(b->pending);
	free(b);
}

void sk_bridge_get_stats(const struct sk_bridge *b, struct sk_bridge_stats *out)
{
	*out = b->stats;
}
