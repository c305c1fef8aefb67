/* Websocket frames libwebsockets leaves to its callers.
 *
 * A close frame: Debian's libwebsockets 4.1 on the libuv loop ends a client
 * connection without sending one when a callback calls lws_close_reason()
 * and returns -1 (seen on the wire), so the peer never learns the code
 * (1000 "session over" versus 4000–4999 "coming back"). The frame is
 * written here instead; the peer's answering close, or a kill timeout the
 * caller set, ends the connection, and the caller must not let lws answer
 * that close with a second one.
 *
 * Ownership: nothing is kept; reason is copied into the frame. */
#ifndef SB_NET_WS_FRAME_H
#define SB_NET_WS_FRAME_H

struct lws;

/* Writes a close frame with code and a short reason (cut to 100 bytes).
 * Call from the connection's WRITEABLE callback. 0, or -1 when the write
 * failed (close the connection). */
int net_ws_close_frame(struct lws *wsi, int code, const char *reason);

#endif
