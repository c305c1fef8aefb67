/* zlib-stream transport compression. Frames are only collected until the
 * data so far ends with the Z_SYNC_FLUSH marker; then the whole message is
 * inflated in one go through the connection's single z_stream, whose window
 * carries over from message to message (that is what makes later messages
 * small, and why the stream is dead after any error).
 *
 * Both buffers are capped at max_msg, so neither a huge compressed message
 * nor a small one that inflates to gigabytes (a zlib bomb) can take more
 * than max_msg bytes each: inflating stops at the cap with SB_ERR_TOOBIG. */
#include "discord/gw_inflate.h"

#include <string.h>

static const unsigned char gwz_suffix[4] = {0x00, 0x00, 0xff, 0xff};

/* Inflated output goes through a stack chunk into `out`, so the cap is
 * enforced by buf_add and never by a size computed from the input. */
#define GWZ_CHUNK 16384

static int gwz_start(struct gw_inflate *z)
{
	memset(&z->zs, 0, sizeof z->zs);
	z->live = inflateInit(&z->zs) == Z_OK;
	return z->live;
}

/* After an error the stream cannot go on: the window no longer matches the
 * sender's. Feeds fail until gw_inflate_reset() (a new connection). */
static enum sb_rc gwz_kill(struct gw_inflate *z, enum sb_rc rc)
{
	if (z->live)
		inflateEnd(&z->zs);
	z->live = 0;
	buf_reset(&z->in);
	buf_reset(&z->out);
	return rc;
}

void gw_inflate_init(struct gw_inflate *z, size_t max_msg)
{
	buf_init(&z->in, max_msg);
	buf_init(&z->out, max_msg);
	gwz_start(z); /* on failure live stays 0; gw_inflate_reset() retries */
}

void gw_inflate_free(struct gw_inflate *z)
{
	if (z->live)
		inflateEnd(&z->zs);
	z->live = 0;
	buf_free(&z->in);
	buf_free(&z->out);
}

enum sb_rc gw_inflate_reset(struct gw_inflate *z)
{
	buf_reset(&z->in);
	buf_reset(&z->out);
	if (z->live && inflateReset(&z->zs) == Z_OK)
		return SB_OK;
	if (z->live)
		inflateEnd(&z->zs);
	return gwz_start(z) ? SB_OK : SB_ERR_NOMEM;
}

static int gwz_complete(const struct buf *in)
{
	return in->len >= 4 && memcmp(in->data + in->len - 4, gwz_suffix, 4) == 0;
}

/* Inflates all of `in` into `out`. */
static enum sb_rc gwz_inflate(struct gw_inflate *z)
{
	unsigned char chunk[GWZ_CHUNK];
	buf_reset(&z->out);
	z->zs.next_in = (unsigned char *)z->in.data;
	z->zs.avail_in = (uInt)z->in.len;
	for (;;) {
		uInt before_in = z->zs.avail_in;
		z->zs.next_out = chunk;
		z->zs.avail_out = sizeof chunk;
		int ret = inflate(&z->zs, Z_SYNC_FLUSH);
		size_t got = sizeof chunk - z->zs.avail_out;
		if (ret == Z_MEM_ERROR)
			return SB_ERR_NOMEM;
		if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END)
			return SB_ERR_INVALID; /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
		if (got && buf_add(&z->out, chunk, got) != SB_OK)
			return SB_ERR_TOOBIG;
		if (z->zs.avail_out > 0 && z->zs.avail_in == 0)
			return SB_OK; /* all input used, all output flushed */
		if (got == 0 && z->zs.avail_in == before_in)
			return SB_ERR_INVALID; /* no progress: data after a stream end, or stuck */
	}
}

enum sb_rc gw_inflate_feed(struct gw_inflate *z, const void *frame, size_t n, const char **msg,
                           size_t *len)
{
	*msg = NULL;
	*len = 0;
	if (!z->live)
		return SB_ERR_INVALID;
	if (n > 0 && buf_add(&z->in, frame, n) != SB_OK)
		return gwz_kill(z, SB_ERR_TOOBIG);
	if (!gwz_complete(&z->in))
		return SB_OK;
	if (z->in.len > (uInt)-1) /* zlib counts in uInt */
		return gwz_kill(z, SB_ERR_TOOBIG);
	enum sb_rc rc = gwz_inflate(z);
	buf_reset(&z->in);
	if (rc != SB_OK)
		return gwz_kill(z, rc);
	if (z->out.len == 0)
		return SB_OK; /* a bare flush: nothing to hand out */
	*msg = z->out.data;
	*len = z->out.len;
	return SB_OK;
}
