#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

int dynlib_load(const char *soname, const char *const *names, void **slots, size_t count, char *error,
                size_t error_size)
{
	/* Never closed: the symbols are used until the process ends. */
	void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		snprintf(error, error_size, "cannot load %s: %s", soname, dlerror());
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		slots[i] = dlsym(handle, names[i]);
		if (!slots[i]) {
			snprintf(error, error_size, "cannot load %s: no symbol %s", soname, names[i]);
			return -1;
		}
	}
	return 0;
}
