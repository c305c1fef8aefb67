/* The platform interface (SPEC §9): what the core says and hears.
 *
 * Platforms translate their own events into a struct event and carry out
 * each struct action with their own API calls; the core never sees a socket.
 * A new platform is one folder that does that translation (bot/console/ is
 * the smallest).
 *
 * Ownership: an event's strings are borrowed from the platform for the call.
 * Actions and the messages in them own every string they point to;
 * action_free() / chat_msg_free() release them. */
#ifndef SB_CHAT_H
#define SB_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/rc.h"

/* --- what the core says --------------------------------------------------- */

enum chat_style { STYLE_PRIMARY, STYLE_SECONDARY, STYLE_SUCCESS, STYLE_DANGER };

struct chat_button {
	char *label;
	char *id;  /* custom id, from core/cid.h */
	int style; /* enum chat_style */
};

struct chat_field {
	char *name, *value; /* Markdown */
};

struct chat_file {
	char *name; /* "answers.csv" */
	char *data;
	size_t len;
};

#define CHAT_MAX_FIELDS  25
#define CHAT_MAX_BUTTONS 25
#define CHAT_MAX_FILES   3

/* A message in platform-neutral Markdown (bold, italics, inline code, code
 * blocks, lists); each platform renders it to its own dialect and cuts it
 * to its own limits. */
struct chat_msg {
	char *title; /* NULL: none */
	char *text;  /* NULL: none */
	struct chat_field fields[CHAT_MAX_FIELDS];
	size_t nfields;
	struct chat_button buttons[CHAT_MAX_BUTTONS];
	size_t nbuttons;
	char *footer;
	struct chat_file files[CHAT_MAX_FILES];
	size_t nfiles;
};

struct chat_input {
	char *id, *label;
	char *value;       /* prefilled; NULL: empty */
	char *placeholder; /* NULL: none */
	int min_len, max_len;
	bool multiline, required;
};

#define CHAT_MAX_INPUTS 5

struct chat_form {
	char *id; /* custom id the submission comes back with */
	char *title;
	struct chat_input inputs[CHAT_MAX_INPUTS];
	size_t ninputs;
};

enum act_type {
	ACT_POST,  /* a message in a channel, or in the thread of one of its messages */
	ACT_DM,    /* a private message to one member */
	ACT_REPLY, /* the answer to the event being handled (private unless public) */
	ACT_FORM,  /* open a form for the member of the event being handled */
};

struct action {
	enum act_type type;
	int64_t outbox_id;      /* POST/DM: report delivery with core_delivered() */
	char *nonce;            /* POST/DM: the same on every retry, so a copy is dropped */
	char *channel;          /* POST/DM: platform channel id */
	char *thread_of;        /* POST: a message id whose thread this goes in; NULL = top level */
	char *user;             /* DM: platform user id */
	int64_t question_round; /* POST: non-zero when this posts a round's question */
	bool public_reply;      /* REPLY: visible to the whole channel */
	/* REPLY to a form: the input this text finds fault with. A platform
	 * that can keep the form open shows the text under that input; others
	 * send it as the reply. NULL: an ordinary reply. */
	char *invalid_input;
	uint64_t reply_to;     /* REPLY, FORM: the tag of the event answered */
	struct chat_msg msg;   /* POST, DM, REPLY */
	struct chat_form form; /* FORM */
};

struct actions {
	struct action *v;
	size_t n, cap;
};

/* Appends a zeroed action of this type and returns it. */
struct action *actions_push(struct actions *a, enum act_type type);
/* Frees actions [from, n) and sets n = from. */
void actions_truncate(struct actions *a, size_t from);
void actions_free(struct actions *a);
void action_free(struct action *act);

void chat_msg_free(struct chat_msg *m);
/* Adds a field/button/file (strings copied). False when the message is full. */
bool chat_msg_field(struct chat_msg *m, const char *name, const char *value);
bool chat_msg_button(struct chat_msg *m, const char *label, const char *id, int style);
bool chat_msg_file(struct chat_msg *m, const char *name, const char *data, size_t len);
struct chat_input *chat_form_input(struct chat_form *f, const char *id, const char *label);
void chat_form_free(struct chat_form *f);

/* A POST/DM action as JSON, for the outbox, and back: a message recorded
 * before a crash is sent afterwards exactly as it was built. */
char *action_to_json(const struct action *act);
enum sb_rc action_from_json(const char *json, struct action *out);

/* --- what the core hears ---------------------------------------------------- */

enum ev_type {
	EV_COMMAND, /* /study <command> with options */
	EV_BUTTON,  /* a click on a button the core made */
	EV_FORM,    /* a submitted form */
	EV_MESSAGE, /* a message in a thread (answer_mode = thread) */
};

struct ev_opt {
	const char *name, *value;
};

#define EV_MAX_OPTS 8

struct event {
	enum ev_type type;
	const char *workspace;           /* guild / team id; may be NULL */
	const char *channel;             /* where it happened */
	const char *user;                /* platform user id */
	const char *user_name;           /* display name; may be NULL */
	bool admin;                      /* the platform says this member may administer */
	const char *command;             /* EV_COMMAND: "leaderboard", "setup", … */
	const char *id;                  /* EV_BUTTON, EV_FORM: custom id */
	const char *text;                /* EV_MESSAGE */
	const char *thread;              /* EV_MESSAGE: id of the message whose thread it is in */
	struct ev_opt opts[EV_MAX_OPTS]; /* EV_COMMAND options, EV_FORM fields */
	size_t nopts;
	/* The platform's own number for this event, copied into the reply_to
	 * of every REPLY and FORM it causes: a platform that hands the core
	 * several events per commit learns which reply answers which. */
	uint64_t tag;
};

/* The value of an option or form field; NULL when absent. */
const char *event_opt(const struct event *ev, const char *name);

#endif
