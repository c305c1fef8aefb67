#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "str.h"

static enum log_level min_level = LOG_INFO;
static FILE *stream;

static const char *const names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (str_ieq(s, names[i]))
			return i;
	return -1;
}

const char *log_level_name(enum log_level l)
{
	return (unsigned)l < 4 ? names[l] : "info";
}

int log_enabled(enum log_level l)
{
	return l >= min_level;
}

void log_set_level(enum log_level l)
{
	min_level = l;
}

void log_set_stream(FILE *f)
{
	stream = f;
}

char *log_quote(char *out, size_t outsz, const char *s)
{
	if (outsz < 8) {
		if (outsz)
			out[0] = '\0';
		return out;
	}
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			plain = false;
	size_t o = 0, lim = outsz - 5; /* room for ...", closing quote and NUL */
	if (!plain)
		out[o++] = '"';
	for (const char *p = s; *p; p++) {
		char esc = 0;
		switch (*p) {
		case '"':
			esc = '"';
			break;
		case '\\':
			esc = '\\';
			break;
		case '\n':
			esc = 'n';
			break;
		case '\r':
			esc = 'r';
			break;
		case '\t':
			esc = 't';
			break;
		default:
			break;
		}
		size_t need = esc ? 2 : 1;
		if (o + need > lim) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (esc) {
			out[o++] = '\\';
			out[o++] = esc;
		} else {
			/* other control bytes would break the one-line rule */
			out[o++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
		}
	}
	if (!plain)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}

char *log_redact(char *out, size_t outsz, const char *token)
{
	if (!token || !*token) {
		snprintf(out, outsz, "(unset)");
		return out;
	}
	size_t n = strlen(token);
	/* short tokens show nothing: 4 of 8 characters would be half a secret */
	if (n < 16)
		snprintf(out, outsz, "...");
	else
		snprintf(out, outsz, "...%s", token + n - 4);
	return out;
}

void log_msg(enum log_level l, const char *msg, const char *kv, ...)
{
	if (l < min_level)
		return;
	FILE *f = stream ? stream : stderr;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	char qmsg[512];
	log_quote(qmsg, sizeof qmsg, msg);

	struct buf line;
	buf_init(&line, 8192);
	buf_printf(&line, "ts=%s.%03ldZ level=%s msg=%s", when, ts.tv_nsec / 1000000L,
	           log_level_name(l), qmsg);
	if (kv && *kv) {
		va_list ap;
		va_start(ap, kv);
		buf_addc(&line, ' ');
		if (buf_vprintf(&line, kv, ap) != SB_OK)
			buf_adds(&line, "truncated=true");
		va_end(ap);
	}
	buf_addc(&line, '\n');
	fputs(buf_str(&line), f);
	fflush(f);
	buf_free(&line);
}
