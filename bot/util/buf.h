/* A growable byte buffer with a hard maximum (after curl's dynbuf): anything
 * filled from outside input has a cap, and going past it is an error the
 * caller must handle, never a silent truncation. The data is always
 * NUL-terminated. The buffer owns its memory; buf_free() releases it. */
#ifndef SB_BUF_H
#define SB_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "rc.h"

struct buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* hard limit on len */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps memory */
/* SB_ERR_TOOBIG when the result would exceed max; the buffer is unchanged. */
enum sb_rc buf_add(struct buf *b, const void *p, size_t n);
/* For writing in place (a decompressor's output): makes room for up to
 * `want` more bytes, at most what the cap leaves, and points *at at it.
 * Returns how many bytes fit there (0 only when len == max); buf_commit()
 * then adds the ones written. */
size_t buf_space(struct buf *b, size_t want, char **at);
void buf_commit(struct buf *b, size_t n);
enum sb_rc buf_adds(struct buf *b, const char *s);
enum sb_rc buf_addc(struct buf *b, char c);
enum sb_rc buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))); /* gcc/clang: checks the format */
enum sb_rc buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0))); /* gcc/clang: checks callers' formats */
/* Hands the data to the caller (free() it) and resets the buffer. Never NULL. */
char *buf_take(struct buf *b);
/* "" when empty, never NULL; borrowed. */
const char *buf_str(const struct buf *b);

/* Reads a whole file into b. SB_ERR_IO (errno kept) or SB_ERR_TOOBIG. */
enum sb_rc buf_read_file(struct buf *b, const char *path);

#endif
