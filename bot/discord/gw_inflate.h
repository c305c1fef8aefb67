/* Gateway transport compression, `compress=zlib-stream` (Discord docs,
 * Gateway > Transport Compression): one zlib context for the life of a
 * connection; a message may span several websocket frames, and a message is
 * complete only when the bytes received so far end with 00 00 ff ff
 * (Z_SYNC_FLUSH). Only then is it inflated.
 *
 * Ownership: a struct gw_inflate is embedded by its owner; gw_inflate_init()
 * allocates zlib state released by gw_inflate_free(). gw_inflate_reset() is
 * for a new connection (a new context, as the docs require). */
#ifndef SB_DISCORD_GW_INFLATE_H
#define SB_DISCORD_GW_INFLATE_H

#include <stddef.h>
#include <zlib.h>

#include "util/buf.h"
#include "util/rc.h"

struct gw_inflate {
	z_stream zs;
	int live;     /* zs initialised */
	int hdr_need; /* bytes of the 2-byte zlib header still to come */
	unsigned char hdr[2];
	struct buf in;  /* compressed bytes of the message being received */
	struct buf out; /* the last inflated message */
};

/* max_msg caps both a compressed message and its inflated size. */
void gw_inflate_init(struct gw_inflate *z, size_t max_msg);
void gw_inflate_free(struct gw_inflate *z);
enum sb_rc gw_inflate_reset(struct gw_inflate *z);

/* Feeds one websocket frame. Returns SB_OK with *msg and *len set to the whole
 * inflated message (borrowed until the next call) when this frame completed
 * one, SB_OK with *msg = NULL when more frames are needed, SB_ERR_TOOBIG
 * past the cap, SB_ERR_INVALID on corrupt data (the connection must then be
 * dropped: the stream cannot recover). After any error every feed returns
 * SB_ERR_INVALID until gw_inflate_reset(). A flush that inflates to nothing
 * gives *msg = NULL. The message is NUL-terminated (not counted in *len). */
enum sb_rc gw_inflate_feed(struct gw_inflate *z, const void *frame, size_t n, const char **msg,
                           size_t *len);

#endif
