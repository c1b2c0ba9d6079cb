#include "pg-lib.h"

#include <stdbool.h>

DYNLIB_DEFINE_SHARED(pglib, pglib_load, "libpq.so.5", PGLIB_FUNCTIONS)
