/* libFuzzer harness: custom ids as they come back from a platform's button
 * and form events, and outbox payloads. A custom id that parses must be
 * exactly the one we would have written for it (so no two spellings reach
 * the same action); anything else is refused without a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat.h"
#include "core/cid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct cid c;
	if (cid_parse(s, &c)) {
		char back[CID_MAX + 1];
		cid_format(&c, back);
		if (strcmp(back, s) != 0)
			abort();
	}
	struct action a;
	if (action_from_json(s, &a) == SB_OK) {
		char *j = action_to_json(&a);
		struct action b;
		if (action_from_json(j, &b) != SB_OK)
			abort();
		action_free(&b);
		free(j);
		action_free(&a);
	}
	free(s);
	return 0;
}
