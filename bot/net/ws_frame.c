#include "net/ws_frame.h"

#include <libwebsockets.h>
#include <string.h>

/* lws's own opcode for a close frame: 4.1 keeps it out of the public enum
 * (lws-write.h: "handled by lws_close_reason()"), but lws_write() takes it
 * and frames it as an RFC 6455 close. */
#define WRITE_CLOSE ((enum lws_write_protocol)4)
#define REASON_MAX  100 /* a control frame's payload is at most 125 bytes */

int net_ws_close_frame(struct lws *wsi, int code, const char *reason)
{
	unsigned char frame[LWS_PRE + 2 + REASON_MAX];
	unsigned char *p = frame + LWS_PRE;
	size_t n = reason ? strlen(reason) : 0;

	if (n > REASON_MAX)
		n = REASON_MAX;
	p[0] = (unsigned char)((code >> 8) & 0xff);
	p[1] = (unsigned char)(code & 0xff);
	if (n)
		memcpy(p + 2, reason, n);
	return lws_write(wsi, p, 2 + n, WRITE_CLOSE) < 0 ? -1 : 0;
}
