/* Small string helpers. Functions that return a pointer into their input
 * borrow it; nothing here allocates unless it says "returns new". */
#ifndef SB_STR_H
#define SB_STR_H

#include <stdbool.h>
#include <stddef.h>

/* Trims ASCII white space in place; returns s. */
char *str_trim(char *s);
/* [*p, *p+*n) with leading/trailing ASCII white space removed. */
void str_trim_span(const char **p, size_t *n);
bool str_ieq(const char *a, const char *b);
bool str_starts(const char *s, const char *prefix);
/* True if s is a non-empty run of [a-z0-9-] at most max bytes long. */
bool str_is_slug(const char *s, size_t max);

/* UTF-8: number of code points in [s, s+n); invalid bytes count as one each. */
size_t utf8_len(const char *s, size_t n);
/* Offset of the first byte that is not well-formed UTF-8 (overlongs,
 * surrogates and code points past U+10FFFF rejected), or n if all valid. */
size_t utf8_invalid_at(const char *s, size_t n);
/* Byte offset just past the first k code points of well-formed,
 * NUL-terminated s (its length when it has fewer): where to cut a text to
 * a limit counted in characters. */
size_t utf8_offset(const char *s, size_t k);
/* n cut to at most max bytes without splitting a character of s: where to
 * cut a text to a limit counted in bytes. */
size_t utf8_floor(const char *s, size_t n, size_t max);
/* Returns new (free() it): s as well-formed UTF-8, each byte that is not
 * replaced by U+FFFD; a NULL s gives "". */
char *utf8_repair(const char *s);

/* Parses a whole decimal integer in [min, max]; false on anything else. */
bool str_to_long(const char *s, long min, long max, long *out);
/* Parses a whole decimal unsigned 64-bit number (a snowflake id). */
bool str_to_u64(const char *s, unsigned long long *out);

#endif
