#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "util/buf.h"
#include "util/duration.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/tz.h"

enum section { SEC_BOT, SEC_DISCORD, SEC_SLACK, SEC_SCORING, SEC_CHANNEL, SEC_COUNT };

static const char *const section_names[SEC_COUNT] = {"bot", "discord", "slack", "scoring",
                                                     "channel \"NAME\""};

enum key_type {
	K_STR,    /* non-empty text */
	K_ENUM,   /* one of names[] -> int index */
	K_INT,    /* whole number in [min, max] */
	K_DUR,    /* duration in [min, max] seconds */
	K_SCHED,  /* struct schedule */
	K_TZ,     /* IANA zone name */
	K_SLUGS,  /* comma list of topic slugs -> char **, size_t */
	K_IDS,    /* comma list of platform user ids -> char **, size_t */
	K_DIFF,   /* "1-3" or "2" -> int, int */
	K_ENV,    /* environment variable name */
	K_URL,    /* http:// or https:// */
	K_U64,    /* decimal snowflake, 0 allowed */
	K_SHARD,  /* "auto" or "ID/COUNT" -> int, int */
	K_LISTEN, /* "" or HOST:PORT */
	K_CHANID, /* platform channel id; the platform check runs after parsing */
};

struct cfg_key {
	enum section sec;
	const char *name;
	enum key_type type;
	size_t off, off2; /* into struct config, or struct cfg_channel for SEC_CHANNEL */
	long min, max;
	const char *def; /* parsed like a file value; NULL = no default */
	const char *const *names;
};

static const char *const platform_names[] = {"discord", "slack", NULL};
static const char *const loglevel_names[] = {"debug", "info", "warn", "error", NULL};
static const char *const compress_names[] = {"none", "zlib-stream", NULL};
static const char *const mode_names[] = {"modal", "thread", NULL};

#define C(f)  offsetof(struct config, f)
#define CH(f) offsetof(struct cfg_channel, f)
#define DAY   86400L

/* SPEC §3, one row a key. */
static const struct cfg_key keys[] = {
    {SEC_BOT, "platform", K_ENUM, C(platform), 0, 0, 0, "discord", platform_names},
    {SEC_BOT, "database", K_STR, C(database), 0, 0, 0, "studybot.db", NULL},
    {SEC_BOT, "questions", K_STR, C(questions), 0, 0, 0, "questions", NULL},
    {SEC_BOT, "http_listen", K_LISTEN, C(http_listen), 0, 0, 0, "127.0.0.1:8080", NULL},
    {SEC_BOT, "log_level", K_ENUM, C(log_level), 0, 0, 0, "info", loglevel_names},

    {SEC_DISCORD, "token_env", K_ENV, C(discord.token_env), 0, 0, 0, "DISCORD_TOKEN", NULL},
    {SEC_DISCORD, "application_id", K_U64, C(discord.application_id), 0, 0, 0, "0", NULL},
    {SEC_DISCORD, "api_base", K_URL, C(discord.api_base), 0, 0, 0, "https://discord.com/api/v10",
     NULL},
    {SEC_DISCORD, "shard", K_SHARD, C(discord.shard_id), C(discord.shard_count), 0, 0, "auto",
     NULL},
    {SEC_DISCORD, "compress", K_ENUM, C(discord.compress), 0, 0, 0, "zlib-stream", compress_names},

    {SEC_SLACK, "app_token_env", K_ENV, C(slack.app_token_env), 0, 0, 0, "SLACK_APP_TOKEN", NULL},
    {SEC_SLACK, "bot_token_env", K_ENV, C(slack.bot_token_env), 0, 0, 0, "SLACK_BOT_TOKEN", NULL},
    {SEC_SLACK, "api_base", K_URL, C(slack.api_base), 0, 0, 0, "https://slack.com/api", NULL},
    {SEC_SLACK, "connections", K_INT, C(slack.connections), 0, 1, 10, "1", NULL},
    {SEC_SLACK, "admins", K_IDS, C(slack.admins), C(slack.nadmins), 0, 0, "", NULL},

    {SEC_SCORING, "answer", K_INT, C(scoring.answer), 0, 0, 1000, "10", NULL},
    {SEC_SCORING, "peer_max", K_INT, C(scoring.peer_max), 0, 0, 1000, "10", NULL},
    {SEC_SCORING, "review", K_INT, C(scoring.review), 0, 0, 100, "1", NULL},
    {SEC_SCORING, "review_cap", K_INT, C(scoring.review_cap), 0, 0, 100, "3", NULL},
    {SEC_SCORING, "mcq", K_INT, C(scoring.mcq), 0, 0, 1000, "10", NULL},
    {SEC_SCORING, "streak", K_INT, C(scoring.streak), 0, 0, 100, "1", NULL},
    {SEC_SCORING, "streak_cap", K_INT, C(scoring.streak_cap), 0, 0, 365, "7", NULL},
    {SEC_SCORING, "hint", K_INT, C(scoring.hint), 0, -1000, 0, "-3", NULL},
    {SEC_SCORING, "key_points", K_INT, C(scoring.key_points), 0, 0, 1000, "5", NULL},

    {SEC_CHANNEL, "id", K_CHANID, CH(id), 0, 0, 0, NULL, NULL},
    {SEC_CHANNEL, "schedule", K_SCHED, CH(schedule), 0, 0, 0, "09:00", NULL},
    {SEC_CHANNEL, "timezone", K_TZ, CH(timezone), 0, 0, 0, "UTC", NULL},
    {SEC_CHANNEL, "topics", K_SLUGS, CH(topics), CH(ntopics), 0, 0, "", NULL},
    {SEC_CHANNEL, "difficulty", K_DIFF, CH(diff_min), CH(diff_max), 0, 0, "1-3", NULL},
    {SEC_CHANNEL, "answer_window", K_DUR, CH(answer_window), 0, 60, 7 * DAY, "10h", NULL},
    {SEC_CHANNEL, "review_window", K_DUR, CH(review_window), 0, 60, 7 * DAY, "12h", NULL},
    {SEC_CHANNEL, "answer_mode", K_ENUM, CH(answer_mode), 0, 0, 0, "modal", mode_names},
    {SEC_CHANNEL, "remind_before", K_DUR, CH(remind_before), 0, 0, 7 * DAY, "2h", NULL},
};
#define NKEYS (sizeof keys / sizeof keys[0])

struct parse_ctx {
	struct config *c;
	struct diags *d;
	const char *path;
	const char *p, *end;                /* unread part of the document */
	int line;                           /* line number of the last line handed to inih */
	int section_line;                   /* line of the last [section] header */
	unsigned long long seen[SEC_COUNT]; /* keys set in the global sections */
	unsigned long long *chan_seen;      /* per channel, parallel to c->channels */
	char last_bad_section[128];
	bool have_bad_section;
};

const char *cfg_platform_name(enum cfg_platform p)
{
	return platform_names[p == PLATFORM_SLACK];
}

const char *cfg_answer_mode_name(enum cfg_answer_mode m)
{
	return mode_names[m == ANSWER_THREAD];
}

const char *cfg_env_token(const char *env_name)
{
	const char *v = env_name ? getenv(env_name) : NULL;
	return v && *v ? v : NULL;
}

/* ---- value parsers: write the value at base+off, or explain in err ---- */

static char **parse_list(struct arena *a, const char *val, size_t *count)
{
	size_t n = 0, cap = 1;
	for (const char *p = val; *p; p++)
		if (*p == ',')
			cap++;
	char **v = arena_alloc(a, cap * sizeof *v);
	const char *p = val;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *s = p;
		str_trim_span(&s, &len);
		if (len)
			v[n++] = arena_strndup(a, s, len);
		if (!comma)
			break;
		p = comma + 1;
	}
	*count = n;
	return v;
}

static bool url_ok(const char *v)
{
	const char *rest;
	if (str_starts(v, "https://"))
		rest = v + 8;
	else if (str_starts(v, "http://"))
		rest = v + 7;
	else
		return false;
	if (!*rest || *rest == '/')
		return false;
	for (const char *p = v; *p; p++)
		if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20)
			return false;
	return true;
}

static bool listen_ok(const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon || colon == v)
		return false;
	long port;
	/* Port 0: the system picks a free one, and the log says which. */
	if (!str_to_long(colon + 1, 0, 65535, &port))
		return false;
	for (const char *p = v; p < colon; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-[]:", *p))
			return false;
	return true;
}

/* Slack ids: one of `kinds` (U/W users, C/G/D conversations), then
 * capitals and digits. */
static bool slack_id(const char *s, const char *kinds)
{
	size_t n = strlen(s);
	if (n < 3 || n > 32 || !strchr(kinds, s[0]))
		return false;
	for (const char *p = s; *p; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p))
			return false;
	return true;
}

static bool set_value(struct config *c, const struct cfg_key *k, char *base, const char *val,
                      char *err, size_t errsz)
{
	void *at = base + k->off;
	void *at2 = base + k->off2;
	long l;
	switch (k->type) {
	case K_STR:
		if (!*val) {
			snprintf(err, errsz, "must not be empty");
			return false;
		}
		if (strlen(val) > 1024) {
			snprintf(err, errsz, "too long (at most 1024 characters)");
			return false;
		}
		*(char **)at = arena_strdup(&c->arena, val);
		return true;
	case K_ENUM:
		for (int i = 0; k->names[i]; i++) {
			if (str_ieq(val, k->names[i])) {
				*(int *)at = i;
				return true;
			}
		}
		{
			struct buf b;
			buf_init(&b, 256);
			for (int i = 0; k->names[i]; i++)
				buf_printf(&b, "%s%s", i ? " | " : "", k->names[i]);
			snprintf(err, errsz, "'%s' is not one of: %s", val, buf_str(&b));
			buf_free(&b);
		}
		return false;
	case K_INT:
		if (!str_to_long(val, k->min, k->max, &l)) {
			snprintf(err, errsz, "'%s' is not a whole number from %ld to %ld", val,
			         k->min, k->max);
			return false;
		}
		*(int *)at = (int)l;
		return true;
	case K_DUR:
		if (!dur_parse(val, &l)) {
			snprintf(err, errsz,
			         "'%s' is not a duration (a number with a unit s, m, h or d: "
			         "\"45s\", \"90m\", \"10h\", \"2d\", \"1h30m\")",
			         val);
			return false;
		}
		if (l < k->min || l > k->max) {
			char a[32], b[32];
			snprintf(err, errsz, "'%s' is out of range (%s to %s)", val,
			         dur_format(k->min, a, sizeof a), dur_format(k->max, b, sizeof b));
			return false;
		}
		*(long *)at = l;
		return true;
	case K_SCHED: {
		char why[160];
		if (!sched_parse(val, (struct schedule *)at, why, sizeof why)) {
			snprintf(err, errsz, "%s", why);
			return false;
		}
		return true;
	}
	case K_TZ:
		if (!tz_valid(val)) {
			snprintf(err, errsz,
			         "'%s' is not a time zone of the system's zone database "
			         "(an IANA name such as Europe/Berlin, America/New_York or UTC)",
			         val);
			return false;
		}
		*(char **)at = arena_strdup(&c->arena, val);
		return true;
	case K_SLUGS:
	case K_IDS: {
		size_t n;
		char **v = parse_list(&c->arena, val, &n);
		for (size_t i = 0; i < n; i++) {
			bool ok;
			if (k->type == K_SLUGS) {
				ok = str_is_slug(v[i], 64);
			} else {
				ok = slack_id(v[i], "UW");
			}
			if (!ok) {
				snprintf(err, errsz, "'%s' is not %s", v[i],
				         k->type == K_SLUGS
				             ? "a topic slug (a question file's name without .md: "
				               "lowercase letters, digits and -)"
				             : "a Slack user id (U or W followed by capitals and "
				               "digits)");
				return false;
			}
		}
		*(char ***)at = v;
		*(size_t *)at2 = n;
		return true;
	}
	case K_DIFF: {
		long a, b;
		const char *dash = strchr(val, '-');
		bool ok;
		if (dash) {
			char lo[16];
			size_t n = (size_t)(dash - val);
			ok = n < sizeof lo;
			if (ok) {
				memcpy(lo, val, n);
				lo[n] = '\0';
				ok = str_to_long(str_trim(lo), 1, 3, &a) &&
				     str_to_long(dash + 1, 1, 3, &b) && a <= b;
			}
		} else {
			ok = str_to_long(val, 1, 3, &a);
			b = a;
		}
		if (!ok) {
			snprintf(err, errsz,
			         "'%s' is not a difficulty or range of 1 (easy) to 3 (hard), e.g. "
			         "\"2\" or \"1-3\"",
			         val);
			return false;
		}
		*(int *)at = (int)a;
		*(int *)at2 = (int)b;
		return true;
	}
	case K_ENV: {
		bool ok = *val && !isdigit((unsigned char)*val) && strlen(val) <= 128;
		for (const char *p = val; ok && *p; p++)
			ok = isalnum((unsigned char)*p) || *p == '_';
		if (!ok) {
			snprintf(
			    err, errsz,
			    "'%s' is not an environment variable name (letters, digits and _); "
			    "put the token itself in the environment, never in this file",
			    val);
			return false;
		}
		*(char **)at = arena_strdup(&c->arena, val);
		return true;
	}
	case K_URL:
		if (!url_ok(val) || strlen(val) > 512) {
			snprintf(err, errsz, "'%s' is not an http:// or https:// URL", val);
			return false;
		}
		{
			/* one canonical form: no trailing slash, so paths join cleanly */
			char *u = arena_strdup(&c->arena, val);
			size_t n = strlen(u);
			while (n > 0 && u[n - 1] == '/')
				u[--n] = '\0';
			*(char **)at = u;
		}
		return true;
	case K_U64: {
		unsigned long long v;
		if (!str_to_u64(val, &v)) {
			snprintf(err, errsz,
			         "'%s' is not a numeric id (digits only; 0 = take it from READY)",
			         val);
			return false;
		}
		*(unsigned long long *)at = v;
		return true;
	}
	case K_SHARD: {
		if (str_ieq(val, "auto")) {
			*(int *)at = -1;
			*(int *)at2 = -1;
			return true;
		}
		long id, count;
		const char *slash = strchr(val, '/');
		char lo[16];
		bool ok = slash && (size_t)(slash - val) < sizeof lo;
		if (ok) {
			memcpy(lo, val, (size_t)(slash - val));
			lo[slash - val] = '\0';
			ok = str_to_long(lo, 0, 65535, &id) &&
			     str_to_long(slash + 1, 1, 65536, &count) && id < count;
		}
		if (!ok) {
			snprintf(err, errsz,
			         "'%s' is not \"auto\" or \"ID/COUNT\" with 0 <= ID < COUNT, e.g. "
			         "\"0/2\"",
			         val);
			return false;
		}
		*(int *)at = (int)id;
		*(int *)at2 = (int)count;
		return true;
	}
	case K_LISTEN:
		if (*val && !listen_ok(val)) {
			snprintf(err, errsz,
			         "'%s' is not HOST:PORT (e.g. 127.0.0.1:8080), or empty for off",
			         val);
			return false;
		}
		*(char **)at = arena_strdup(&c->arena, val);
		return true;
	case K_CHANID: {
		bool ok = *val && strlen(val) <= 32;
		for (const char *p = val; ok && *p; p++)
			ok = isalnum((unsigned char)*p);
		if (!ok) {
			snprintf(err, errsz, "'%s' is not a channel id", val);
			return false;
		}
		*(char **)at = arena_strdup(&c->arena, val);
		return true;
	}
	}
	return false;
}

/* ---- sections ---- */

/* Lines the checks after parsing (and `studybot check`) point at. */
static void note_line(struct cfg_channel *ch, const struct cfg_key *k, int line)
{
	if (k->off == offsetof(struct cfg_channel, id))
		ch->id_line = line;
	else if (k->off == offsetof(struct cfg_channel, topics))
		ch->topics_line = line;
	else if (k->off == offsetof(struct cfg_channel, remind_before))
		ch->remind_line = line;
}

static void channel_defaults(struct config *c, struct cfg_channel *ch)
{
	char err[256];
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec == SEC_CHANNEL && keys[i].def)
			set_value(c, &keys[i], (char *)ch, keys[i].def, err, sizeof err);
}

void cfg_init(struct config *c)
{
	memset(c, 0, sizeof *c);
	arena_init(&c->arena);
	c->path = "";
	char err[256];
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec != SEC_CHANNEL && keys[i].def)
			set_value(c, &keys[i], (char *)c, keys[i].def, err, sizeof err);
}

void cfg_free(struct config *c)
{
	free(c->channels);
	arena_free(&c->arena);
	memset(c, 0, sizeof *c);
}

/* Accepts `channel "name"` (and, forgivingly, `channel name`). */
static bool channel_section(const char *section, char *name, size_t namesz)
{
	if (strncmp(section, "channel", 7) != 0 || !isspace((unsigned char)section[7]))
		return false;
	const char *p = section + 7;
	while (isspace((unsigned char)*p))
		p++;
	size_t n = strlen(p);
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		p++;
		n -= 2;
	}
	if (n == 0 || n >= namesz)
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	return true;
}

static struct cfg_channel *channel_get(struct parse_ctx *x, const char *name, size_t *idx)
{
	struct config *c = x->c;
	for (size_t i = 0; i < c->nchannels; i++) {
		if (strcmp(c->channels[i].name, name) == 0) {
			*idx = i;
			return &c->channels[i];
		}
	}
	if (c->nchannels >= CFG_MAX_CHANNELS)
		return NULL;
	c->channels = xrealloc(c->channels, (c->nchannels + 1) * sizeof *c->channels);
	x->chan_seen = xrealloc(x->chan_seen, (c->nchannels + 1) * sizeof *x->chan_seen);
	struct cfg_channel *ch = &c->channels[c->nchannels];
	memset(ch, 0, sizeof *ch);
	ch->name = arena_strdup(&c->arena, name);
	ch->line = x->section_line ? x->section_line : x->line;
	channel_defaults(c, ch);
	x->chan_seen[c->nchannels] = 0;
	*idx = c->nchannels++;
	return ch;
}

static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 31 || lb > 31)
		return 99;
	int d[32][32];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int sub = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) !=
			                             tolower((unsigned char)b[j - 1]));
			int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			int m = sub < del ? sub : del;
			d[i][j] = m < ins ? m : ins;
		}
	}
	return d[la][lb];
}

static void unknown_key(struct parse_ctx *x, enum section sec, const char *secname,
                        const char *name)
{
	const char *best = NULL;
	int bestd = 3;
	struct buf known;
	buf_init(&known, 1024);
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].sec != sec)
			continue;
		buf_printf(&known, "%s%s", known.len ? ", " : "", keys[i].name);
		int dist = edit_distance(name, keys[i].name);
		if (dist < bestd) {
			bestd = dist;
			best = keys[i].name;
		}
	}
	if (best)
		diag_add(x->d, x->path, x->line, "[%s] %s: unknown key (did you mean '%s'?)",
		         secname, name, best);
	else
		diag_add(x->d, x->path, x->line, "[%s] %s: unknown key (known keys: %s)", secname,
		         name, buf_str(&known));
	buf_free(&known);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *x = user;
	struct config *c = x->c;
	enum section sec = SEC_COUNT;
	for (int i = 0; i < SEC_CHANNEL; i++)
		if (strcmp(section, section_names[i]) == 0)
			sec = (enum section)i;
	char chname[96];
	char *base = (char *)c;
	unsigned long long *seen = NULL;
	if (sec == SEC_COUNT && channel_section(section, chname, sizeof chname)) {
		size_t idx;
		struct cfg_channel *ch = channel_get(x, chname, &idx);
		if (!ch) {
			diag_add(x->d, x->path, x->line, "too many channel sections (at most %d)",
			         CFG_MAX_CHANNELS);
			return 0;
		}
		sec = SEC_CHANNEL;
		base = (char *)ch;
		seen = &x->chan_seen[idx];
	} else if (sec != SEC_COUNT) {
		seen = &x->seen[sec];
	}
	if (sec == SEC_COUNT) {
		/* one message per bad section, not one per key in it */
		if (!x->have_bad_section || strcmp(x->last_bad_section, section) != 0) {
			if (section[0])
				diag_add(
				    x->d, x->path, x->line,
				    "[%s]: unknown section (expected [bot], [discord], [slack], "
				    "[scoring] or [channel \"NAME\"])",
				    section);
			else
				diag_add(x->d, x->path, x->line,
				         "%s: key outside any section (put it under [bot], "
				         "[discord], ...)",
				         name);
			snprintf(x->last_bad_section, sizeof x->last_bad_section, "%s", section);
			x->have_bad_section = true;
		}
		return 1; /* reported already; let inih go on */
	}

	const char *secname = sec == SEC_CHANNEL ? section : section_names[sec];
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &keys[i];
		if (k->sec != sec || strcmp(k->name, name) != 0)
			continue;
		unsigned long long bit = 1ULL << i;
		if (*seen & bit) {
			diag_add(
			    x->d, x->path, x->line,
			    "[%s] %s: set twice in this section (an indented line also continues "
			    "the key above it)",
			    secname, name);
			return 1;
		}
		*seen |= bit;
		/* "quoted values" are allowed, as in the examples */
		char val[1100];
		size_t n = strlen(value);
		if (n >= sizeof val) {
			diag_add(x->d, x->path, x->line, "[%s] %s: value too long", secname, name);
			return 1;
		}
		memcpy(val, value, n + 1);
		if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
			memmove(val, val + 1, n - 2);
			val[n - 2] = '\0';
		}
		char err[400];
		if (!set_value(c, k, base, val, err, sizeof err))
			diag_add(x->d, x->path, x->line, "[%s] %s: %s", secname, name, err);
		else if (sec == SEC_CHANNEL)
			note_line((struct cfg_channel *)base, k, x->line);
		return 1;
	}
	unknown_key(x, sec, secname, name);
	return 1;
}

/* inih's reader: hands out one line at a time and counts them, since this
 * inih is built without line numbers for the handler (see NOTES). Lines inih
 * would silently split or reject are reported here, with their number. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *x = stream;
	if (x->p >= x->end)
		return NULL;
	const char *nl = memchr(x->p, '\n', (size_t)(x->end - x->p));
	size_t len = nl ? (size_t)(nl - x->p) + 1 : (size_t)(x->end - x->p);
	const char *line = x->p;
	x->p += len;
	x->line++;

	const char *why = NULL;
	if (len + 1 > (size_t)num)
		why = "line too long (at most 198 characters)";
	else if (memchr(line, '\0', len))
		why = "line contains a NUL byte";
	if (!why) {
		const char *s = line;
		size_t n = len;
		str_trim_span(&s, &n);
		bool blank = n == 0 || *s == ';' || *s == '#';
		bool section = n > 0 && *s == '[';
		bool key = memchr(s, '=', n) || memchr(s, ':', n);
		bool continuation = n > 0 && (line[0] == ' ' || line[0] == '\t');
		if (section && s[n - 1] != ']' && !memchr(s, ']', n))
			why = "section header without a closing ']'";
		else if (section)
			x->section_line = x->line;
		else if (!blank && !section && !key && !continuation)
			why = "expected 'key = value', '[section]' or a ; comment";
	}
	if (why) {
		diag_add(x->d, x->path, x->line, "%s", why);
		memcpy(str, "\n", 2); /* inih sees an empty line and counts it */
		return str;
	}
	memcpy(str, line, len);
	str[len] = '\0';
	return str;
}

static void validate(struct parse_ctx *x)
{
	struct config *c = x->c;
	for (size_t i = 0; i < c->nchannels; i++) {
		struct cfg_channel *ch = &c->channels[i];
		int line = ch->id_line ? ch->id_line : ch->line;
		if (!ch->id) {
			diag_add(x->d, x->path, ch->line,
			         "[channel \"%s\"] id: required (the platform's channel id)",
			         ch->name);
			continue;
		}
		if (c->platform == PLATFORM_DISCORD) {
			unsigned long long v;
			size_t n = strlen(ch->id);
			if (!str_to_u64(ch->id, &v) || n < 17 || n > 20 || v == 0)
				diag_add(x->d, x->path, line,
				         "[channel \"%s\"] id: '%s' is not a Discord channel id (a "
				         "17-20 digit "
				         "snowflake: Developer Mode, right-click the channel, Copy "
				         "Channel ID)",
				         ch->name, ch->id);
		} else {
			if (!slack_id(ch->id, "CGD"))
				diag_add(x->d, x->path, line,
				         "[channel \"%s\"] id: '%s' is not a Slack channel id (C, "
				         "G or D "
				         "followed by capitals and digits, e.g. C0123ABCD)",
				         ch->name, ch->id);
		}
		for (size_t j = 0; j < i; j++) {
			if (c->channels[j].id && strcmp(c->channels[j].id, ch->id) == 0)
				diag_add(x->d, x->path, line,
				         "[channel \"%s\"] id: channel %s is already configured as "
				         "\"%s\"",
				         ch->name, ch->id, c->channels[j].name);
		}
		if (ch->remind_before && ch->remind_before >= ch->answer_window)
			diag_add(x->d, x->path, ch->remind_line ? ch->remind_line : ch->line,
			         "[channel \"%s\"] remind_before: must be shorter than "
			         "answer_window, or 0 "
			         "for off",
			         ch->name);
	}
}

enum sb_rc cfg_parse(struct config *c, const char *path, const char *text, size_t len,
                     struct diags *d)
{
	size_t before = diags_total(d);
	struct parse_ctx x = {.c = c, .d = d, .path = path, .p = text, .end = text + len};
	c->path = arena_strdup(&c->arena, path);
	int r = ini_parse_stream(reader, &x, handler, &x);
	if (r > 0) {
		bool reported = false;
		for (size_t i = before; i < d->n; i++)
			reported |= d->v[i].line == r;
		if (!reported)
			diag_add(d, path, r, "syntax error");
	} else if (r < 0)
		diag_add(d, path, 0, "could not be parsed (out of memory)");
	validate(&x);
	free(x.chan_seen);
	return diags_total(d) == before ? SB_OK : SB_ERR_INVALID;
}

enum sb_rc cfg_load(struct config *c, const char *path, struct diags *d)
{
	struct buf b;
	buf_init(&b, CFG_MAX_BYTES);
	enum sb_rc rc = buf_read_file(&b, path);
	if (rc == SB_ERR_TOOBIG)
		diag_add(d, path, 0, "larger than %d KiB; is this the right file?",
		         CFG_MAX_BYTES / 1024);
	else if (rc != SB_OK)
		diag_add(d, path, 0, "cannot read: %s", strerror(errno));
	else
		rc = cfg_parse(c, path, b.data, b.len, d);
	buf_free(&b);
	return rc;
}
