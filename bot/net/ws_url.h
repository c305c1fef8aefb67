/* Splitting a websocket or HTTP URL for lws, with the one rule every client
 * here keeps: the plain scheme (ws://, http://) only on loopback, so a token
 * or a ticket never crosses a network in the clear.
 *
 * Ownership: the struct holds copies; nothing is allocated. */
#ifndef SB_NET_WS_URL_H
#define SB_NET_WS_URL_H

#include "util/rc.h"

struct net_url {
	char host[256];
	char path[1024]; /* begins with '/', query included */
	int port;
	int tls;         /* the secure scheme was used */
	const char *why; /* on failure: a static reason, for the log */
};

/* 1 for localhost (any case), a 127.x.x.x dotted quad and ::1 (bracketed or not). */
int net_host_is_loopback(const char *host);

/* Splits url, whose scheme must be tls_scheme ("wss", "https") or, on a
 * loopback host only, plain_scheme ("ws", "http"). SB_ERR_INVALID (out->why
 * says which rule) when it cannot be parsed, is too long, or breaks the
 * rule. */
enum sb_rc net_url_split(const char *url, const char *tls_scheme, const char *plain_scheme,
                         struct net_url *out);

#endif
