/* libFuzzer harness: the INI config parser on arbitrary bytes. */
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct diags d;
	cfg_init(&c);
	diags_init(&d);
	cfg_parse(&c, "fuzz.ini", (const char *)data, size, &d);
	cfg_free(&c);
	diags_free(&d);
	return 0;
}
