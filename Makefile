# prisma-entrypoint. `make` builds build/prisma-entrypoint; `make test` installs
# what it needs (as root), builds, and runs every suite; see README.md.

VERSION := 0.1.0
CC ?= cc
PKGS := libpq libcurl inih libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# inih is linked statically: one shared library less to load on every
# container start (Debian ships libinih.a). libpq, libcurl and libcrypto are
# loaded on first use (src/dynlib.h): only their headers are needed here.
# The unit tests link libcrypto to compute expected digests themselves.
PKG_LIBS = -Wl,-Bstatic -linih -Wl,-Bdynamic
TEST_LIBS = $(shell pkg-config --libs libcrypto 2>/dev/null) -lcmocka

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CFLAGS ?= -O2 -g
# What both flavours compile with; the dynamic one adds CFLAGS and the system's headers.
COMMON_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARNINGS) -Isrc -Ientrypoint -DPE_VERSION='"$(VERSION)"' -MMD -MP
ALL_CFLAGS = $(COMMON_CFLAGS) $(CFLAGS) $(PKG_CFLAGS)
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC := $(sort $(wildcard src/*.c))
ENTRY := $(sort $(wildcard entrypoint/*.c))
UNIT_TESTS := $(sort $(wildcard tests/unit/test-*.c))

# Two flavours of every object: the plain build and the sanitizer build.
obj = $(patsubst %.c,build/$(1)obj/%.o,$(2))
PLAIN_OBJ := $(call obj,,$(SRC))
ASAN_OBJ := $(call obj,asan/,$(SRC))
UNIT_BINS := $(patsubst tests/unit/%.c,build/unit/%,$(UNIT_TESTS))
ASAN_UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/unit/%,$(UNIT_TESTS))
HELPERS := $(patsubst tests/integration/helpers/%.c,build/helpers/%,$(wildcard tests/integration/helpers/*.c))

PYTEST := /usr/bin/python3 -m pytest
VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite

.PHONY: all asan static image demo test deps unit integration integration-static asan-test valgrind-test fuzz fuzz-smoke lint examples format readme bench clean
all: build/prisma-entrypoint

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

build/prisma-entrypoint: $(PLAIN_OBJ) $(call obj,,$(ENTRY))
	$(CC) $(CFLAGS) -pthread -o $@ $^ $(PKG_LIBS)

build/asan/prisma-entrypoint: $(ASAN_OBJ) $(call obj,asan/,$(ENTRY))
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -pthread -o $@ $^ $(PKG_LIBS)

asan: build/asan/prisma-entrypoint

# The static flavour: one file with libpq, libcurl, OpenSSL and inih inside,
# linked with musl (docker/static-deps.sh builds those from Debian's source
# packages, cached outside the clone, and names the folder). The folder is
# kept in build/static/deps so that objects are rebuilt when it changes.
STATIC_CC := musl-gcc
STATIC_CFLAGS = $(COMMON_CFLAGS) -Os -ffunction-sections -fdata-sections -I$(STATIC_PREFIX)/include -DPE_STATIC
STATIC_LIBS = -L$(STATIC_PREFIX)/lib -lpq -lpgcommon_shlib -lpgport_shlib -lcurl -lssl -lcrypto -linih -pthread

static:
	@prefix=$$(docker/static-deps.sh) && mkdir -p build/static && \
	{ [ "$$(cat build/static/deps 2>/dev/null)" = "$$prefix" ] || echo "$$prefix" >build/static/deps; } && \
	$(MAKE) --no-print-directory STATIC_PREFIX="$$prefix" build/static/prisma-entrypoint

build/static/obj/%.o: %.c build/static/deps
	@mkdir -p $(dir $@)
	$(STATIC_CC) $(STATIC_CFLAGS) -c -o $@ $<

build/static/prisma-entrypoint: $(call obj,static/,$(SRC) $(ENTRY))
	$(STATIC_CC) -static -s -Wl,--gc-sections -o $@ $^ $(STATIC_LIBS)

# Images: prisma-entrypoint (FROM scratch, the static binary only) and the
# example app, with docker when its engine answers, else podman. Base images
# that cannot be pulled are made locally first (docker/offline/base-images.sh).
# IMAGE_BUILD_FLAGS go to every build (the tests pass podman's --runtime).
ifndef ENGINE
ENGINE := $(shell docker info >/dev/null 2>&1 && echo docker || echo podman)
endif
IMAGE_BUILD_FLAGS ?=
# The remote's address without any user or token in it.
SOURCE_URL ?= $(shell git config --get remote.origin.url 2>/dev/null | sed 's|://[^@/]*@|://|')
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)

image:
	docker/offline/base-images.sh $(ENGINE) $(IMAGE_BUILD_FLAGS)
	$(ENGINE) build $(IMAGE_BUILD_FLAGS) --build-arg VERSION=$(VERSION) \
		--label org.opencontainers.image.source=$(SOURCE_URL) --label org.opencontainers.image.revision=$(REVISION) \
		-f docker/Dockerfile -t prisma-entrypoint:latest -t prisma-entrypoint:$(VERSION) .
	$(ENGINE) build $(IMAGE_BUILD_FLAGS) -t prisma-entrypoint-example:latest docker/example

# The development loop of compose-examples/dev, run and narrated with timings:
# installs what is missing, builds the static binary and the images, starts
# the example, edits its schema, adds a migration, ends with down (docker/demo.sh).
demo:
	docker/demo.sh

build/unit/%: tests/unit/%.c $(PLAIN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -pthread -o $@ $< $(PLAIN_OBJ) $(PKG_LIBS) $(TEST_LIBS)

build/asan/unit/%: tests/unit/%.c $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -pthread -o $@ $< $(ASAN_OBJ) $(PKG_LIBS) $(TEST_LIBS)

# Small programs the integration tests run as apps.
build/helpers/%: tests/integration/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o $@ $<

# libFuzzer harnesses (tests/fuzz), one per parser, linked with the
# components built by clang with the same sanitizers. fuzz-schema confines
# openat() to its temporary folder.
FUZZ_CC := clang
FUZZ_SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = $(COMMON_CFLAGS) -O1 -g $(FUZZ_SANITIZERS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -Itests/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz-%.c,%,$(sort $(wildcard tests/fuzz/fuzz-*.c)))
FUZZ_BINS := $(addprefix build/fuzz/fuzz-,$(FUZZ_TARGETS))
FUZZ_OBJ := $(call obj,fuzz/,$(SRC)) build/fuzz/obj/tests/fuzz/check.o
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_LINK_schema := -Wl,--wrap=openat
# -timeout: an input takes milliseconds; one that takes seconds is a hang.
FUZZ_RUN = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/fuzz/fuzz-$(1) \
	-dict=tests/fuzz/$(1).dict -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix=build/fuzz/crashes/$(1)/ -max_total_time=$(2) $(3) tests/fuzz/corpus/$(1)

# Objects, not intermediates for make to remove after the link.
.SECONDARY: $(FUZZ_OBJ)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# The properties' checks are the oracle, not code under test: no coverage
# feedback from them (it would lead the fuzzer into the checks).
build/fuzz/obj/tests/fuzz/check.o: tests/fuzz/check.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -fsanitize=fuzzer-no-link,$(FUZZ_CFLAGS)) -c -o $@ $<

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_LINK_$*) -pthread -o $@ $< \
		$(FUZZ_OBJ) $(PKG_LIBS)

# New inputs go to build/fuzz/corpus/TARGET (kept from run to run), crashes
# to build/fuzz/crashes/TARGET. A crash stops its harness, not the others;
# make fails at the end.
fuzz: $(FUZZ_BINS)
	@failed=; for t in $(FUZZ_TARGETS); do echo "== fuzz-$$t, $(FUZZ_SECONDS) s"; \
		mkdir -p build/fuzz/corpus/$$t build/fuzz/crashes/$$t; \
		$(call FUZZ_RUN,$$t,$(FUZZ_SECONDS),build/fuzz/corpus/$$t) || failed="$$failed $$t"; done; \
		[ -z "$$failed" ] || { echo "fuzz: crash or violated property in$$failed: see build/fuzz/crashes"; exit 1; }

# The committed corpora, then a short run from a fresh folder: any crash or
# violated property fails.
fuzz-smoke: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do echo "== fuzz-$$t, corpus and $(FUZZ_SMOKE_SECONDS) s"; \
		rm -rf build/fuzz/smoke/$$t; mkdir -p build/fuzz/smoke/$$t build/fuzz/crashes/$$t; \
		$(call FUZZ_RUN,$$t,$(FUZZ_SMOKE_SECONDS),build/fuzz/smoke/$$t) 2>build/fuzz/$$t.log || \
		{ tail -n 60 build/fuzz/$$t.log; exit 1; }; grep -E '^(Done|stat::number_of_executed_units)' build/fuzz/$$t.log; done

deps:
	tests/install-deps.sh

unit: $(UNIT_BINS) $(ASAN_UNIT_BINS)
	@set -e; for t in $(UNIT_BINS) $(ASAN_UNIT_BINS); do echo "== $$t"; $$t; done

integration: build/prisma-entrypoint $(HELPERS)
	PRISMA_ENTRYPOINT_BIN=$(CURDIR)/build/prisma-entrypoint PRISMA_ENTRYPOINT_HELPERS=$(CURDIR)/build/helpers \
	$(PYTEST) -q tests/integration

# The same suites against the static build; tests/integration/test_static.py
# (an empty root) and test_images.py (make image, real containers) run only here.
integration-static: static $(HELPERS)
	PRISMA_ENTRYPOINT_BIN=$(CURDIR)/build/static/prisma-entrypoint PRISMA_ENTRYPOINT_HELPERS=$(CURDIR)/build/helpers \
	PRISMA_ENTRYPOINT_STATIC=1 $(PYTEST) -q tests/integration

asan-test: build/asan/prisma-entrypoint $(HELPERS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	PRISMA_ENTRYPOINT_BIN=$(CURDIR)/build/asan/prisma-entrypoint PRISMA_ENTRYPOINT_HELPERS=$(CURDIR)/build/helpers \
		$(PYTEST) -q tests/integration -m 'not container'

valgrind-test: build/prisma-entrypoint $(HELPERS)
	PRISMA_ENTRYPOINT_BIN=$(CURDIR)/build/prisma-entrypoint PRISMA_ENTRYPOINT_HELPERS=$(CURDIR)/build/helpers \
	PRISMA_ENTRYPOINT_WRAPPER="$(VALGRIND)" \
		$(PYTEST) -q tests/integration -m 'supervisor and not container'

CPPCHECK := cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability --std=c17 \
	--inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -DPE_VERSION='"x"' -Isrc -Ientrypoint

# The Python tests: black formats (pyproject.toml), flake8 lints (.flake8).
PY_FORMAT := black -q

# Both flavours: the static one (PE_STATIC) compiles other code in src/dynlib.h.
lint:
	$(CPPCHECK) src entrypoint
	$(CPPCHECK) -DPE_STATIC src entrypoint
	clang-format --dry-run -Werror src/*.[ch] entrypoint/*.[ch] tests/unit/*.[ch] tests/integration/helpers/*.c tests/fuzz/*.[ch]
	$(PY_FORMAT) --check --diff tests
	flake8 tests

format:
	clang-format -i src/*.[ch] entrypoint/*.[ch] tests/unit/*.[ch] tests/integration/helpers/*.c tests/fuzz/*.[ch]
	$(PY_FORMAT) tests

# The files users copy from compose-examples/: every compose file as the
# compose client validates it, every setting they give prisma-entrypoint as
# it reads them, and the Kubernetes manifests against the API's fields (no
# cluster). The end-to-end runs are in tests/integration (container tests).
examples: build/prisma-entrypoint
	tests/compose-config.sh
	/usr/bin/python3 tests/example-settings.py build/prisma-entrypoint
	/usr/bin/python3 tests/kubernetes-fields.py compose-examples/kubernetes/*.yaml

# Rewrites the README's generated blocks from the binary's own tables.
readme: build/prisma-entrypoint
	/usr/bin/python3 tests/readme_blocks.py --write README.md build/prisma-entrypoint

test: deps
	$(MAKE) all asan static
	$(MAKE) lint
	$(MAKE) examples
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration
	$(MAKE) integration-static
	$(MAKE) asan-test
	$(MAKE) valgrind-test

bench: build/prisma-entrypoint static
	tests/bench/run

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
