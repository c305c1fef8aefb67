/* zlib-stream transport compression. Frames are only collected until the
 * data so far ends with the Z_SYNC_FLUSH marker; then the whole message is
 * inflated in one go through the connection's single z_stream, whose window
 * carries over from message to message (that is what makes later messages
 * small, and why the stream is dead after any error).
 *
 * The 2-byte zlib header is checked here and the rest inflated as raw
 * deflate: a zlib wrapper would run Adler-32 over every inflated byte for a
 * trailer that never comes (the stream lasts as long as the connection),
 * which was a fifth of the CPU spent on each event.
 *
 * Both buffers are capped at max_msg, so neither a huge compressed message
 * nor a small one that inflates to gigabytes (a zlib bomb) can take more
 * than max_msg bytes each: inflating stops at the cap with SB_ERR_TOOBIG.
 * A message that arrives whole in one frame, as most do, is inflated
 * straight from the frame and straight into the output buffer. */
#include "discord/gw_inflate.h"

#include <string.h>

static const unsigned char gwz_suffix[4] = {0x00, 0x00, 0xff, 0xff};

/* Output space asked for at a time; the cap is enforced by buf_space(),
 * never by a size computed from the input. */
#define GWZ_CHUNK 16384

static int gwz_start(struct gw_inflate *z)
{
	memset(&z->zs, 0, sizeof z->zs);
	z->hdr_need = 2;
	/* Raw deflate with the largest window: fits whatever window size the
	 * header announces. */
	z->live = inflateInit2(&z->zs, -MAX_WBITS) == Z_OK;
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
	z->hdr_need = 2;
	if (z->live && inflateReset(&z->zs) == Z_OK)
		return SB_OK;
	if (z->live)
		inflateEnd(&z->zs);
	return gwz_start(z) ? SB_OK : SB_ERR_NOMEM;
}

static int gwz_ends_flushed(const unsigned char *p, size_t n)
{
	return n >= 4 && memcmp(p + n - 4, gwz_suffix, 4) == 0;
}

/* RFC 1950: CM 8 (deflate), a window of at most 32 KiB, FCHECK right and
 * no preset dictionary (Discord never uses one). */
static int gwz_header_ok(const unsigned char h[2])
{
	return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && ((h[0] << 8) | h[1]) % 31 == 0 &&
	       !(h[1] & 0x20);
}

/* Inflates all of p[0..n) into `out`. */
static enum sb_rc gwz_inflate(struct gw_inflate *z, const unsigned char *p, size_t n)
{
	while (z->hdr_need && n) {
		z->hdr[2 - z->hdr_need--] = *p++;
		n--;
		if (!z->hdr_need && !gwz_header_ok(z->hdr))
			return SB_ERR_INVALID;
	}
	if (n > (uInt)-1) /* zlib counts in uInt */
		return SB_ERR_TOOBIG;
	buf_reset(&z->out);
	z->zs.next_in = (unsigned char *)p;
	z->zs.avail_in = (uInt)n;
	for (;;) {
		uInt before_in = z->zs.avail_in;
		char *at;
		size_t room = buf_space(&z->out, GWZ_CHUNK, &at);
		unsigned char probe;
		if (room > (uInt)-1)
			room = (uInt)-1;
		/* At the cap: one more byte of output means the message is too
		 * big; none means it fitted exactly. */
		z->zs.next_out = room ? (unsigned char *)at : &probe;
		z->zs.avail_out = room ? (uInt)room : 1;
		int ret = inflate(&z->zs, Z_SYNC_FLUSH);
		size_t got = (room ? room : 1) - z->zs.avail_out;
		if (ret == Z_MEM_ERROR)
			return SB_ERR_NOMEM;
		if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END)
			return SB_ERR_INVALID; /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
		if (got && !room)
			return SB_ERR_TOOBIG;
		buf_commit(&z->out, got);
		if (z->zs.avail_out > 0 && z->zs.avail_in == 0)
			return SB_OK; /* all input used, all output flushed */
		if (got == 0 && z->zs.avail_in == before_in)
			return SB_ERR_INVALID; /* no progress: data after a stream end, or stuck */
	}
}

enum sb_rc gw_inflate_feed(struct gw_inflate *z, const void *frame, size_t n, const char **msg,
                           size_t *len)
{
	const unsigned char *p = frame;
	enum sb_rc rc;
	*msg = NULL;
	*len = 0;
	if (!z->live)
		return SB_ERR_INVALID;
	if (z->in.len == 0 && gwz_ends_flushed(p, n)) {
		rc = gwz_inflate(z, p, n); /* a whole message in one frame: no copy */
	} else {
		if (n > 0 && buf_add(&z->in, frame, n) != SB_OK)
			return gwz_kill(z, SB_ERR_TOOBIG);
		if (!gwz_ends_flushed((const unsigned char *)z->in.data, z->in.len))
			return SB_OK;
		rc = gwz_inflate(z, (const unsigned char *)z->in.data, z->in.len);
		buf_reset(&z->in);
	}
	if (rc != SB_OK)
		return gwz_kill(z, rc);
	if (z->out.len == 0)
		return SB_OK; /* a bare flush: nothing to hand out */
	*msg = z->out.data;
	*len = z->out.len;
	return SB_OK;
}
