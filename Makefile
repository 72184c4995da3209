# simvault: the two commands a fresh Debian machine needs (run as root, or
# with sudo available for scripts/bootstrap):
#
#   make demo   install packages if missing, build, create a demo vault in a
#               throwaway keyring session and run `simvault health` on it
#   make test   install packages if missing, build, check the binary links
#               only libsqlcipher, run the whole test suite against a real,
#               private gnome-keyring
#   make bench  the benchmark behind README "Performance" (release build,
#               a few minutes); make bench-quick checks it still runs (CI)
#
# Swift 6 is expected on PATH or at /opt/swift/usr/bin.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift
# Swift Testing runs tests in parallel; each CLI test starts its own keyring
# session, so a few workers are enough on small machines.
TEST_FLAGS ?=

.PHONY: all bootstrap build release demo test sanitize fuzz check-linkage bench bench-quick clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

check-linkage: build
	scripts/check-linkage .build/debug/simvault .build/debug/simvault-sqlite-reader

demo: build
	scripts/demo .build/debug/simvault

test: bootstrap
	$(SWIFT) build --build-tests
	scripts/check-linkage .build/debug/simvault .build/debug/simvault-sqlite-reader
	SIMVAULT_REQUIRE_KEYRING_TESTS=1 scripts/with-keyring -- $(SWIFT) test --skip-build $(TEST_FLAGS)

# The library's tests (engine, vault, keys, stores, migrations: all the
# threaded code) under ThreadSanitizer and AddressSanitizer (with
# LeakSanitizer; toolchain-internal leaks are listed in scripts/lsan.supp).
SANITIZED_TESTS := 'SimVaultTests|VaultKeysTests|VaultSchemaTests'
sanitize: bootstrap
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	SIMVAULT_REQUIRE_KEYRING_TESTS=1 TSAN_OPTIONS=halt_on_error=1 scripts/with-keyring -- \
	  $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter $(SANITIZED_TESTS)
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan 2>&1 | grep -v 'Cannot export local symbol'
	SIMVAULT_REQUIRE_KEYRING_TESTS=1 ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp \
	  scripts/with-keyring -- $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --filter $(SANITIZED_TESTS)

# Coverage-guided fuzzing of the parsers (libFuzzer + ASan), 30 s per target.
FUZZ_SECONDS ?= 30
fuzz: bootstrap
	scripts/fuzz $(FUZZ_SECONDS)

# BENCH_FLAGS: e.g. --json bench.json, --only Search (see --help).
bench: bootstrap
	$(SWIFT) build -c release --product simvault-bench
	scripts/with-keyring -- .build/release/simvault-bench $(BENCH_FLAGS)

# A small data set in a debug build: seconds; checks that every workload
# runs and that simvault and the raw C baseline agree, not the timings.
bench-quick: bootstrap
	$(SWIFT) build --product simvault-bench
	scripts/with-keyring -- .build/debug/simvault-bench --quick

clean:
	rm -rf .build .build-tsan .build-asan .build-fuzz demo
