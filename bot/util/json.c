#include "util/json.h"

#include <stdlib.h>

char *json_take(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	if (!s)
		abort();
	return s;
}
