/* logfmt lines on stderr: ts=... level=... msg="..." key=value ...
 * One line per event, so logs can be grepped and shipped as they are. */
#ifndef SB_LOG_H
#define SB_LOG_H

#include <stddef.h>
#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parses "debug|info|warn|error"; returns -1 on anything else. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level l);
void log_set_level(enum log_level l);
/* Whether a line at level l would be written: for callers whose log
 * arguments cost work on a hot path. */
int log_enabled(enum log_level l);
/* Where lines go (stderr by default); borrowed, for tests. */
void log_set_stream(FILE *f);

/* kv is a printf format for extra "key=value" pairs (may be NULL). Values
 * that come from outside must go through log_quote(). */
void log_msg(enum log_level l, const char *msg, const char *kv, ...)
    __attribute__((format(printf, 3, 4))); /* gcc/clang: checks the format */

#define log_debug(msg, ...) log_msg(LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...)  log_msg(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...)  log_msg(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_msg(LOG_ERROR, msg, __VA_ARGS__)

/* Writes s as a logfmt value into out (quoted and escaped when needed,
 * cut with "..." to fit); returns out. */
char *log_quote(char *out, size_t outsz, const char *s);
/* log_quote() into a temporary that lives until the end of the enclosing
 * block: for use right in a log call's arguments. */
#define log_q(s) log_quote((char[512]){0}, 512, (s))

/* Writes a token in a form safe to log: at most its last 4 characters,
 * e.g. "...wxyz" ("(unset)" for NULL or empty). Returns out. */
char *log_redact(char *out, size_t outsz, const char *token);

#endif
