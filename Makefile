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
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift
# Swift Testing runs tests in parallel; each CLI test starts its own keyring
# session, so a few workers are enough on small machines.
TEST_FLAGS ?=

.PHONY: all bootstrap build release demo test check-linkage bench bench-quick clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

check-linkage: build
	scripts/check-linkage .build/debug/simvault

demo: build
	scripts/demo .build/debug/simvault

test: bootstrap
	$(SWIFT) build --build-tests
	scripts/check-linkage .build/debug/simvault
	SIMVAULT_REQUIRE_KEYRING_TESTS=1 scripts/with-keyring -- $(SWIFT) test --skip-build $(TEST_FLAGS)

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
	rm -rf .build demo
