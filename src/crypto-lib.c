#include "crypto-lib.h"

#include <stdbool.h>

DYNLIB_DEFINE_SHARED(cryptolib, cryptolib_load, "libcrypto.so.3", CRYPTOLIB_FUNCTIONS)
