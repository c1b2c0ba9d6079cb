#include "curl-lib.h"

#include <stdbool.h>

DYNLIB_DEFINE_SHARED(curllib, curllib_load, "libcurl.so.4", CURLLIB_FUNCTIONS)
