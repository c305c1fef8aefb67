/* The leaderboard page that `http_listen` serves at "/" (SPEC §3): every
 * channel's top 10 of this week (in the channel's own zone) and of all
 * time, as one small HTML document with no scripts and no outside
 * resources. Member names come from chat, so every piece of text is
 * HTML-escaped.
 *
 * Ownership: the page is appended to the caller's buffer. */
#ifndef SB_CORE_PAGE_H
#define SB_CORE_PAGE_H

#include <stdint.h>

#include "core/core.h"
#include "util/buf.h"

/* SB_ERR_TOOBIG when the buffer's cap is reached; store errors pass on. */
enum sb_rc core_page_html(struct core *c, int64_t now, struct buf *out);

/* Appends s with &, <, >, " and ' escaped. */
enum sb_rc html_escape(struct buf *out, const char *s);

#endif
