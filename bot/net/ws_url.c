/* URL splitting on lws_parse_uri(), which cuts a copy in place. */
#include "net/ws_url.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

/* 127.x.x.x written as an address: "127.evil.example" is a name that
 * anyone can point anywhere. */
static int is_127(const char *host)
{
	if (strncmp(host, "127.", 4) != 0)
		return 0;
	for (const char *p = host + 4; *p; p++)
		if (!strchr("0123456789.", *p))
			return 0;
	return 1;
}

int net_host_is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || is_127(host) || strcmp(host, "::1") == 0 ||
	       strcmp(host, "[::1]") == 0;
}

enum sb_rc net_url_split(const char *url, const char *tls_scheme, const char *plain_scheme,
                         struct net_url *out)
{
	char tmp[1280];
	const char *proto, *host, *upath;
	int port;

	memset(out, 0, sizeof *out);
	if (!url || strlen(url) >= sizeof tmp) {
		out->why = "URL missing or too long";
		return SB_ERR_INVALID;
	}
	snprintf(tmp, sizeof tmp, "%s", url);
	if (lws_parse_uri(tmp, &proto, &host, &port, &upath) != 0 || !host[0]) {
		out->why = "URL cannot be parsed";
		return SB_ERR_INVALID;
	}
	out->tls = strcmp(proto, tls_scheme) == 0;
	if (!out->tls && !(strcmp(proto, plain_scheme) == 0 && net_host_is_loopback(host))) {
		out->why = "URL scheme not allowed (the plain one only on loopback)";
		return SB_ERR_INVALID;
	}
	if (strlen(host) >= sizeof out->host || strlen(upath) + 2 > sizeof out->path) {
		out->why = "URL too long";
		return SB_ERR_INVALID;
	}
	snprintf(out->host, sizeof out->host, "%s", host);
	snprintf(out->path, sizeof out->path, "/%s", upath);
	out->port = port;
	return SB_OK;
}
