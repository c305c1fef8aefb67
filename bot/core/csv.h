/* An RFC 4180 CSV writer onto a capped buffer. The writer does not own the
 * buffer: the caller initialises it, reads it and frees it; the writer only
 * appends. Each call is all-or-nothing: on SB_ERR_TOOBIG neither the buffer
 * nor the writer's position has changed, so a caller can stop cleanly at a
 * row boundary.
 *
 * A field is quoted when it holds a comma, a double quote, CR or LF, or when
 * it starts or ends with a space (spreadsheets trim unquoted spaces). Quotes
 * inside are doubled. Bytes are copied as they are, so UTF-8 passes through.
 * Rows end with CRLF.
 *
 * With guard_formulas, a text field starting with '=', '+', '-', '@', a tab
 * or CR gets a leading "'" so a spreadsheet shows it as text instead of
 * evaluating it (OWASP CSV injection): member text lands in these exports
 * and admins open them in spreadsheets. csv_int() is never guarded, so
 * negative numbers stay numbers. */
#ifndef SB_CSV_H
#define SB_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/buf.h"
#include "../util/rc.h"

struct csv {
	struct buf *out; /* borrowed */
	int col;         /* fields written in the current row */
	bool guard_formulas;
};

void csv_init(struct csv *c, struct buf *out, bool guard_formulas);
/* s may be NULL: an empty field. */
enum sb_rc csv_field(struct csv *c, const char *s);
/* n bytes of s, which need not be NUL-terminated; s may be NULL when n is 0. */
enum sb_rc csv_fieldn(struct csv *c, const char *s, size_t n);
enum sb_rc csv_int(struct csv *c, long long v);
enum sb_rc csv_end_row(struct csv *c);

#endif
