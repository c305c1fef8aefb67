#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only names the database can hold: this also keeps "../../etc/passwd" and
 * absolute paths from being opened. */
static bool well_formed(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '/' || name[n - 1] == '/')
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+';
		if (!ok)
			return false;
		if (c == '/' && p[1] == '/')
			return false;
	}
	return strstr(name, "..") == NULL;
}

bool tz_valid(const char *name)
{
	if (!well_formed(name))
		return false;
	const char *dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	char path[512];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return false;
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char magic[4];
	bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}
