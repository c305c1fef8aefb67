/* studybot invite [-c FILE]: the URL that adds the bot to a Discord server
 * with the least privilege it needs (SPEC §2).
 *
 * The URL alone goes to stdout (so `URL=$(studybot invite)` works); what
 * each permission is for goes to stderr. The application id comes from
 * [discord] application_id, or else from Discord itself
 * (GET /oauth2/applications/@me with the bot token), through the same REST
 * client `run` uses, on a loop of its own that ends with the answer.
 *
 * Ownership: everything is made and freed in exec_invite(). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "discord/rest.h"
#include "net/loop.h"
#include "util/log.h"

#define AUTHORIZE_URL "https://discord.com/oauth2/authorize"

/* Discord's Permissions page (Bitwise Permission Flags); nothing else is
 * asked for, and each line says why the bot needs it. */
static const struct perm {
	int bit;
	const char *name, *why;
} perms[] = {
    {10, "View Channel", "see the study channels and the threads of their questions"},
    {11, "Send Messages", "post the daily question, reminders and the weekly recap"},
    {14, "Embed Links", "show questions, results and leaderboards as embeds"},
    {16, "Read Message History", "start a thread on its own question and follow it"},
    {35, "Create Public Threads", "open the \"Answers and reviews\" thread on each question"},
    {38, "Send Messages in Threads", "post the reveal, the rating buttons and the results there"},
};

struct fetch {
	struct net_loop *loop;
	uint64_t app;
	long status;
	char error[256];
};

static uint64_t permissions(void)
{
	uint64_t p = 0;

	for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++)
		p |= (uint64_t)1 << perms[i].bit;
	return p;
}

static void app_fetched(void *ud, const struct rest_result *res)
{
	struct fetch *f = ud;
	const cJSON *id = res->json ? cJSON_GetObjectItemCaseSensitive(res->json, "id") : NULL;
	char *end = NULL;

	f->status = res->status;
	snprintf(f->error, sizeof f->error, "%s", res->message ? res->message : "");
	if (res->ok && cJSON_IsString(id) && id->valuestring[0] >= '1' &&
	    id->valuestring[0] <= '9') {
		unsigned long long v = strtoull(id->valuestring, &end, 10);

		if (end && !*end)
			f->app = (uint64_t)v;
	}
	net_loop_stop(f->loop, 0);
}

/* Asks Discord for the application behind the token. Returns an exit code. */
static int fetch_app(const struct config *cfg, const char *cfg_path, const char *token,
                     uint64_t *app)
{
	struct fetch f = {0};
	struct rest *rest = NULL;
	/* A person is waiting: a few quick tries, then say what is wrong. */
	struct rest_tuning tune = {.timeout_ms = 10000, .max_attempts = 3};

	if (net_loop_new(&f.loop, NULL) != SB_OK)
		return EXIT_RUNTIME;
	if (rest_new(&rest, f.loop, cfg->discord.api_base, token) != SB_OK) {
		net_loop_free(f.loop);
		fprintf(stderr,
		        "studybot invite: [discord] api_base '%s' is not usable (see the log "
		        "line above)\n",
		        cfg->discord.api_base);
		return EXIT_INVALID;
	}
	rest_tune(rest, &tune);
	rest_request(rest, "GET", "/oauth2/applications/@me", NULL, app_fetched, &f);
	net_loop_run(f.loop);
	rest_free(rest);
	net_loop_free(f.loop);
	if (f.status == 401) {
		fprintf(
		    stderr,
		    "studybot invite: Discord refused the bot token in $%s (401 Unauthorized).\n"
		    "Copy the token from the Developer Portal (your application → Bot → Reset "
		    "Token) into $%s, or set [discord] application_id in %s instead.\n",
		    cfg->discord.token_env, cfg->discord.token_env, cfg_path);
		return EXIT_AUTH;
	}
	if (!f.app) {
		char why[320];

		if (f.status)
			snprintf(why, sizeof why, "HTTP %ld: %s", f.status, f.error);
		else
			snprintf(why, sizeof why, "%s", *f.error ? f.error : "no answer");
		fprintf(stderr,
		        "studybot invite: cannot get the application id from Discord (%s).\n"
		        "Set [discord] application_id in %s (Developer Portal → your application → "
		        "General Information → Application ID) to skip asking.\n",
		        why, cfg_path);
		return EXIT_RUNTIME;
	}
	*app = f.app;
	return EXIT_OK;
}

static int exec_invite(int argc, char **argv)
{
	const char *path = NULL;
	bool thread_mode = false;
	struct cmd_ctx ctx;
	uint64_t app;
	int code = EXIT_OK;
	int usage = cmd_only_config(&cmd_invite_entry, argc, argv, &path);

	if (usage >= 0)
		return usage;
	if (!cmd_load_or_report(&ctx, path, false))
		return EXIT_INVALID;
	/* A one-shot command: the REST client's routine lines would bury the
	 * answer; its warnings and errors still show. */
	log_set_level(ctx.cfg.log_level > LOG_WARN ? (enum log_level)ctx.cfg.log_level : LOG_WARN);
	app = ctx.cfg.discord.application_id;
	if (!app) {
		const char *token = getenv(ctx.cfg.discord.token_env);

		if (!token || !*token) {
			fprintf(stderr,
			        "studybot invite: the application id is unknown.\n"
			        "Set [discord] application_id in %s (Developer Portal → your "
			        "application → General Information → Application ID),\n"
			        "or put the bot token in $%s so it can be asked from Discord.\n",
			        ctx.cfg_path, ctx.cfg.discord.token_env);
			cmd_ctx_free(&ctx);
			return EXIT_INVALID;
		}
		code = fetch_app(&ctx.cfg, ctx.cfg_path, token, &app);
	}
	if (code == EXIT_OK) {
		/* The docs' Bot Authorization Flow; scopes are separated by an
		 * url-encoded space. */
		printf(AUTHORIZE_URL "?client_id=%" PRIu64
		                     "&scope=bot%%20applications.commands&permissions=%" PRIu64
		                     "\n",
		       app, permissions());
		fprintf(stderr,
		        "Open the URL above to add studybot to a server you manage. It asks "
		        "for the scopes\nbot and applications.commands (to register /study) "
		        "and for these permissions:\n");
		for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++)
			fprintf(stderr, "  %-25s %s\n", perms[i].name, perms[i].why);
		fprintf(stderr,
		        "and nothing more: no administrator, no managing messages, roles or "
		        "members.\n");
		for (size_t i = 0; i < ctx.cfg.nchannels; i++)
			thread_mode |= ctx.cfg.channels[i].answer_mode == ANSWER_THREAD;
		if (thread_mode)
			fprintf(stderr,
			        "A channel takes answers as thread replies (answer_mode = thread): "
			        "also "
			        "turn on\nMESSAGE CONTENT INTENT in the Developer Portal (your "
			        "application → Bot → Privileged Gateway Intents).\n");
	}
	cmd_ctx_free(&ctx);
	return code;
}

const struct cmd_entry cmd_invite_entry = {
    .name = "invite",
    .usage = "[-c FILE]",
    .summary = "print the URL that adds the bot to a Discord server, with least privilege",
    .exec = exec_invite,
};
