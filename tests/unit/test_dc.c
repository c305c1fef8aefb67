/* The Discord translation layer: payloads in (dc_event), bodies out
 * (dc_render). Payload shapes follow Discord's documentation examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "chat/chat.h"
#include "discord/dc_event.h"
#include "discord/dc_render.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

/* Big structs: one of each, reused by every test. */
static struct dc_interaction in;
static struct dc_message msg;

static enum sb_rc parse_in(const char *json)
{
	return dc_parse_interaction(json, strlen(json), &in);
}

static enum sb_rc parse_msg(const char *json)
{
	return dc_parse_message(json, strlen(json), &msg);
}

static char *repeat(const char *unit, size_t times)
{
	size_t n = strlen(unit);
	char *s = xmalloc(n * times + 1);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * n, unit, n);
	s[n * times] = '\0';
	return s;
}

/* printf into a new string. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *s = xmalloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

static size_t chars(const char *s)
{
	return utf8_len(s, strlen(s));
}

static void assert_utf8(const char *s)
{
	size_t n = strlen(s);
	if (utf8_invalid_at(s, n) != n)
		fail_msg("not UTF-8 at byte %zu", utf8_invalid_at(s, n));
}

/* Whether [p, p+n) contains needle. */
static bool mem_has(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return true;
	return false;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && strcmp(s + n - k, tail) == 0;
}

/* Takes body (freed), returns its parse (delete with cJSON_Delete). */
static cJSON *body(char *s)
{
	assert_non_null(s);
	assert_utf8(s);
	cJSON *j = cJSON_Parse(s);
	free(s);
	assert_non_null(j);
	return j;
}

static const cJSON *at(const cJSON *o, const char *path)
{
	/* "a.b.0.c": object keys and array indexes. */
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	const cJSON *cur = o;
	for (char *save, *tok = strtok_r(buf, ".", &save); tok && cur;
	     tok = strtok_r(NULL, ".", &save)) {
		if (cJSON_IsArray(cur))
			cur = cJSON_GetArrayItem(cur, atoi(tok));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	}
	return cur;
}

static const char *at_str(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);
	if (!cJSON_IsString(v))
		fail_msg("%s is not a string", path);
	return v->valuestring;
}

static double at_num(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);
	if (!cJSON_IsNumber(v))
		fail_msg("%s is not a number", path);
	return v->valuedouble;
}

/* --- interactions ------------------------------------------------------------ */

/* A guild slash command, as in Discord's "Example Interaction". */
static const char command_json[] =
    "{\"app_permissions\":\"442368\",\"application_id\":\"775799577604522054\","
    "\"authorizing_integration_owners\":{\"0\":\"772904309264089089\"},"
    "\"channel\":{\"flags\":0,\"guild_id\":\"772904309264089089\",\"id\":"
    "\"772908445358620702\",\"last_message_id\":\"985990979720638514\",\"name\":\"general\","
    "\"nsfw\":false,\"parent_id\":\"772904309264089090\",\"permissions\":\"1099511627775\","
    "\"position\":0,\"rate_limit_per_user\":0,\"topic\":null,\"type\":0},"
    "\"channel_id\":\"772908445358620702\",\"context\":0,\"data\":{\"id\":"
    "\"866818195033292851\",\"name\":\"study\",\"options\":[{\"name\":\"leaderboard\","
    "\"type\":1,\"options\":[{\"name\":\"period\",\"type\":3,\"value\":\"month\"},"
    "{\"name\":\"topic\",\"type\":3,\"value\":\"django\"}]}],\"type\":1},"
    "\"entitlement_sku_ids\":[],\"entitlements\":[],\"guild_id\":\"772904309264089089\","
    "\"guild_locale\":\"en-US\",\"id\":\"786008729715212338\",\"locale\":\"en-US\","
    "\"member\":{\"avatar\":null,\"deaf\":false,\"is_pending\":false,\"joined_at\":"
    "\"2019-05-12T18:36:16.878000+00:00\",\"mute\":false,\"nick\":\"Ada L.\",\"pending\":false,"
    "\"permissions\":\"2248473465835105\",\"premium_since\":null,\"roles\":"
    "[\"785609923542777878\"],\"user\":{\"avatar\":\"a_f03401914fb4f3caa9037578ab980920\","
    "\"discriminator\":\"0\",\"global_name\":\"Ada\",\"id\":\"167348773423415296\","
    "\"public_flags\":1,\"username\":\"ada\"}},\"token\":\"A_UNIQUE_TOKEN\",\"type\":2,"
    "\"version\":1}";

static void command_with_options(void **state)
{
	(void)state;
	assert_int_equal(parse_in(command_json), SB_OK);
	assert_int_equal(in.type, DC_APPLICATION_COMMAND);
	assert_false(in.ping);
	assert_true(in.id == 786008729715212338ull);
	assert_true(in.application_id == 775799577604522054ull);
	assert_string_equal(in.token, "A_UNIQUE_TOKEN");
	assert_true(in.guild_id == 772904309264089089ull);
	assert_true(in.user_id == 167348773423415296ull);
	assert_true(in.thread_id == 0);
	const struct event *ev = &in.ev;
	assert_int_equal(ev->type, EV_COMMAND);
	assert_string_equal(ev->workspace, "772904309264089089");
	assert_string_equal(ev->channel, "772908445358620702");
	assert_string_equal(ev->user, "167348773423415296");
	assert_string_equal(ev->user_name, "Ada L.");
	assert_string_equal(ev->command, "leaderboard");
	assert_int_equal(ev->nopts, 2);
	assert_string_equal(event_opt(ev, "period"), "month");
	assert_string_equal(event_opt(ev, "topic"), "django");
	/* 2248473465835105 has MANAGE_GUILD (1 << 5), not ADMINISTRATOR. */
	assert_true(ev->admin);
}

static void command_option_types(void **state)
{
	(void)state;
	const char *json =
	    "{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,"
	    "\"guild_id\":\"3\",\"channel_id\":\"4\",\"member\":{\"permissions\":\"2048\","
	    "\"nick\":null,\"user\":{\"id\":\"5\",\"username\":\"bob\",\"global_name\":null}},"
	    "\"data\":{\"id\":\"6\",\"name\":\"study\",\"type\":1,\"options\":[{\"name\":"
	    "\"setup\",\"type\":1,\"options\":["
	    "{\"name\":\"channel\",\"type\":7,\"value\":\"41771983423143937\"},"
	    "{\"name\":\"time\",\"type\":3,\"value\":\"mon,wed 18:30\"},"
	    "{\"name\":\"who\",\"type\":6,\"value\":\"80351110224678912\"},"
	    "{\"name\":\"n\",\"type\":4,\"value\":42},"
	    "{\"name\":\"neg\",\"type\":4,\"value\":-7},"
	    "{\"name\":\"x\",\"type\":10,\"value\":2.5},"
	    "{\"name\":\"flag\",\"type\":5,\"value\":false}]}],"
	    "\"resolved\":{\"channels\":{}}}}";
	assert_int_equal(parse_in(json), SB_OK);
	const struct event *ev = &in.ev;
	assert_string_equal(ev->command, "setup");
	assert_int_equal(ev->nopts, 7);
	assert_string_equal(event_opt(ev, "channel"), "41771983423143937");
	assert_string_equal(event_opt(ev, "time"), "mon,wed 18:30");
	assert_string_equal(event_opt(ev, "who"), "80351110224678912");
	assert_string_equal(event_opt(ev, "n"), "42");
	assert_string_equal(event_opt(ev, "neg"), "-7");
	assert_string_equal(event_opt(ev, "x"), "2.5");
	assert_string_equal(event_opt(ev, "flag"), "false");
	/* No nick, no global name: the username. 2048 is SEND_MESSAGES only. */
	assert_string_equal(ev->user_name, "bob");
	assert_false(ev->admin);

	/* A subcommand without options. */
	assert_int_equal(parse_in("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\","
	                          "\"type\":2,\"channel_id\":\"4\",\"user\":{\"id\":\"5\","
	                          "\"username\":\"bob\"},\"data\":{\"name\":\"study\","
	                          "\"options\":[{\"name\":\"forget-me\",\"type\":1}]}}"),
	                 SB_OK);
	assert_string_equal(in.ev.command, "forget-me");
	assert_int_equal(in.ev.nopts, 0);
}

/* The button interaction of Discord's component reference. */
static const char button_json[] =
    "{\"version\":1,\"type\":3,\"token\":\"unique_interaction_token\",\"message\":{\"type\":0,"
    "\"tts\":false,\"timestamp\":\"2021-05-19T02:12:51.710000+00:00\",\"pinned\":false,"
    "\"mentions\":[],\"mention_roles\":[],\"mention_everyone\":false,\"id\":"
    "\"844397162624450620\",\"flags\":0,\"edited_timestamp\":null,\"components\":[{\"type\":"
    "1,\"components\":[{\"type\":2,\"label\":\"Answer\",\"style\":1,\"custom_id\":"
    "\"sb1:a:42\"}]}],\"channel_id\":\"345626669114982402\",\"author\":{\"username\":"
    "\"Mason\",\"public_flags\":131141,\"id\":\"53908232506183680\",\"discriminator\":"
    "\"1337\",\"avatar\":\"a_d5efa99b3eeaa7dd43acca82f5692432\"},\"attachments\":[]},"
    "\"member\":{\"user\":{\"username\":\"Mason\",\"public_flags\":131141,\"id\":"
    "\"53908232506183680\",\"discriminator\":\"1337\",\"avatar\":"
    "\"a_d5efa99b3eeaa7dd43acca82f5692432\",\"global_name\":\"Mason G.\"},\"roles\":"
    "[\"290926798626357999\"],\"premium_since\":null,\"permissions\":\"17179869183\","
    "\"pending\":false,\"nick\":null,\"mute\":false,\"joined_at\":"
    "\"2017-03-13T19:19:14.040000+00:00\",\"is_pending\":false,\"deaf\":false,\"avatar\":"
    "null},\"id\":\"846462639134605312\",\"guild_id\":\"290926798626357999\",\"data\":"
    "{\"custom_id\":\"sb1:a:42\",\"component_type\":2},\"channel_id\":"
    "\"345626669114982999\",\"application_id\":\"290926444748734465\"}";

static void button(void **state)
{
	(void)state;
	assert_int_equal(parse_in(button_json), SB_OK);
	assert_int_equal(in.type, DC_MESSAGE_COMPONENT);
	assert_int_equal(in.ev.type, EV_BUTTON);
	assert_string_equal(in.ev.id, "sb1:a:42");
	assert_true(in.message_id == 844397162624450620ull);
	assert_string_equal(in.ev.channel, "345626669114982999");
	assert_string_equal(in.ev.user, "53908232506183680");
	assert_string_equal(in.ev.user_name, "Mason G."); /* nick null: the global name */
	assert_true(in.ev.admin);                         /* ADMINISTRATOR (1 << 3) */
	assert_int_equal(in.ev.nopts, 0);
}

/* The text input interaction of Discord's component reference. */
static const char modal_json[] =
    "{\"application_id\":\"845027738276462632\",\"channel\":{\"flags\":0,\"guild_id\":"
    "\"772904309264089089\",\"id\":\"772908445358620702\",\"last_message_id\":"
    "\"113817814796417433\",\"name\":\"general\",\"nsfw\":false,\"parent_id\":"
    "\"1113560261366927532\",\"permissions\":\"281474976710655\",\"position\":0,"
    "\"rate_limit_per_user\":0,\"topic\":null,\"type\":0},\"channel_id\":"
    "\"772908445358620702\",\"data\":{\"components\":[{\"type\":1,\"components\":[{"
    "\"custom_id\":\"answer\",\"type\":4,\"value\":\"It joins in SQL; "
    "prefetch_related runs a second query.\"}]},{\"type\":1,\"components\":[{"
    "\"custom_id\":\"extra\",\"type\":4,\"value\":\"\"}]}],\"custom_id\":\"sb1:fa:42\"},"
    "\"guild_id\":\"772904309264089089\",\"id\":\"847587388497854464\",\"member\":{"
    "\"avatar\":null,\"deaf\":false,\"is_pending\":false,\"joined_at\":"
    "\"2020-11-02T19:25:47.248000+00:00\",\"mute\":false,\"nick\":null,\"pending\":false,"
    "\"permissions\":\"17179869183\",\"premium_since\":null,\"roles\":"
    "[\"785609923542777878\"],\"user\":{\"avatar\":\"a_d5efa99b3eeaa7dd43acca82f5692432\","
    "\"global_name\":\"Mason\",\"discriminator\":\"0\",\"id\":\"53908232506183680\","
    "\"public_flags\":131141,\"username\":\"Mason\"}},\"token\":\"UNIQUE_TOKEN\",\"type\":5,"
    "\"version\":1}";

static void modal_submit(void **state)
{
	(void)state;
	assert_int_equal(parse_in(modal_json), SB_OK);
	assert_int_equal(in.type, DC_MODAL_SUBMIT);
	assert_int_equal(in.ev.type, EV_FORM);
	assert_string_equal(in.ev.id, "sb1:fa:42");
	assert_int_equal(in.ev.nopts, 2);
	assert_string_equal(event_opt(&in.ev, "answer"),
	                    "It joins in SQL; prefetch_related runs a second query.");
	assert_string_equal(event_opt(&in.ev, "extra"), "");

	/* The newer layout: text inputs in labels, beside a text display. */
	assert_int_equal(
	    parse_in("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":5,"
	             "\"guild_id\":\"3\",\"channel_id\":\"4\",\"member\":{\"permissions\":\"0\","
	             "\"user\":{\"id\":\"5\",\"username\":\"u\"}},\"data\":{\"custom_id\":"
	             "\"sb1:fq\",\"components\":[{\"type\":10,\"id\":1,\"content\":\"Hi\"},"
	             "{\"type\":18,\"id\":2,\"component\":{\"type\":4,\"id\":3,\"custom_id\":"
	             "\"topic\",\"value\":\"django\"}},{\"type\":18,\"id\":4,\"component\":"
	             "{\"type\":3,\"id\":5,\"custom_id\":\"pick\",\"values\":[\"a\"]}}]}}"),
	    SB_OK);
	assert_string_equal(in.ev.id, "sb1:fq");
	assert_int_equal(in.ev.nopts, 1);
	assert_string_equal(event_opt(&in.ev, "topic"), "django");
	assert_false(in.ev.admin);
}

static void dm_without_member(void **state)
{
	(void)state;
	const char *json =
	    "{\"id\":\"1100000000000000001\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,"
	    "\"channel_id\":\"900000000000000009\",\"channel\":{\"id\":\"900000000000000009\","
	    "\"type\":1},\"context\":1,\"user\":{\"id\":\"53908232506183680\",\"username\":"
	    "\"mason\",\"global_name\":\"Mason\"},\"data\":{\"id\":\"6\",\"name\":\"study\","
	    "\"type\":1,\"options\":[{\"name\":\"stats\",\"type\":1,\"options\":[]}]}}";
	assert_int_equal(parse_in(json), SB_OK);
	assert_null(in.ev.workspace);
	assert_true(in.guild_id == 0);
	assert_string_equal(in.ev.channel, "900000000000000009");
	assert_string_equal(in.ev.user, "53908232506183680");
	assert_string_equal(in.ev.user_name, "Mason");
	assert_false(in.ev.admin);
	assert_string_equal(in.ev.command, "stats");
}

static void in_a_thread(void **state)
{
	(void)state;
	/* A button on a reveal posted in the question's thread: the channel
	 * with the round is the thread's parent. */
	const char *json =
	    "{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":3,"
	    "\"guild_id\":\"3\",\"channel_id\":\"1200000000000000012\",\"channel\":{\"id\":"
	    "\"1200000000000000012\",\"type\":11,\"parent_id\":\"772908445358620702\"},"
	    "\"member\":{\"permissions\":\"0\",\"user\":{\"id\":\"5\",\"username\":\"u\"}},"
	    "\"data\":{\"custom_id\":\"sb1:r:77:5\",\"component_type\":2}}";
	assert_int_equal(parse_in(json), SB_OK);
	assert_string_equal(in.ev.channel, "772908445358620702");
	assert_true(in.thread_id == 1200000000000000012ull);
	assert_true(in.channel_id == 1200000000000000012ull);
	assert_string_equal(in.ev.id, "sb1:r:77:5");
}

static void ping_and_others(void **state)
{
	(void)state;
	assert_int_equal(parse_in("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"tok\","
	                          "\"type\":1,\"version\":1}"),
	                 SB_ERR_NOTFOUND);
	assert_true(in.ping);
	assert_int_equal(in.type, DC_PING);
	assert_string_equal(in.token, "tok");
	/* Autocomplete and unknown types. */
	const char *tail = ",\"channel_id\":\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":"
	                   "\"study\",\"options\":[{\"name\":\"leaderboard\",\"type\":1}]}}";
	char *j = fmt("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":4%s", tail);
	assert_int_equal(parse_in(j), SB_ERR_INVALID);
	assert_false(in.ping);
	free(j);
	j = fmt("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":9%s", tail);
	assert_int_equal(parse_in(j), SB_ERR_INVALID);
	free(j);
	/* Someone else's command, or a context menu command: not for us. */
	assert_int_equal(parse_in("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\","
	                          "\"type\":2,\"channel_id\":\"4\",\"user\":{\"id\":\"5\"},"
	                          "\"data\":{\"name\":\"other\",\"options\":[]}}"),
	                 SB_ERR_NOTFOUND);
	assert_int_equal(parse_in("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\","
	                          "\"type\":2,\"channel_id\":\"4\",\"user\":{\"id\":\"5\"},"
	                          "\"data\":{\"name\":\"study\",\"type\":2,\"target_id\":\"5\"}}"),
	                 SB_ERR_NOTFOUND);
}

static void garbled_interactions(void **state)
{
	(void)state;
	/* Each breaks one rule of an otherwise good command. */
	static const struct {
		const char *json;
		enum sb_rc rc;
	} cases[] = {
	    {"", SB_ERR_INVALID},
	    {"not json", SB_ERR_INVALID},
	    {"[1,2]", SB_ERR_INVALID},
	    {"{\"id\":1,\"application_id\":\"2\",\"token\":\"t\",\"type\":2}", SB_ERR_INVALID},
	    {"{\"id\":\"01\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2}", SB_ERR_INVALID},
	    {"{\"id\":\"0\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2}", SB_ERR_INVALID},
	    {"{\"id\":\"18446744073709551616\",\"application_id\":\"2\",\"token\":\"t\","
	     "\"type\":2}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"-5\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2}", SB_ERR_INVALID},
	    {"{\"id\":\" 5\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2}", SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"type\":2}", SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":7,\"type\":2}", SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":\"2\"}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2.5}",
	     SB_ERR_INVALID},
	    /* no data */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"}}",
	     SB_ERR_INVALID},
	    /* no channel */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"user\":{\"id\":"
	     "\"5\"},\"data\":{\"name\":\"study\",\"options\":[{\"name\":\"post\",\"type\":1}]}}",
	     SB_ERR_INVALID},
	    /* no user, and a member without one */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"data\":{\"name\":\"study\",\"options\":[{\"name\":\"post\",\"type\":1}]}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"member\":{\"permissions\":\"8\"},\"data\":{\"name\":\"study\",\"options\":"
	     "[{\"name\":\"post\",\"type\":1}]}}",
	     SB_ERR_INVALID},
	    /* a user id as a number */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":5},\"data\":{\"name\":\"study\",\"options\":[{\"name\":"
	     "\"post\",\"type\":1}]}}",
	     SB_ERR_INVALID},
	    /* a guild id that is not a snowflake */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"guild_id\":"
	     "\"x\",\"channel_id\":\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":\"study\","
	     "\"options\":[{\"name\":\"post\",\"type\":1}]}}",
	     SB_ERR_INVALID},
	    /* no subcommand, a subcommand group, options of the wrong types */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":\"study\"}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":\"study\",\"options\":[{\"name\":"
	     "\"admin\",\"type\":2,\"options\":[{\"name\":\"post\",\"type\":1}]}]}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":\"study\",\"options\":[{\"name\":"
	     "\"stats\",\"type\":1,\"options\":[{\"name\":\"user\",\"type\":6,\"value\":5}]}]}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":\"study\",\"options\":[{\"name\":"
	     "\"stats\",\"type\":1,\"options\":[{\"name\":\"topic\",\"type\":3,\"value\":null}]}]"
	     "}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":\"study\",\"options\":[{\"name\":"
	     "\"stats\",\"type\":1,\"options\":{\"name\":\"topic\"}}]}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":\"study\",\"options\":[{\"name\":"
	     "\"stats\",\"type\":1,\"options\":[{\"type\":3,\"value\":\"x\"}]}]}}",
	     SB_ERR_INVALID},
	    /* bytes that are not UTF-8 in a value */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"name\":\"study\",\"options\":[{\"name\":"
	     "\"stats\",\"type\":1,\"options\":[{\"name\":\"topic\",\"type\":3,\"value\":"
	     "\"\xc3\x28\"}]}]}}",
	     SB_ERR_INVALID},
	    /* a button without a custom id, or with one past 100 characters */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":3,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"component_type\":2}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":3,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"custom_id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}",
	     SB_ERR_INVALID},
	    /* modal fields that are not text inputs of the right shape */
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":5,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"custom_id\":\"sb1:fq\",\"components\":"
	     "[{\"type\":1,\"components\":[{\"type\":4,\"value\":\"v\"}]}]}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":5,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"custom_id\":\"sb1:fq\",\"components\":"
	     "[{\"type\":1,\"components\":[{\"type\":4,\"custom_id\":\"a\",\"value\":7}]}]}}",
	     SB_ERR_INVALID},
	    {"{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":5,\"channel_id\":"
	     "\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"custom_id\":\"sb1:fq\",\"components\":7}}",
	     SB_ERR_INVALID},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum sb_rc rc = parse_in(cases[i].json);
		if (rc != cases[i].rc)
			fail_msg("case %zu: %s, want %s", i, sb_strerror(rc),
			         sb_strerror(cases[i].rc));
		assert_null(in.ev.user);
		assert_null(in.ev.command);
	}
	/* Permissions that are unreadable grant nothing; the event stands. */
	static const char *const perms[] = {"\"-8\"", "8", "\"08\"", "null",
	                                    "\"99999999999999999999999\""};
	for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++) {
		char *j =
		    fmt("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":2,"
		        "\"channel_id\":\"4\",\"member\":{\"permissions\":%s,\"user\":{\"id\":"
		        "\"5\"}},\"data\":{\"name\":\"study\",\"options\":[{\"name\":\"post\","
		        "\"type\":1}]}}",
		        perms[i]);
		assert_int_equal(parse_in(j), SB_OK);
		assert_false(in.ev.admin);
		assert_null(in.ev.user_name);
		free(j);
	}
}

static void not_nul_terminated(void **state)
{
	(void)state;
	/* The span of d inside a bigger buffer: what follows is not read. */
	size_t n = strlen(button_json);
	char *buf = xmalloc(n + 8);
	memcpy(buf, button_json, n);
	memcpy(buf + n, "garbage!", 8);
	assert_int_equal(dc_parse_interaction(buf, n, &in), SB_OK);
	assert_string_equal(in.ev.id, "sb1:a:42");
	/* Cut short, it is malformed. */
	assert_int_equal(dc_parse_interaction(buf, n - 1, &in), SB_ERR_INVALID);
	free(buf);
}

static char *modal_with_values(const char *const *values, size_t n)
{
	struct buf b;
	buf_init(&b, 1u << 30);
	buf_adds(&b, "{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":5,"
	             "\"channel_id\":\"4\",\"user\":{\"id\":\"5\"},\"data\":{\"custom_id\":"
	             "\"sb1:fa:1\",\"components\":[");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b,
		           "%s{\"type\":1,\"components\":[{\"type\":4,\"custom_id\":\"f%zu\","
		           "\"value\":\"%s\"}]}",
		           i ? "," : "", i, values[i]);
	buf_adds(&b, "]}}");
	return buf_take(&b);
}

static void huge_values(void **state)
{
	(void)state;
	/* Over 4000 characters is passed on (the core explains the limit);
	 * 16 KiB is the most one value may hold. */
	char *v4001 = repeat("a", 4001), *vmax = repeat("b", DC_VALUE_MAX),
	     *vover = repeat("c", DC_VALUE_MAX + 1), *emoji = repeat("\xf0\x9f\x99\x82", 4000);
	const char *one[] = {v4001};
	char *j = modal_with_values(one, 1);
	assert_int_equal(parse_in(j), SB_OK);
	assert_int_equal(strlen(event_opt(&in.ev, "f0")), 4001);
	free(j);
	const char *five[] = {vmax, emoji, vmax, emoji, vmax};
	j = modal_with_values(five, 5);
	assert_int_equal(parse_in(j), SB_OK);
	assert_int_equal(in.ev.nopts, 5);
	assert_string_equal(event_opt(&in.ev, "f1"), emoji);
	assert_int_equal(strlen(event_opt(&in.ev, "f4")), DC_VALUE_MAX);
	free(j);
	const char *over[] = {vover};
	j = modal_with_values(over, 1);
	assert_int_equal(parse_in(j), SB_ERR_TOOBIG);
	assert_int_equal(in.ev.nopts, 0);
	free(j);
	/* Nine fields: more than an event holds. */
	const char *nine[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
	j = modal_with_values(nine, 9);
	assert_int_equal(parse_in(j), SB_ERR_TOOBIG);
	free(j);
	/* A token past its field, a payload past the cap. */
	char *tok = repeat("T", DC_TOKEN_MAX);
	j = fmt("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"%s\",\"type\":1}", tok);
	assert_int_equal(parse_in(j), SB_ERR_TOOBIG);
	free(j);
	free(tok);
	char *big = xcalloc(DC_JSON_MAX + 2, 1);
	memset(big, ' ', DC_JSON_MAX + 1);
	assert_int_equal(dc_parse_interaction(big, DC_JSON_MAX + 1, &in), SB_ERR_TOOBIG);
	assert_int_equal(dc_parse_message(big, DC_JSON_MAX + 1, &msg), SB_ERR_TOOBIG);
	free(big);
	/* A long display name is cut on a character boundary. */
	char *name = repeat("\xc3\xa9", 100);
	j = fmt("{\"id\":\"1\",\"application_id\":\"2\",\"token\":\"t\",\"type\":3,\"channel_id\":"
	        "\"4\",\"user\":{\"id\":\"5\",\"username\":\"%s\"},\"data\":{\"custom_id\":\"x\"}}",
	        name);
	assert_int_equal(parse_in(j), SB_OK);
	assert_int_equal(strlen(in.ev.user_name), DC_NAME_MAX);
	assert_utf8(in.ev.user_name);
	free(j);
	free(name);
	free(v4001);
	free(vmax);
	free(vover);
	free(emoji);
}

/* --- messages ------------------------------------------------------------------ */

/* A reply in the thread of question message 1200000000000000012. */
static const char thread_msg_json[] =
    "{\"type\":0,\"tts\":false,\"timestamp\":\"2024-03-01T09:12:51.710000+00:00\","
    "\"referenced_message\":null,\"pinned\":false,\"nonce\":\"1213071925540200448\","
    "\"mentions\":[],\"mention_roles\":[],\"mention_everyone\":false,\"member\":{\"roles\":"
    "[],\"premium_since\":null,\"pending\":false,\"nick\":\"Ada L.\",\"mute\":false,"
    "\"joined_at\":\"2023-01-01T00:00:00.000000+00:00\",\"flags\":0,\"deaf\":false,"
    "\"communication_disabled_until\":null,\"avatar\":null},\"id\":\"1213071926265565244\","
    "\"flags\":0,\"embeds\":[],\"edited_timestamp\":null,\"content\":\"An index makes "
    "lookups O(log n) at the cost of slower writes.\",\"components\":[],\"channel_id\":"
    "\"1200000000000000012\",\"author\":{\"username\":\"ada\",\"public_flags\":0,\"id\":"
    "\"167348773423415296\",\"global_name\":\"Ada\",\"discriminator\":\"0\",\"avatar\":null},"
    "\"attachments\":[],\"guild_id\":\"772904309264089089\"}";

static void message_in_thread(void **state)
{
	(void)state;
	assert_int_equal(parse_msg(thread_msg_json), SB_OK);
	const struct event *ev = &msg.ev;
	assert_int_equal(ev->type, EV_MESSAGE);
	assert_string_equal(ev->channel, "1200000000000000012");
	assert_string_equal(ev->thread, "1200000000000000012");
	assert_string_equal(ev->workspace, "772904309264089089");
	assert_string_equal(ev->user, "167348773423415296");
	assert_string_equal(ev->user_name, "Ada L.");
	assert_string_equal(ev->text,
	                    "An index makes lookups O(log n) at the cost of slower writes.");
	assert_false(ev->admin);
	assert_true(msg.id == 1213071926265565244ull);
	assert_true(msg.author_id == 167348773423415296ull);

	/* A reply (type 19) in a DM, without member: the global name. */
	assert_int_equal(parse_msg("{\"type\":19,\"id\":\"10\",\"channel_id\":\"11\",\"content\":"
	                           "\"yes\",\"author\":{\"id\":\"12\",\"username\":\"bob\","
	                           "\"global_name\":\"Bob\"}}"),
	                 SB_OK);
	assert_null(msg.ev.workspace);
	assert_string_equal(msg.ev.user_name, "Bob");
	assert_string_equal(msg.ev.text, "yes");
}

static void messages_not_for_us(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    /* a bot, ourselves included */
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"Question 12\","
	    "\"author\":{\"id\":\"12\",\"username\":\"studybot\",\"bot\":true}}",
	    /* a webhook */
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"deploy done\","
	    "\"webhook_id\":\"13\",\"author\":{\"id\":\"13\",\"username\":\"CI\"}}",
	    /* a system message and a system user */
	    "{\"type\":7,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"\",\"author\":"
	    "{\"id\":\"12\",\"username\":\"new\"}}",
	    "{\"type\":18,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"Round 12\","
	    "\"author\":{\"id\":\"12\",\"username\":\"u\"}}",
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"hi\",\"author\":"
	    "{\"id\":\"643945264868098049\",\"username\":\"Discord\",\"system\":true}}",
	    /* nothing to read: attachments only, or no MESSAGE_CONTENT intent */
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"\",\"author\":"
	    "{\"id\":\"12\",\"username\":\"u\"},\"attachments\":[{\"id\":\"1\"}]}",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum sb_rc rc = parse_msg(cases[i]);
		if (rc != SB_ERR_NOTFOUND)
			fail_msg("case %zu: %s", i, sb_strerror(rc));
		assert_null(msg.ev.text);
	}
	/* webhook_id null is no webhook. */
	assert_int_equal(parse_msg("{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":"
	                           "\"x\",\"webhook_id\":null,\"author\":{\"id\":\"12\"}}"),
	                 SB_OK);
	assert_null(msg.ev.user_name);
}

static void garbled_messages(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "",
	    "{",
	    "\"text\"",
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"x\"}",
	    "{\"type\":0,\"id\":10,\"channel_id\":\"11\",\"content\":\"x\",\"author\":{\"id\":"
	    "\"12\"}}",
	    "{\"type\":0,\"id\":\"10\",\"content\":\"x\",\"author\":{\"id\":\"12\"}}",
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"x\",\"author\":{\"id\":"
	    "\"012\"}}",
	    "{\"type\":\"0\",\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"x\",\"author\":"
	    "{\"id\":\"12\"}}",
	    "{\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"x\",\"author\":{\"id\":\"12\"}}",
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":5,\"author\":{\"id\":"
	    "\"12\"}}",
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"guild_id\":7,\"content\":\"x\","
	    "\"author\":{\"id\":\"12\"}}",
	    "{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"\xff\",\"author\":"
	    "{\"id\":\"12\"}}",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum sb_rc rc = parse_msg(cases[i]);
		if (rc != SB_ERR_INVALID)
			fail_msg("case %zu: %s", i, sb_strerror(rc));
		assert_null(msg.ev.text);
	}
	char *text = repeat("x", DC_VALUE_MAX), *j;
	j = fmt("{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"%s\",\"author\":"
	        "{\"id\":\"12\"}}",
	        text);
	assert_int_equal(parse_msg(j), SB_OK);
	assert_int_equal(strlen(msg.ev.text), DC_VALUE_MAX);
	free(j);
	free(text);
	text = repeat("x", DC_VALUE_MAX + 1);
	j = fmt("{\"type\":0,\"id\":\"10\",\"channel_id\":\"11\",\"content\":\"%s\",\"author\":"
	        "{\"id\":\"12\"}}",
	        text);
	assert_int_equal(parse_msg(j), SB_ERR_TOOBIG);
	free(j);
	free(text);
}

/* --- rendering ------------------------------------------------------------------ */

static void question_msg(struct chat_msg *m)
{
	memset(m, 0, sizeof *m);
	m->title = xstrdup("Question 12 · django · difficulty 2");
	m->text = xstrdup("What does `select_related` do?\n\n```python\nBook.objects.all()\n```");
	chat_msg_field(m, "Deadline", "today 19:00");
	m->footer = xstrdup("Answers are revealed at the deadline.");
	chat_msg_button(m, "Answer", "sb1:a:42", STYLE_PRIMARY);
	chat_msg_button(m, "Hint", "sb1:h:42", STYLE_SECONDARY);
	chat_msg_button(m, "A", "sb1:c:42:0", STYLE_SUCCESS);
	chat_msg_button(m, "B", "sb1:c:42:1", STYLE_SUCCESS);
	chat_msg_button(m, "C", "sb1:c:42:2", STYLE_SUCCESS);
	chat_msg_button(m, "Give up", "sb1:c:42:3", STYLE_DANGER);
}

static void render_question(void **state)
{
	(void)state;
	struct chat_msg m;
	question_msg(&m);
	cJSON *j = body(dc_render_message(&m, "18c2f3a9b00-2a"));
	assert_null(at(j, "content"));
	assert_int_equal(cJSON_GetArraySize(at(j, "embeds")), 1);
	assert_string_equal(at_str(j, "embeds.0.title"), m.title);
	assert_string_equal(at_str(j, "embeds.0.description"), m.text);
	assert_string_equal(at_str(j, "embeds.0.fields.0.name"), "Deadline");
	assert_string_equal(at_str(j, "embeds.0.fields.0.value"), "today 19:00");
	assert_string_equal(at_str(j, "embeds.0.footer.text"), m.footer);
	/* 6 buttons: a row of 5, a row of 1. */
	const cJSON *rows = at(j, "components");
	assert_int_equal(cJSON_GetArraySize(rows), 2);
	assert_int_equal(at_num(j, "components.0.type"), 1);
	assert_int_equal(cJSON_GetArraySize(at(j, "components.0.components")), 5);
	assert_int_equal(cJSON_GetArraySize(at(j, "components.1.components")), 1);
	assert_int_equal(at_num(j, "components.0.components.0.type"), 2);
	assert_int_equal(at_num(j, "components.0.components.0.style"), 1);
	assert_int_equal(at_num(j, "components.0.components.1.style"), 2);
	assert_int_equal(at_num(j, "components.0.components.2.style"), 3);
	assert_int_equal(at_num(j, "components.1.components.0.style"), 4);
	assert_string_equal(at_str(j, "components.0.components.0.label"), "Answer");
	assert_string_equal(at_str(j, "components.0.components.0.custom_id"), "sb1:a:42");
	assert_string_equal(at_str(j, "components.1.components.0.custom_id"), "sb1:c:42:3");
	/* Never a ping; the nonce is enforced. */
	const cJSON *parse = at(j, "allowed_mentions.parse");
	assert_true(cJSON_IsArray(parse));
	assert_int_equal(cJSON_GetArraySize(parse), 0);
	assert_string_equal(at_str(j, "nonce"), "18c2f3a9b00-2a");
	assert_true(cJSON_IsTrue(at(j, "enforce_nonce")));
	cJSON_Delete(j);

	/* Without a nonce, neither key; a nonce past 25 characters is left out. */
	j = body(dc_render_message(&m, NULL));
	assert_null(at(j, "nonce"));
	assert_null(at(j, "enforce_nonce"));
	cJSON_Delete(j);
	j = body(dc_render_message(&m, "12345678901234567890123456"));
	assert_null(at(j, "nonce"));
	assert_null(at(j, "enforce_nonce"));
	cJSON_Delete(j);
	j = body(dc_render_message(&m, "1234567890123456789012345"));
	assert_string_equal(at_str(j, "nonce"), "1234567890123456789012345");
	cJSON_Delete(j);
	chat_msg_free(&m);
}

static void render_mapping(void **state)
{
	(void)state;
	struct chat_msg m = {0};
	/* Text alone: content, Markdown as written, mass mentions defused. */
	m.text = xstrdup("**Bold**, _it_, `code` and\n- a list\n@everyone @here @someone");
	cJSON *j = body(dc_render_message(&m, NULL));
	assert_string_equal(at_str(j, "content"),
	                    "**Bold**, _it_, `code` and\n- a list\n@\xe2\x80\x8b"
	                    "everyone @\xe2\x80\x8bhere @someone");
	assert_null(at(j, "embeds"));
	assert_null(at(j, "components"));
	cJSON_Delete(j);

	/* Fields without a title: the text stays content, the fields an embed;
	 * a blank field value becomes a zero-width space. */
	chat_msg_field(&m, "Answer A", "  ");
	j = body(dc_render_message(&m, NULL));
	assert_non_null(at(j, "content"));
	assert_null(at(j, "embeds.0.title"));
	assert_null(at(j, "embeds.0.description"));
	assert_string_equal(at_str(j, "embeds.0.fields.0.value"), "\xe2\x80\x8b");
	cJSON_Delete(j);
	chat_msg_free(&m);

	/* Nothing at all: Discord needs something. */
	j = body(dc_render_message(&m, NULL));
	assert_string_equal(at_str(j, "content"), "\xe2\x80\x8b");
	cJSON_Delete(j);
	m.text = xstrdup(" \n\t ");
	j = body(dc_render_message(&m, NULL));
	assert_string_equal(at_str(j, "content"), "\xe2\x80\x8b");
	cJSON_Delete(j);
	chat_msg_free(&m);

	/* Bytes that are not UTF-8 become U+FFFD. */
	m.text = xstrdup("caf\xe9 \xf0\x9f\x99");
	j = body(dc_render_message(&m, NULL));
	assert_string_equal(at_str(j, "content"),
	                    "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	cJSON_Delete(j);
	chat_msg_free(&m);

	/* Buttons with an unusable custom id are left out, not altered; an
	 * unknown style is secondary. */
	char *long_id = repeat("x", DC_CUSTOM_ID_MAX + 1);
	chat_msg_button(&m, "No id", "", STYLE_PRIMARY);
	chat_msg_button(&m, "Too long", long_id, STYLE_PRIMARY);
	chat_msg_button(&m, "Fine", "sb1:h:1", 17);
	j = body(dc_render_message(&m, NULL));
	assert_int_equal(cJSON_GetArraySize(at(j, "components")), 1);
	assert_int_equal(cJSON_GetArraySize(at(j, "components.0.components")), 1);
	assert_string_equal(at_str(j, "components.0.components.0.label"), "Fine");
	assert_int_equal(at_num(j, "components.0.components.0.style"), 2);
	cJSON_Delete(j);
	free(long_id);
	chat_msg_free(&m);
}

/* Asserts s is a proper cut: within max code points, well-formed, marked. */
static void assert_cut(const char *s, size_t max)
{
	assert_utf8(s);
	if (chars(s) > max)
		fail_msg("%zu characters, max %zu", chars(s), max);
	if (!ends_with(s, DC_CUT_MARK))
		fail_msg("no cut marker at the end of \"...%s\"", s + strlen(s) - 20);
}

static void limits_content(void **state)
{
	(void)state;
	struct chat_msg m = {0};
	/* Exactly 2000: unchanged. */
	m.text = repeat("x", DC_CONTENT_MAX);
	cJSON *j = body(dc_render_message(&m, NULL));
	assert_string_equal(at_str(j, "content"), m.text);
	cJSON_Delete(j);
	chat_msg_free(&m);

	/* Multibyte characters across the cut, at every alignment. */
	for (size_t pad = 0; pad < 4; pad++) {
		char *a = repeat("a", 1990 + pad), *b = repeat("\xf0\x9f\x99\x82\xc3\xa9", 20);
		m.text = fmt("%s%s", a, b);
		j = body(dc_render_message(&m, NULL));
		assert_cut(at_str(j, "content"), DC_CONTENT_MAX);
		cJSON_Delete(j);
		free(a);
		free(b);
		chat_msg_free(&m);
	}

	/* One word of 3000 letters: a hard cut right at the limit. */
	m.text = repeat("\xc3\xa9", 3000);
	j = body(dc_render_message(&m, NULL));
	assert_cut(at_str(j, "content"), DC_CONTENT_MAX);
	assert_int_equal(chars(at_str(j, "content")), DC_CONTENT_MAX);
	cJSON_Delete(j);
	chat_msg_free(&m);

	/* Words: cut before a space, not inside a word. */
	m.text = repeat("word ", 500);
	j = body(dc_render_message(&m, NULL));
	const char *c = at_str(j, "content");
	assert_cut(c, DC_CONTENT_MAX);
	assert_true(ends_with(c, "word" DC_CUT_MARK));
	cJSON_Delete(j);
	chat_msg_free(&m);

	/* A cut inside a code block closes the fence before the marker. */
	char *code = repeat("x = compute(x)\n", 200);
	m.text = fmt("Look:\n```python\n%s```\nDone.", code);
	j = body(dc_render_message(&m, NULL));
	c = at_str(j, "content");
	assert_cut(c, DC_CONTENT_MAX);
	assert_true(ends_with(c, "\n```\n" DC_CUT_MARK));
	size_t fences = 0;
	for (const char *p = c; (p = strstr(p, "```")); p += 3)
		fences++;
	assert_int_equal(fences % 2, 0);
	cJSON_Delete(j);
	free(code);
	chat_msg_free(&m);

	/* A code block closed before the cut is left alone. */
	char *prose = repeat("and more prose ", 200);
	m.text = fmt("```\ncode\n```\n%s", prose);
	j = body(dc_render_message(&m, NULL));
	c = at_str(j, "content");
	assert_cut(c, DC_CONTENT_MAX);
	assert_false(ends_with(c, "```\n" DC_CUT_MARK));
	cJSON_Delete(j);
	free(prose);
	chat_msg_free(&m);
}

static void limits_embed(void **state)
{
	(void)state;
	struct chat_msg m = {0};
	m.title = repeat("T\xc3\xa9", 200);
	m.text = repeat("d\xe2\x82\xac ", 2000);
	m.footer = repeat("f", 3000);
	cJSON *j = body(dc_render_message(&m, NULL));
	assert_cut(at_str(j, "embeds.0.title"), DC_EMBED_TITLE_MAX);
	assert_cut(at_str(j, "embeds.0.description"), DC_EMBED_DESC_MAX);
	assert_cut(at_str(j, "embeds.0.footer.text"), DC_FOOTER_MAX);
	size_t total = chars(at_str(j, "embeds.0.title")) +
	               chars(at_str(j, "embeds.0.description")) +
	               chars(at_str(j, "embeds.0.footer.text"));
	assert_true(total <= DC_EMBED_TOTAL_MAX);
	cJSON_Delete(j);
	chat_msg_free(&m);

	/* A reveal: 25 answers of 2000 characters. Each is cut to its field's
	 * 1024, then all to one common length so the total fits 6000; the
	 * short texts (title, names) stay whole. */
	m.title = xstrdup("Round 12 · the answers");
	m.text = xstrdup("Rate each answer from 1 to 5.");
	for (int i = 0; i < CHAT_MAX_FIELDS; i++) {
		char name[32];
		snprintf(name, sizeof name, "Answer %c", 'A' + i);
		char *v = repeat("\xc3\xbc", 2000);
		chat_msg_field(&m, name, v);
		free(v);
	}
	j = body(dc_render_message(&m, NULL));
	assert_string_equal(at_str(j, "embeds.0.title"), "Round 12 · the answers");
	assert_string_equal(at_str(j, "embeds.0.description"), m.text);
	total = chars(m.title) + chars(m.text);
	size_t first = 0;
	for (int i = 0; i < CHAT_MAX_FIELDS; i++) {
		char path[64];
		snprintf(path, sizeof path, "embeds.0.fields.%d.name", i);
		assert_string_equal(at_str(j, path), m.fields[i].name);
		total += chars(at_str(j, path));
		snprintf(path, sizeof path, "embeds.0.fields.%d.value", i);
		const char *v = at_str(j, path);
		assert_cut(v, DC_FIELD_VALUE_MAX);
		if (i == 0)
			first = chars(v);
		assert_int_equal(chars(v), first); /* a fair share each */
		total += chars(v);
	}
	assert_true(total <= DC_EMBED_TOTAL_MAX);
	assert_true(total > DC_EMBED_TOTAL_MAX - 2 * CHAT_MAX_FIELDS);
	cJSON_Delete(j);
	chat_msg_free(&m);

	/* One long field value, one long name. */
	char *name = repeat("n", 300), *value = repeat("v", 1500);
	chat_msg_field(&m, name, value);
	j = body(dc_render_message(&m, NULL));
	assert_cut(at_str(j, "embeds.0.fields.0.name"), DC_FIELD_NAME_MAX);
	assert_cut(at_str(j, "embeds.0.fields.0.value"), DC_FIELD_VALUE_MAX);
	cJSON_Delete(j);
	free(name);
	free(value);
	chat_msg_free(&m);
}

static void limits_buttons(void **state)
{
	(void)state;
	struct chat_msg m = {0};
	m.text = xstrdup("Rate the answers");
	char *label = repeat("L\xc3\xa9", 60);
	for (int i = 0; i < CHAT_MAX_BUTTONS; i++) {
		char id[32];
		snprintf(id, sizeof id, "sb1:r:%d:%d", 100 + i / 5, 1 + i % 5);
		chat_msg_button(&m, i == 0 ? label : "3", id, STYLE_SECONDARY);
	}
	cJSON *j = body(dc_render_message(&m, NULL));
	const cJSON *rows = at(j, "components");
	assert_int_equal(cJSON_GetArraySize(rows), DC_ROWS_MAX);
	for (int r = 0; r < DC_ROWS_MAX; r++)
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, r),
		                                                        "components")),
		                 DC_BUTTONS_PER_ROW);
	assert_cut(at_str(j, "components.0.components.0.label"), DC_LABEL_MAX);
	assert_string_equal(at_str(j, "components.4.components.4.custom_id"), "sb1:r:104:5");
	cJSON_Delete(j);
	free(label);
	chat_msg_free(&m);
}

static void render_replies(void **state)
{
	(void)state;
	struct action a = {.type = ACT_REPLY};
	a.msg.text = xstrdup("Saved. You can edit your answer until 19:00.");
	cJSON *j = body(dc_render_reply(&a));
	assert_int_equal(at_num(j, "type"), 4);
	assert_int_equal(at_num(j, "data.flags"), 64);
	assert_string_equal(at_str(j, "data.content"), a.msg.text);
	assert_int_equal(cJSON_GetArraySize(at(j, "data.allowed_mentions.parse")), 0);
	assert_null(at(j, "data.nonce")); /* not a field of interaction responses */
	cJSON_Delete(j);

	a.public_reply = true;
	a.msg.title = xstrdup("Leaderboard · this week");
	j = body(dc_render_reply(&a));
	assert_int_equal(at_num(j, "type"), 4);
	assert_null(at(j, "data.flags"));
	assert_string_equal(at_str(j, "data.embeds.0.title"), "Leaderboard · this week");
	assert_string_equal(at_str(j, "data.embeds.0.description"), a.msg.text);
	cJSON_Delete(j);
	action_free(&a);

	/* A form action renders as the modal. */
	a.type = ACT_FORM;
	a.form.id = xstrdup("sb1:fa:3");
	a.form.title = xstrdup("Your answer");
	chat_form_input(&a.form, "answer", "Answer");
	j = body(dc_render_reply(&a));
	assert_int_equal(at_num(j, "type"), 9);
	cJSON_Delete(j);
	action_free(&a);
}

static void render_forms(void **state)
{
	(void)state;
	struct chat_form f = {0};
	f.id = xstrdup("sb1:fa:42");
	f.title = xstrdup("Your answer to the question about Django querysets");
	struct chat_input *in1 = chat_form_input(&f, "answer",
	                                         "Your answer to the question about "
	                                         "select_related");
	in1->multiline = true;
	in1->min_len = 1;
	in1->max_len = 9000;
	in1->value = repeat("\xc3\xa4 @everyone ", 500);
	in1->placeholder = repeat("What does select_related do? ", 10);
	struct chat_input *in2 = chat_form_input(&f, "topic", "Topic");
	in2->max_len = 40;
	in2->min_len = 99;
	in2->required = false;
	cJSON *j = body(dc_render_form(&f));
	assert_int_equal(at_num(j, "type"), 9);
	assert_string_equal(at_str(j, "data.custom_id"), "sb1:fa:42");
	assert_cut(at_str(j, "data.title"), DC_MODAL_TITLE_MAX);
	assert_int_equal(cJSON_GetArraySize(at(j, "data.components")), 2);
	const cJSON *t = at(j, "data.components.0.components.0");
	assert_int_equal(at_num(j, "data.components.0.type"), 1);
	assert_int_equal(at_num(t, "type"), 4);
	assert_string_equal(at_str(t, "custom_id"), "answer");
	assert_int_equal(at_num(t, "style"), 2);
	assert_cut(at_str(t, "label"), DC_INPUT_LABEL_MAX);
	assert_int_equal(at_num(t, "min_length"), 1);
	assert_int_equal(at_num(t, "max_length"), DC_INPUT_MAX);
	assert_true(cJSON_IsTrue(at(t, "required")));
	/* The member's own text, not defused, cut to what the input holds. */
	const char *v = at_str(t, "value");
	assert_cut(v, DC_INPUT_MAX);
	assert_non_null(strstr(v, " @everyone "));
	assert_cut(at_str(t, "placeholder"), DC_PLACEHOLDER_MAX);
	t = at(j, "data.components.1.components.0");
	assert_int_equal(at_num(t, "style"), 1);
	assert_int_equal(at_num(t, "max_length"), 40);
	assert_int_equal(at_num(t, "min_length"), 40); /* clamped to max_length */
	assert_true(cJSON_IsFalse(at(t, "required")));
	assert_null(at(t, "value"));
	assert_null(at(t, "placeholder"));
	cJSON_Delete(j);

	/* A form Discord would refuse is not rendered. */
	free(f.id);
	f.id = xstrdup("");
	assert_null(dc_render_form(&f));
	chat_form_free(&f);
	f.id = xstrdup("sb1:fq");
	f.title = xstrdup("Add");
	assert_null(dc_render_form(&f));
	chat_form_free(&f);
}

static void render_commands(void **state)
{
	(void)state;
	cJSON *j = body(dc_render_commands());
	assert_true(cJSON_IsArray(j));
	assert_int_equal(cJSON_GetArraySize(j), 1);
	assert_string_equal(at_str(j, "0.name"), "study");
	assert_int_equal(at_num(j, "0.type"), 1);
	static const char *const subs[] = {
	    "answer", "leaderboard", "stats",  "practice", "remind", "setup",    "post",
	    "skip",   "pause",       "resume", "add",      "export", "forget-me"};
	const cJSON *opts = at(j, "0.options");
	assert_int_equal(cJSON_GetArraySize(opts), sizeof subs / sizeof subs[0]);
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		const cJSON *s = cJSON_GetArrayItem(opts, (int)i);
		assert_string_equal(at_str(s, "name"), subs[i]);
		assert_int_equal(at_num(s, "type"), 1);
		size_t d = chars(at_str(s, "description"));
		assert_true(d >= 1 && d <= 100);
	}
	/* leaderboard [period: choices] [topic] */
	assert_string_equal(at_str(opts, "1.options.0.name"), "period");
	assert_int_equal(at_num(opts, "1.options.0.type"), 3);
	assert_null(at(opts, "1.options.0.required"));
	assert_string_equal(at_str(opts, "1.options.0.choices.0.value"), "day");
	assert_string_equal(at_str(opts, "1.options.0.choices.3.value"), "all");
	assert_string_equal(at_str(opts, "1.options.1.name"), "topic");
	/* stats [user: USER] */
	assert_string_equal(at_str(opts, "2.options.0.name"), "user");
	assert_int_equal(at_num(opts, "2.options.0.type"), 6);
	/* remind state: on/off, required */
	assert_true(cJSON_IsTrue(at(opts, "4.options.0.required")));
	assert_string_equal(at_str(opts, "4.options.0.choices.0.value"), "on");
	assert_string_equal(at_str(opts, "4.options.0.choices.1.value"), "off");
	/* setup: channel (CHANNEL), time, timezone required first; then the rest */
	static const struct {
		const char *name;
		int type;
		bool required;
	} setup[] = {{"channel", 7, true}, {"time", 3, true},        {"timezone", 3, true},
	             {"topics", 3, false}, {"difficulty", 3, false}, {"mode", 3, false}};
	const cJSON *so = at(opts, "5.options");
	assert_int_equal(cJSON_GetArraySize(so), 6);
	for (int i = 0; i < 6; i++) {
		const cJSON *o = cJSON_GetArrayItem(so, i);
		assert_string_equal(at_str(o, "name"), setup[i].name);
		assert_int_equal(at_num(o, "type"), setup[i].type);
		assert_int_equal(cJSON_IsTrue(at(o, "required")), setup[i].required);
	}
	assert_string_equal(at_str(so, "5.choices.0.value"), "modal");
	assert_string_equal(at_str(so, "5.choices.1.value"), "thread");
	assert_null(at(opts, "12.options"));
	cJSON_Delete(j);
}

static void render_multipart(void **state)
{
	(void)state;
	struct chat_msg m = {0};
	assert_false(dc_render_needs_multipart(&m));
	m.text = xstrdup("Answers as CSV.");
	const char csv[] = "round,member,text\r\n1,7,\"a\0b\"\r\n";
	chat_msg_file(&m, "answers.csv", csv, sizeof csv - 1);
	chat_msg_file(&m, "../evil \"name\".csv", "x", 1);
	assert_true(dc_render_needs_multipart(&m));
	size_t len = 0;
	char *s = dc_render_multipart(&m, "n-1", "sbBOUNDARY", &len);
	assert_non_null(s);
	assert_true(len > strlen(s)); /* the file's NUL byte is in the body */
	const char head[] = "--sbBOUNDARY\r\nContent-Disposition: form-data; "
	                    "name=\"payload_json\"\r\nContent-Type: application/json\r\n\r\n";
	assert_memory_equal(s, head, sizeof head - 1);
	const char *json = s + sizeof head - 1;
	char *end = strstr(json, "\r\n--sbBOUNDARY\r\n");
	assert_non_null(end);
	cJSON *j = cJSON_ParseWithLength(json, (size_t)(end - json));
	assert_non_null(j);
	assert_string_equal(at_str(j, "content"), "Answers as CSV.");
	assert_string_equal(at_str(j, "nonce"), "n-1");
	assert_string_equal(at_str(j, "attachments.0.id"), "0");
	assert_string_equal(at_str(j, "attachments.0.filename"), "answers.csv");
	assert_string_equal(at_str(j, "attachments.1.id"), "1");
	assert_string_equal(at_str(j, "attachments.1.filename"), ".._evil__name_.csv");
	cJSON_Delete(j);
	const char part0[] = "--sbBOUNDARY\r\nContent-Disposition: form-data; name=\"files[0]\"; "
	                     "filename=\"answers.csv\"\r\nContent-Type: text/csv; "
	                     "charset=utf-8\r\n\r\n";
	char *p0 = strstr(end, part0);
	assert_non_null(p0);
	assert_memory_equal(p0 + sizeof part0 - 1, csv, sizeof csv - 1);
	assert_true(mem_has(s, len,
	                    "\r\n--sbBOUNDARY\r\nContent-Disposition: form-data; "
	                    "name=\"files[1]\"; filename=\".._evil__name_.csv\"\r\n"
	                    "Content-Type: text/csv; charset=utf-8\r\n\r\nx\r\n"));
	const char tail[] = "\r\n--sbBOUNDARY--\r\n";
	assert_memory_equal(s + len - (sizeof tail - 1), tail, sizeof tail - 1);
	free(s);

	/* A boundary that occurs in a part, or is malformed, is refused. */
	assert_null(dc_render_multipart(&m, NULL, "member", &len));
	assert_null(dc_render_multipart(&m, NULL, "CSV.", &len));
	assert_null(dc_render_multipart(&m, NULL, "", &len));
	assert_null(dc_render_multipart(&m, NULL, "bad\"quote", &len));
	char *b71 = repeat("b", 71);
	assert_null(dc_render_multipart(&m, NULL, b71, &len));
	free(b71);

	/* An export is a reply with files. */
	struct action a = {.type = ACT_REPLY};
	a.msg = m;
	s = dc_render_reply_multipart(&a, "sbBOUNDARY", &len);
	assert_non_null(s);
	json = s + sizeof head - 1;
	end = strstr(json, "\r\n--sbBOUNDARY\r\n");
	j = cJSON_ParseWithLength(json, (size_t)(end - json));
	assert_int_equal(at_num(j, "type"), 4);
	assert_int_equal(at_num(j, "data.flags"), 64);
	assert_string_equal(at_str(j, "data.attachments.1.id"), "1");
	cJSON_Delete(j);
	free(s);

	/* A file past Discord's upload cap is not sent. */
	free(a.msg.files[1].data);
	a.msg.files[1].data = xcalloc(DC_FILE_MAX + 1, 1);
	a.msg.files[1].len = DC_FILE_MAX + 1;
	assert_null(dc_render_reply_multipart(&a, "sbBOUNDARY", &len));
	action_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(command_with_options),
	    cmocka_unit_test(command_option_types),
	    cmocka_unit_test(button),
	    cmocka_unit_test(modal_submit),
	    cmocka_unit_test(dm_without_member),
	    cmocka_unit_test(in_a_thread),
	    cmocka_unit_test(ping_and_others),
	    cmocka_unit_test(garbled_interactions),
	    cmocka_unit_test(not_nul_terminated),
	    cmocka_unit_test(huge_values),
	    cmocka_unit_test(message_in_thread),
	    cmocka_unit_test(messages_not_for_us),
	    cmocka_unit_test(garbled_messages),
	    cmocka_unit_test(render_question),
	    cmocka_unit_test(render_mapping),
	    cmocka_unit_test(limits_content),
	    cmocka_unit_test(limits_embed),
	    cmocka_unit_test(limits_buttons),
	    cmocka_unit_test(render_replies),
	    cmocka_unit_test(render_forms),
	    cmocka_unit_test(render_commands),
	    cmocka_unit_test(render_multipart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
