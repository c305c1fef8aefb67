#include "rc.h"

const char *sb_strerror(enum sb_rc rc)
{
	switch (rc) {
	case SB_OK:
		return "ok";
	case SB_ERR_NOMEM:
		return "out of memory";
	case SB_ERR_IO:
		return "input/output error";
	case SB_ERR_INVALID:
		return "invalid input";
	case SB_ERR_TOOBIG:
		return "input too large";
	case SB_ERR_NOTFOUND:
		return "not found";
	case SB_ERR_USAGE:
		return "usage error";
	}
	return "unknown error";
}
