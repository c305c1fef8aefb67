/* libFuzzer harness: the question-bank parser on arbitrary bytes. Whatever
 * the input, parsing must not crash, leak or read out of bounds, and a
 * parsed bank must be exportable. */
#include <stdint.h>
#include <stdlib.h>

#include "core/bank.h"
#include "core/bank_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bank b;
	struct diags d;
	bank_init(&b);
	diags_init(&d);
	if (bank_parse(&b, "questions/fuzz.md", (const char *)data, size, &d) == SB_OK &&
	    bank_finish(&b, &d) == SB_OK) {
		free(bank_export_json(&b, NULL));
		free(bank_export_markdown(&b, NULL));
	}
	bank_free(&b);
	diags_free(&d);
	return 0;
}
