#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static enum sb_rc grow(struct buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return SB_ERR_TOOBIG;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return SB_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return SB_OK;
}

enum sb_rc buf_add(struct buf *b, const void *p, size_t n)
{
	enum sb_rc rc = grow(b, n);
	if (rc != SB_OK)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return SB_OK;
}

size_t buf_space(struct buf *b, size_t want, char **at)
{
	size_t room = b->max - b->len;
	if (want > room)
		want = room;
	if (want == 0 || grow(b, want) != SB_OK) {
		*at = NULL;
		return 0;
	}
	*at = b->data + b->len;
	room = b->cap - 1 - b->len; /* grow() may have given more */
	return room < b->max - b->len ? room : b->max - b->len;
}

void buf_commit(struct buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

enum sb_rc buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum sb_rc buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

enum sb_rc buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return SB_ERR_INVALID;
	enum sb_rc rc = grow(b, (size_t)n);
	if (rc != SB_OK)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return SB_OK;
}

enum sb_rc buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum sb_rc rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *buf_take(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

enum sb_rc buf_read_file(struct buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return SB_ERR_IO;
	enum sb_rc rc = SB_OK;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		rc = buf_add(b, chunk, n);
		if (rc != SB_OK)
			goto out;
	}
	if (ferror(f))
		rc = SB_ERR_IO;
out:
	if (fclose(f) != 0 && rc == SB_OK)
		rc = SB_ERR_IO;
	if (rc == SB_OK && !b->data)
		rc = buf_add(b, "", 0); /* an empty file is still a valid "" */
	return rc;
}
