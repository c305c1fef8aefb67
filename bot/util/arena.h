/* A bump allocator for data that lives and dies together (a parsed bank, a
 * parsed config). Everything allocated from an arena is freed at once by
 * arena_free(); never free() a pointer it returned. */
#ifndef SB_ARENA_H
#define SB_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};

void arena_init(struct arena *a);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n); /* zeroed, aligned for any type */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

#endif
