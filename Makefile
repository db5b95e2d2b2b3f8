# otuserver - a static-file HTTP/1.1 server on libevent, prefork workers.
#
#   make run      serve DOCUMENT_ROOT/ on http://localhost:8080 with two workers
#   make test     unit tests + end-to-end tests, everything under ASan/UBSan
#   make help     every target
#
# Layered flags in the redis manner: override OPT, CFLAGS or LDFLAGS freely.

SHELL    = /bin/bash
CC      ?= cc
OPT     ?= -O2 -g
STD      = -std=c11
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Werror=format-security -Wpointer-arith -Wcast-align \
           -Wno-missing-field-initializers
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

PKG_CONFIG ?= pkg-config
EVENT_CFLAGS = $(shell $(PKG_CONFIG) --cflags libevent_core 2>/dev/null)
EVENT_LIBS   = $(shell $(PKG_CONFIG) --libs libevent_core 2>/dev/null || echo -levent_core)
# crypt() for basic auth: glibc's comes from libcrypt (libxcrypt, package libcrypt-dev);
# the static build links musl's own (scripts/build/musl-lib crypt: Debian's musl libc.a lacks it).
CRYPT_LIBS  ?= -lcrypt
# gzip on the fly: libdeflate (package libdeflate-dev); the static build links one built from
# Debian's source with musl (scripts/build/musl-lib libdeflate).
DEFLATE_LIBS ?= -ldeflate
# brotli and zstd on the fly: libbrotlienc (package libbrotli-dev) and libzstd (libzstd-dev).
BROTLI_LIBS    ?= -lbrotlienc
ZSTD_LIBS      ?= -lzstd
# A compressed file without its original (page.html.gz only), decoded for a client that does not
# accept its coding: zlib for gzip (package zlib1g-dev), libbrotlidec (libbrotli-dev) and libzstd.
ZLIB_LIBS      ?= -lz
BROTLIDEC_LIBS ?= -lbrotlidec
# Every coding library, in link order; the static build links them built from Debian's source with musl.
CODEC_LIBS      = $(DEFLATE_LIBS) $(BROTLI_LIBS) $(BROTLIDEC_LIBS) $(ZLIB_LIBS) $(ZSTD_LIBS)
# The configuration file (YAML): libyaml (package libyaml-dev); the static build links one
# built from Debian's source with musl.
YAML_LIBS ?= -lyaml
# Content ETags: XXH3-128 from libxxhash (package libxxhash-dev); the static build links one
# built from Debian's source with musl.
XXHASH_LIBS ?= -lxxhash
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check 2>/dev/null || echo -lcheck)

# src/ holds a folder per layer (src/MODULES maps them); a module is included by its name alone.
SRC_DIRS     = $(sort $(dir $(wildcard src/*/*.c src/*/*.h)))
SRC_INCLUDES = $(patsubst %/,-I%,$(SRC_DIRS))
FINAL_CFLAGS = $(STD) $(WARN) $(OPT) $(SRC_INCLUDES) -Ibuild/gen $(EVENT_CFLAGS) $(CFLAGS)
REL_CFLAGS   = $(FINAL_CFLAGS) $(HARDEN)
SAN_CFLAGS   = $(FINAL_CFLAGS) $(SANITIZE) -O1

VERSION  := $(shell sed -n 's/^\#define OTU_VERSION "\(.*\)"/\1/p' src/util/version.h)
SRCS     := $(wildcard src/*/*.c)
HDRS     := $(wildcard src/*/*.h)
REL_OBJS := $(patsubst %.c,build/obj/%.o,$(notdir $(SRCS)))
SAN_OBJS := $(patsubst %.c,build/asan/obj/%.o,$(notdir $(SRCS)))
vpath %.c $(SRC_DIRS)
vpath %.h $(SRC_DIRS)

# Each unit test links only the modules it tests: the link proves the boundary.
UNIT_TESTS = check_http_parser check_http_cond check_accept_coding check_path check_mime check_response check_config check_file_cache check_access_log check_textbuf check_metrics_http check_request_log check_handler check_auth check_path_rules check_compress check_log check_forwarded check_proxy_proto check_chunked check_decode
check_http_parser_OBJS = http_parser
check_http_cond_OBJS   = http_cond http_date http_parser
check_accept_coding_OBJS = accept_coding
check_path_OBJS        = path
check_mime_OBJS        = mime http_parser optparse
check_response_OBJS    = response http_date textbuf
check_config_OBJS      = config config_options config_names config_help config_file optparse host listen netaddr compress compress_dir encoder cors mime pages path_rules redirect http_parser log clock path textbuf
check_file_cache_OBJS  = file_cache etag file walk http_date
check_access_log_OBJS  = access_log http_date textbuf
check_textbuf_OBJS     = textbuf clock
check_log_OBJS         = log clock
check_metrics_http_OBJS = metrics_http metrics reply chunked request_log access_log response http_parser http_date clock log textbuf
check_request_log_OBJS = request_log access_log metrics http_date http_parser clock log textbuf
check_auth_OBJS        = auth reply chunked response http_parser metrics clock log textbuf
check_handler_OBJS     = handler reply chunked precomp decode http_cond accept_coding compress compress_dir encoder path_rules autoindex cors redirect pages optparse http_parser clock file file_cache etag walk http_date log mime path response textbuf
check_path_rules_OBJS  = path_rules http_parser optparse
check_compress_OBJS    = compress compress_dir encoder clock log http_parser optparse
check_forwarded_OBJS   = forwarded netaddr http_parser optparse
check_proxy_proto_OBJS = proxy_proto netaddr optparse
check_chunked_OBJS     = chunked reply log clock response textbuf
check_decode_OBJS      = decode
check_decode_LIBS      = -lbrotlienc

export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1

SHARED ?= ../shared

PHONY_DOCS = docs-config
.PHONY: $(PHONY_DOCS) all run test unit e2e e2e-httptest valgrind static static-deps static-units static-libs-test static-test cross cross-test image image-arm64 image-test loadtest loadtest-test proxy-compose-test fuzz lint format nginx-compare precompress browser-check k8s-check k8s-smoke k8s-local-up k8s-local-down actionlint workflow-check bench bench-conns bench-latency bench-profile callgrind ci-deps ci-fresh publish publish-verify publish-test registry-up registry-down release-binaries release-upload deps clean help

all: build/otuserver

help:
	@echo "make run          serve DOCUMENT_ROOT/ on http://localhost:8080 (2 workers, log to terminal)"
	@echo "make test         unit + end-to-end tests under ASan/UBSan (installs build packages as root)"
	@echo "make              build/otuserver (release, hardened)"
	@echo "make static       build/otuserver-static: musl, fully static, hardened, stripped"
	@echo "make static-test  check it is static, then run the end-to-end suite against it"
	@echo "make static-deps static-libs-test  every scripts/build/musl-lib row, the unlinked ones used once (STATIC_ARCH=aarch64 too)"
	@echo "make image        build the otuserver:$(VERSION) image (makes its base locally if needed)"
	@echo "make image-test   the container checks: size, contents, health, user, variables, stop"
	@echo "make cross-test   the aarch64 build under qemu: static, unit and end-to-end suites, the arm64 images run"
	@echo "make image-arm64  the arm64 images (VERSION-arm64) from the aarch64 cross build"
	@echo "make publish-test both images for both platforms into a local registry: index, SBOM, signature, chart; tampering caught"
	@echo "make loadtest     the classic ab benchmark in docker compose (AB_REQUESTS, TOOL=wrk, SITE_DIR ...)"
	@echo "make loadtest-test  the compose stack passes, and fails on 404s and a stopped server"
	@echo "make proxy-compose-test  examples/behind-haproxy: HAProxy in front (PROXY v2, X-Forwarded-For), the logged clients"
	@echo "make fuzz         libFuzzer on the parsers (HTTP, conditionals, Accept-Encoding, forwarded fields, PROXY), paths, the walk (FUZZ_SECONDS=60 each)"
	@echo "make nginx-compare  the same conditional and range requests to otuserver and nginx"
	@echo "make browser-check  headless Chromium loads examples/spa: types, gzip, Cache-Control, the app ran"
	@echo "make precompress SITE=DIR  write .gz (and .br, .zst) siblings for a site's text files"
	@echo "make k8s-check    k8s/ and the Helm chart's renderings: API types, the project's policy, helm lint"
	@echo "make k8s-smoke    k8s/ and the chart on a real cluster (KUBECONFIG): load, rollouts, evictions, HPA"
	@echo "make k8s-local-up / k8s-local-down  a single-node cluster on this machine (root)"
	@echo "make actionlint   lint the GitHub workflows"
	@echo "make workflow-check  every make target the workflows name exists; they cover .ci/run"
	@echo "make bench        otuserver vs the floor, nginx, lighttpd, h2o: pinned, a quota per column, CPU per request, medians of 5"
	@echo "make bench-conns  15,000 and 100,000 keep-alive connections: memory per connection, active p99"
	@echo "make bench-latency  vegeta at 50/80/95 % of the best peer's capacity: p50, p99, p99.9"
	@echo "make bench-profile  syscalls, context switches and callgrind per request: otuserver, floor, h2o, lighttpd"
	@echo "make callgrind    instructions per keep-alive request"
	@echo "make lint         cppcheck, clang-tidy, clang-format, shellcheck, yamllint, module map, docs: zero findings"
	@echo "make format       lays out every C file as .clang-format says"
	@echo "make docs-config  writes the options table of docs/configuration.md from the option rows"
	@echo "make valgrind     valgrind: 10,000 requests, then the end-to-end suite; no error, no leak"
	@echo "make ci-fresh     .ci/run's stages in a bare Debian container: every install step proven"
	@echo "make clean        remove build/"

deps:
	@scripts/build/install-deps

# Debian's media types (package media-types), made into a C table for mime.c.
MIME_TYPES ?= /etc/mime.types
build/gen/mime_table.inc: scripts/build/gen-mime-table
	scripts/build/gen-mime-table $(MIME_TYPES) $@
build/obj/mime.o build/asan/obj/mime.o: build/gen/mime_table.inc

build/otuserver: $(REL_OBJS)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(EVENT_LIBS) $(CRYPT_LIBS) $(CODEC_LIBS) $(YAML_LIBS) $(XXHASH_LIBS) $(LDFLAGS) -Wl,-z,relro,-z,now

build/asan/otuserver: $(SAN_OBJS)
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(EVENT_LIBS) $(CRYPT_LIBS) $(CODEC_LIBS) $(YAML_LIBS) $(XXHASH_LIBS) $(LDFLAGS)

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -MMD -MP -c $< -o $@

build/asan/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

build/asan/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(CHECK_CFLAGS) $(SRC_INCLUDES) -Wno-missing-prototypes -MMD -MP -c $< -o $@

.SECONDEXPANSION:
build/asan/check_%: build/asan/tests/check_%.o $$(addprefix build/asan/obj/,$$(addsuffix .o,$$(check_$$*_OBJS)))
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(CHECK_LIBS) $(EVENT_LIBS) $(CRYPT_LIBS) $(CODEC_LIBS) $(YAML_LIBS) $(XXHASH_LIBS) $(check_$*_LIBS)

# The end-to-end suite: check_e2e.c (main) and every tests/e2e_*.c: the subject files, the
# fixture they share (e2e_fixture.c) and the raw HTTP client (e2e_util.c).
# The suite also needs the openat2 shim beside it (order-only: it is not linked in).
E2E_OBJS := $(patsubst tests/%.c,build/asan/tests/%.o,tests/check_e2e.c $(wildcard tests/e2e_*.c))
build/asan/check_e2e: $(E2E_OBJS) | build/fork_fail.so build/asan/openat2_enosys.so
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(CHECK_LIBS)

# An LD_PRELOAD shim that makes fork() fail on demand (the master's back-off test).
build/fork_fail.so: tests/fork_fail.c
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) -O2 -fPIC -shared -o $@ $< -ldl

# LD_PRELOAD shim that hides openat2 (tests force the path walk with it); no
# sanitizers, so it loads into any build of the server and under valgrind.
build/asan/openat2_enosys.so: tests/openat2_enosys.c src/util/compat.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) -O2 $(SRC_INCLUDES) -fPIC -shared -o $@ tests/openat2_enosys.c -ldl

# docs/configuration.md's options table, printed from the option table's rows.
CONFIG_REF_OBJS = config_help config_options optparse netaddr compress compress_dir encoder cors listen mime pages path_rules redirect http_parser \
                  clock log path textbuf
build/config-reference: tests/config_reference.c $(patsubst %,build/obj/%.o,$(CONFIG_REF_OBJS))
	$(CC) $(FINAL_CFLAGS) -o $@ $^ $(DEFLATE_LIBS) $(BROTLI_LIBS) $(ZSTD_LIBS)

# Writes the table into docs/configuration.md (between its options markers); make lint checks it.
docs-config: build/config-reference
	scripts/check/config-reference --write

# The fault-test load generator, built without sanitizers so it can drive real load.
build/loadcheck: tests/loadcheck.c tests/e2e_util.c tests/e2e_util.h
	$(CC) $(FINAL_CFLAGS) -pthread -o $@ tests/loadcheck.c tests/e2e_util.c

run: deps build/otuserver
	build/otuserver -p 8080 -w 2 -r DOCUMENT_ROOT -f - -l info

unit: $(patsubst %,build/asan/%,$(UNIT_TESTS))
	@fail=0; for t in $^; do echo "== $$t"; $$t || fail=1; done; exit $$fail

# End-to-end: the sanitized server against a fixture tree the tests create.
e2e: build/asan/otuserver build/asan/check_e2e build/loadcheck
	OTU_SERVER=build/asan/otuserver build/asan/check_e2e

# End-to-end against the shared public corpus, byte for byte, when it is there.
e2e-httptest: build/asan/otuserver build/asan/check_e2e
	@if [ -d "$(SHARED)/httptest" ]; then \
		OTU_SERVER=build/asan/otuserver OTU_HTTPTEST_ROOT=$(SHARED) CK_RUN_SUITE=httptest build/asan/check_e2e; \
	else echo "SKIPPED: $(SHARED)/httptest not found; the shared-corpus pass did not run"; fi

test: deps
	$(MAKE) unit
	$(MAKE) e2e
	$(MAKE) e2e-httptest

# Static build: fully static with musl, for STATIC_ARCH x86_64 (Debian's musl-gcc)
# or aarch64 (Debian's cross compiler with a musl built from Debian's source).
# Every library comes from scripts/build/musl-lib (a row each, from Debian's
# source packages, cached in ~/.cache/otuserver-deps) into
# build/deps/ARCH/NAME/include and build/deps/ARCH/NAME/lib.
STATIC_ARCH ?= x86_64
DEPS         = build/deps/$(STATIC_ARCH)
ifeq ($(STATIC_ARCH),x86_64)
MUSL_CC     ?= musl-gcc
MUSL_STRIP   = strip
STATIC_DIR   = build
else ifeq ($(STATIC_ARCH),aarch64)
MUSL_CC     ?= $(DEPS)/musl/bin/musl-gcc
MUSL_STRIP   = aarch64-linux-gnu-strip
STATIC_DIR   = build/aarch64
else
$(error STATIC_ARCH is x86_64 or aarch64, not $(STATIC_ARCH))
endif
# The archives of each library (its row in scripts/build/musl-lib).
DEP_ARCHIVES_libevent   = libevent_core.a
DEP_ARCHIVES_crypt      = libcrypt.a
DEP_ARCHIVES_libdeflate = libdeflate.a
DEP_ARCHIVES_check      = libcheck.a
DEP_ARCHIVES_libyaml    = libyaml.a
DEP_ARCHIVES_brotli     = libbrotlienc.a libbrotlidec.a libbrotlicommon.a
DEP_ARCHIVES_zstd       = libzstd.a
DEP_ARCHIVES_xxhash     = libxxhash.a
DEP_ARCHIVES_zlib       = libz.a
# What the server links, in link order: adding a library to the static link is adding its name here.
STATIC_DEPS  = libevent crypt libdeflate brotli zlib zstd libyaml xxhash
# Built and cached beside them, not linked yet.
CACHED_DEPS  =
# A library's folders and archives: $(call dep_include,NAME), $(call dep_lib,NAME), $(call dep_archives,NAME)
dep_include  = $(DEPS)/$(1)/include
dep_lib      = $(DEPS)/$(1)/lib
dep_archives = $(addprefix $(DEPS)/$(1)/lib/,$(DEP_ARCHIVES_$(1)))
dep_built    = $(DEPS)/$(1)/.musl-lib-done
STATIC_ARCHIVES = $(foreach d,$(STATIC_DEPS),$(call dep_archives,$(d)))
STATIC_LINK  = $(shell scripts/build/static-pie-probe $(MUSL_CC))
STATIC_FLAGS = $(STD) $(WARN) -O2 $(HARDEN) $(SRC_INCLUDES) $(foreach d,$(STATIC_DEPS),-I$(call dep_include,$(d))) -Ibuild/gen
# The libraries are built with -ffunction-sections -fdata-sections, so -Wl,--gc-sections
# drops their unused code (x86_64, before libyaml: 481,248 -> 399,328 bytes, measured).
STATIC_LDFLAGS ?= -Wl,--gc-sections -Wl,-z,relro,-z,now,-z,noexecstack
STATIC_BIN   = $(STATIC_DIR)/otuserver-static

$(DEPS)/%/.musl-lib-done:
	scripts/build/musl-lib $* $(STATIC_ARCH) $(DEPS)/$*

$(DEPS)/musl/bin/musl-gcc:
	scripts/build/musl-lib musl $(STATIC_ARCH) $(DEPS)/musl

$(STATIC_BIN): $(SRCS) $(HDRS) $(foreach d,$(STATIC_DEPS),$(call dep_built,$(d))) build/gen/mime_table.inc
	@mkdir -p $(@D)
	$(MUSL_CC) $(STATIC_FLAGS) $(STATIC_LINK) -o $@ $(SRCS) $(STATIC_ARCHIVES) $(STATIC_LDFLAGS)
	$(MUSL_STRIP) $@

static: $(STATIC_BIN)

# Every library of the table built for STATIC_ARCH (and cached), linked or not yet.
static-deps: $(foreach d,$(STATIC_DEPS) $(CACHED_DEPS) check,$(call dep_built,$(d)))

# The unit suites, static with musl and without sanitizers (musl has none): for
# another architecture, run under qemu by make cross-test.
STATIC_UNITS = $(patsubst %,$(STATIC_DIR)/unit/%,$(UNIT_TESTS))
$(STATIC_DIR)/unit/check_%: tests/check_%.c $(SRCS) $(HDRS) $(wildcard tests/*.h) $(call dep_built,check) \
		$(foreach d,$(STATIC_DEPS),$(call dep_built,$(d))) build/gen/mime_table.inc
	@mkdir -p $(@D)
	$(MUSL_CC) $(STATIC_FLAGS) -I$(call dep_include,check) $(SRC_INCLUDES) -Wno-missing-prototypes -g0 $(STATIC_LINK) -o $@ $< \
		$(foreach o,$(check_$*_OBJS),$(filter %/$(o).c,$(SRCS))) $(call dep_archives,check) $(STATIC_ARCHIVES)

static-units: $(STATIC_UNITS)

# Every coding library and libyaml and xxhash, each used once with a known answer by one
# static program linked with --gc-sections (tests/static_libs.c): the musl builds work alone.
STATIC_LIBS_DEPS = libdeflate libyaml xxhash brotli zstd $(CACHED_DEPS)
$(STATIC_DIR)/unit/static_libs: tests/static_libs.c $(foreach d,$(STATIC_LIBS_DEPS),$(call dep_built,$(d)))
	@mkdir -p $(@D)
	$(MUSL_CC) $(STD) $(WARN) -O2 $(foreach d,$(STATIC_LIBS_DEPS),-I$(call dep_include,$(d))) $(STATIC_LINK) \
		-Wl,--gc-sections -o $@ $< $(foreach d,$(STATIC_LIBS_DEPS),$(call dep_archives,$(d)))

static-libs-test: $(STATIC_DIR)/unit/static_libs
	$(STATIC_DIR)/unit/static_libs

# The static binary: fully static, then the whole end-to-end suite against it.
static-test: build/otuserver-static build/asan/check_e2e build/loadcheck
	scripts/check/check-static build/otuserver-static
	OTU_SERVER=build/otuserver-static build/asan/check_e2e

# Container image: FROM scratch, the static binary and the bundled site.
# Docker's legacy builder (BuildKit needs buildx, which Docker 20.10 here lacks)
# leaves the images of earlier stages and builds untagged: the build stage is
# kept under $(IMAGE)-build:latest (its layers are the next build's cache), and
# what is left untagged with the project's source label is pruned.
IMAGE    ?= otuserver
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
IMAGE_SOURCE_LABEL = org.opencontainers.image.source=https://github.com/otuserver/otuserver
DOCKER_BUILD = DOCKER_BUILDKIT=0 docker build --network host -q
IMAGE_ARGS   = --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	--build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ)
IMAGE_PRUNE  = docker image prune -f --filter label=$(IMAGE_SOURCE_LABEL) >/dev/null

image:
	scripts/build/docker-base debian:bookworm-slim
	$(DOCKER_BUILD) $(IMAGE_ARGS) --target build -t $(IMAGE)-build:latest .
	$(DOCKER_BUILD) $(IMAGE_ARGS) -t $(IMAGE):$(VERSION) -t $(IMAGE):latest .
	$(DOCKER_BUILD) -t $(IMAGE)-loadtest:$(VERSION) loadtest
	$(IMAGE_PRUNE)

# The arm64 images, tagged VERSION-arm64 (a tag holds one platform in Docker 20.10's
# store): the aarch64 cross build - the binary make cross-test runs under qemu - in
# scratch through the Dockerfile's prebuilt target, from a context holding only it and
# the site; the load-test image on an arm64 Debian (its apt-get runs under qemu).
ARM64_BASE ?= otuserver-base:bookworm-slim-arm64
image-arm64:
	$(MAKE) static STATIC_ARCH=aarch64
	scripts/build/qemu-binfmt
	rm -rf build/image-arm64 && mkdir -p build/image-arm64
	cp build/aarch64/otuserver-static build/image-arm64/otuserver
	cp -r DOCUMENT_ROOT build/image-arm64/
	$(DOCKER_BUILD) --platform linux/arm64 $(IMAGE_ARGS) --target prebuilt -f Dockerfile \
		-t $(IMAGE):$(VERSION)-arm64 build/image-arm64
	scripts/build/docker-base $(ARM64_BASE) linux/arm64
	$(DOCKER_BUILD) --platform linux/arm64 --build-arg BASE=$(ARM64_BASE) -t $(IMAGE)-loadtest:$(VERSION)-arm64 loadtest
	$(IMAGE_PRUNE)

# The aarch64 build tested here under qemu-user-static: static, unit suites, the
# libraries, the end-to-end suite against it, the arm64 images run (scripts/systest/cross-test).
cross:
	$(MAKE) static static-units static-libs-test STATIC_ARCH=aarch64

cross-test: build/asan/check_e2e build/loadcheck build/asan/openat2_enosys.so build/fork_fail.so
	scripts/systest/cross-test

image-test: image build/asan/check_e2e build/loadcheck
	scripts/systest/image-test $(IMAGE):$(VERSION)

# The compose stack: otuserver next to an ab/wrk container.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

loadtest:
	scripts/build/docker-base debian:bookworm-slim
	$(COMPOSE) up --build --abort-on-container-exit --exit-code-from loadtest; \
		status=$$?; $(COMPOSE) down -v >/dev/null 2>&1; exit $$status

loadtest-test:
	scripts/build/docker-base debian:bookworm-slim
	scripts/systest/loadtest-test

# examples/behind-haproxy: Debian's HAProxy in front of the image, PROXY v2 and X-Forwarded-For.
proxy-compose-test: image
	scripts/systest/proxy-compose-test $(IMAGE):$(VERSION)

# libFuzzer (clang): the parser, RFC 9110's field values, Accept-Encoding negotiation, path resolution, the path walk, the forwarded
# fields and the PROXY protocol header, FUZZ_SECONDS each.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS    = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(SRC_INCLUDES)
FUZZ_TARGETS  = http_parser http_cond accept_coding path walk forwarded proxy_proto

build/fuzz/fuzz_http_parser: fuzz/fuzz_http_parser.c src/http/http_parser.c src/http/http_parser.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_http_parser.c src/http/http_parser.c

build/fuzz/fuzz_http_cond: fuzz/fuzz_http_cond.c src/http/http_cond.c src/http/http_cond.h src/http/http_date.c src/http/http_parser.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_http_cond.c src/http/http_cond.c src/http/http_date.c src/http/http_parser.c

build/fuzz/fuzz_accept_coding: fuzz/fuzz_accept_coding.c src/http/accept_coding.c src/http/accept_coding.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_accept_coding.c src/http/accept_coding.c

build/fuzz/fuzz_path: fuzz/fuzz_path.c src/files/path.c src/files/path.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_path.c src/files/path.c

build/fuzz/fuzz_walk: fuzz/fuzz_walk.c src/files/walk.c src/files/walk.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_walk.c src/files/walk.c

FORWARDED_FUZZ_SRCS = src/http/forwarded.c src/util/netaddr.c src/http/http_parser.c src/util/optparse.c
build/fuzz/fuzz_forwarded: fuzz/fuzz_forwarded.c $(FORWARDED_FUZZ_SRCS) src/http/forwarded.h src/util/netaddr.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_forwarded.c $(FORWARDED_FUZZ_SRCS)

build/fuzz/fuzz_proxy_proto: fuzz/fuzz_proxy_proto.c src/server/proxy_proto.c src/server/proxy_proto.h src/util/netaddr.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_proxy_proto.c src/server/proxy_proto.c src/util/netaddr.c src/util/optparse.c

# Each target runs from a copy of the seed corpus; a crash, leak or sanitizer report fails.
fuzz: $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))
	@pass=0; failed=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus-$$t; cp -n fuzz/corpus/$$t/* build/fuzz/corpus-$$t/ 2>/dev/null; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		if build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/http.dict -max_len=4096 \
			-print_final_stats=1 -artifact_prefix=build/fuzz/$$t- build/fuzz/corpus-$$t \
			> build/fuzz/$$t.log 2>&1; then pass=$$((pass + 1)); \
		else failed=$$((failed + 1)); tail -40 build/fuzz/$$t.log; fi; \
		grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss' build/fuzz/$$t.log; \
	done; echo "fuzz: $$pass passed, $$failed failed"; [ $$failed -eq 0 ]

# Conditional and range answers compared with nginx's on the same files.
nginx-compare: build/otuserver
	scripts/systest/nginx-compare build/otuserver

# A real browser (Debian's chromium, installed when missing) loads examples/spa
# from the server: what arrived (types, gzip, Cache-Control) and what ran.
browser-check: build/otuserver
	OTU_BIN=build/otuserver scripts/systest/browser-check

# Writes FILE.gz, FILE.br and FILE.zst next to every compressible file of SITE, each only when smaller than FILE.
SITE ?= DOCUMENT_ROOT
precompress:
	scripts/build/precompress $(SITE)

# Kubernetes manifests: strict decoding into k8s.io/api types, the project's
# policy, and agreement with --help; then the checker's own tests.
GO ?= go
k8s-check: build/otuserver
	build/otuserver --help > build/help.txt
	cd scripts/cluster/k8scheck && $(GO) build -o ../../../build/k8scheck .
	build/k8scheck -help-text build/help.txt -version $(VERSION) k8s
	cd scripts/cluster/k8scheck && OTU_HELP_FILE=$(CURDIR)/build/help.txt OTU_VERSION=$(VERSION) $(GO) test -count=1 -v ./... | \
		grep -E '^(=== RUN|--- |ok|FAIL|PASS)'; exit $${PIPESTATUS[0]}
	scripts/cluster/helm-check $(VERSION)

# k8s/ and the chart on a real cluster (KUBECONFIG): Pod Security, the load Job,
# metrics, a rolling restart and evictions under load, the HPA, helm install.
k8s-smoke:
	scripts/cluster/k8s-smoke

# A single-node cluster on this machine (root, Debian): Kubernetes built from
# the Go module proxy, the images from the local Docker engine.
k8s-local-up:
	scripts/cluster/k8s-local up

k8s-local-down:
	scripts/cluster/k8s-local down

# The GitHub workflows: actionlint, and the make targets they name exist and
# cover what .ci/run runs.
ACTIONLINT ?= $(shell command -v actionlint 2>/dev/null || echo $(HOME)/go/bin/actionlint)
actionlint:
	@[ -x "$(ACTIONLINT)" ] || $(GO) install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
	$(ACTIONLINT) -no-color .github/workflows/*.yml && echo "actionlint: 1 passed, 0 failed"

workflow-check:
	scripts/check/workflow-check
	scripts/check/workflow-check-test

ci-deps:
	scripts/build/ci-deps

# .ci/run's stages that need no Docker engine, in a bare debian:bookworm-slim
# container: proves every install step on a fresh machine (CI_FRESH_STAGES=...).
ci-fresh:
	scripts/systest/ci-fresh

# Publishing: both images for linux/amd64 and linux/arm64 as multi-platform
# indexes, an SBOM per platform and a cosign signature, the chart as an OCI
# artifact (scripts/release/).  The same targets serve the local registry
# (publish-test, the local cluster) and a release on GitHub (release.yml):
#   REGISTRY   empty: the local one (scripts/release/registry, 127.0.0.1:5055)
#   SIGN_KEY   a cosign key file: signed offline, no transparency log;
#              empty: keyless (GitHub's OIDC identity, Fulcio, Rekor)
REGISTRY        ?=
SIGN_KEY        ?=
RELEASE_VERSION ?= $(VERSION)
RELEASE_TAG     ?= v$(VERSION)
# VERSION, MAJOR.MINOR, MAJOR and latest; a pre-release (1.1.0-rc1) only its own
RELEASE_TAGS    ?= $(if $(findstring -,$(RELEASE_VERSION)),$(RELEASE_VERSION),$(RELEASE_VERSION) \
	$(word 1,$(subst ., ,$(RELEASE_VERSION))).$(word 2,$(subst ., ,$(RELEASE_VERSION))) \
	$(word 1,$(subst ., ,$(RELEASE_VERSION))) latest)
PUBLISH_ENV      = REGISTRY="$(REGISTRY)" SIGN_KEY="$(SIGN_KEY)" VERSION="$(RELEASE_VERSION)" \
	TAGS="$(filter-out $(RELEASE_VERSION),$(RELEASE_TAGS))"

# Pushes what make image and make image-arm64 made, signs it, attaches the SBOMs, pushes the chart.
publish:
	$(PUBLISH_ENV) scripts/release/publish

# What was published, checked as a user would: indexes, signature, SBOMs, pulls per platform, chart.
publish-verify:
	$(PUBLISH_ENV) scripts/release/verify

# The whole of it against a registry started here, with a key made here; tampering caught.
publish-test: image image-arm64
	scripts/release/publish-test

registry-up:
	scripts/release/registry start

registry-down:
	scripts/release/registry stop

# The static binaries of both architectures, as tested here, with their checksums.
release-binaries: static
	$(MAKE) static STATIC_ARCH=aarch64
	@rm -rf dist && mkdir -p dist
	cp build/otuserver-static dist/otuserver-$(RELEASE_VERSION)-linux-amd64
	cp build/aarch64/otuserver-static dist/otuserver-$(RELEASE_VERSION)-linux-arm64
	cd dist && sha256sum otuserver-* > SHA256SUMS

release-upload:
	gh release upload $(RELEASE_TAG) dist/* --clobber

# Side by side with nginx, lighttpd and h2o (bench/run-bench: BENCH_MODE=pinned, one worker
# on CPU 1 under half a core, medians of five; BENCH_MODE=spread, the 2-worker way): ratios, chart.
bench: build/otuserver build/floor
	OTU_BIN=build/otuserver FLOOR_BIN=build/floor DOCROOT=$(SHARED) bench/run-bench

# Many concurrent keep-alive connections: memory per connection and the active clients' p99
# (bench/run-conns: 15,000 to otuserver, nginx and h2o; 100,000 to otuserver and nginx).
bench-conns: build/otuserver build/conns
	OTU_BIN=build/otuserver CONNS_BIN=build/conns DOCROOT=$(SHARED) bench/run-conns

# Latency at fixed rates (50/80/95 % of the best peer's capacity) with vegeta (bench/run-latency).
bench-latency: build/otuserver
	OTU_BIN=build/otuserver DOCROOT=$(SHARED) bench/run-latency

# Where a request's CPU goes: syscalls, context switches, callgrind (bench/profile).
bench-profile: build/otuserver build/floor
	OTU_BIN=build/otuserver FLOOR_BIN=build/floor DOCROOT=$(SHARED) bench/profile

# The many-connections client of make bench-conns (bench/conns/conns.c).
build/conns: bench/conns/conns.c
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(OPT) $(HARDEN) -D_GNU_SOURCE $(CFLAGS) -o $@ $< $(LDFLAGS)

# The floor: the least a server can do on this kernel per request (bench/floor/floor.c).
build/floor: bench/floor/floor.c
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(OPT) $(HARDEN) -D_GNU_SOURCE $(CFLAGS) -o $@ $< $(LDFLAGS)

# Instructions per keep-alive request under callgrind (repeatable on a noisy machine).
callgrind: build/otuserver
	OTU_ROOT=$(SHARED) scripts/check/callgrind-request build/otuserver

# cppcheck, clang-tidy, shellcheck, yamllint, the module boundary and the docs' links
# and options table: zero findings.
lint:
	scripts/check/lint

# Lays out every C file as .clang-format says (make lint checks it).
format:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]')

# Under valgrind: one worker for 10,000 requests, then the whole end-to-end
# suite with one worker per server.  No error, no leak.
valgrind: build/otuserver build/asan/check_e2e build/loadcheck
	scripts/systest/valgrind-check build/otuserver
	scripts/systest/valgrind-e2e

clean:
	rm -rf build

-include $(wildcard build/obj/*.d build/asan/obj/*.d build/asan/tests/*.d)
