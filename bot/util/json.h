/* Small cJSON helpers shared by the renderers.
 *
 * Ownership: json_take() consumes the tree and returns a string the caller
 * frees with free() (cJSON's default allocator is malloc). */
#ifndef SB_UTIL_JSON_H
#define SB_UTIL_JSON_H

#include <cjson/cJSON.h>

/* Prints o without whitespace and deletes it. Never NULL: cJSON fails only
 * when out of memory, which aborts as xmalloc does. */
char *json_take(cJSON *o);

#endif
