/* Allocation that aborts on failure. Small allocations failing means the
 * process cannot do anything useful; everything sized by outside input is
 * capped before it reaches these (STYLE 5). */
#ifndef SB_MEM_H
#define SB_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);            /* returns new memory; free() it */
void *xcalloc(size_t n, size_t sz); /* returns zeroed memory; free() it */
void *xrealloc(void *p, size_t n);  /* takes p, returns new; free() it */
char *xstrdup(const char *s);       /* returns new; free() it */
char *xstrndup(const char *s, size_t n);

#endif
