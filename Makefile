# simvault: the two commands a fresh Debian machine needs (run as root, or
# with sudo available for scripts/bootstrap):
#
#   make demo   install packages if missing, build, create a demo vault in a
#               throwaway keyring session and run `simvault health` on it
#   make test   install packages if missing, build, check the binary links
#               only libsqlcipher, check the public API against
#               api/SimVault.public.txt (scripts/api-baseline), run the whole
#               test suite against a real, private gnome-keyring
#   make bench  the benchmark behind docs/performance.md (release build,
#               a few minutes); make bench-quick checks it still runs (CI);
#               ENGINE=sqlcipher4 runs it on SQLCipher 4 instead
#   make test-sqlcipher4  the end-to-end tests again, every simvault program
#               on SQLCipher 4 (scripts/with-sqlcipher4)
#   make docs   the library's API documentation (DocC) into .build/docs
#   make install    the release binary, its SQLite reader helper (in
#                   libexec/simvault), bash/zsh/fish completions and a man
#                   page under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local);
#                   make uninstall removes exactly those files
#
# Swift 6 is expected on PATH or at /opt/swift/usr/bin.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift
# Swift Testing runs tests in parallel; each CLI test starts its own keyring
# session, so a few workers are enough on small machines.
TEST_FLAGS ?=

.PHONY: all bootstrap build release demo test test-sqlcipher4 sanitize fuzz check-linkage bench bench-quick docs install uninstall clean

# SQLCipher 4 without rebuilding: scripts/with-sqlcipher4 installs PyPI's
# sqlcipher3-binary wheel (a SQLCipher 4.12 build) into a cache. `--env`
# only tells the tests where it is: they start simvault on it themselves
# (Tests/Support/TestEngine.swift), the outside tools stay the system's.
WITH_SQLCIPHER4_ENV := scripts/with-sqlcipher4 --env --

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
	scripts/api-baseline --check
	SIMVAULT_REQUIRE_KEYRING_TESTS=1 SIMVAULT_REQUIRE_SQLCIPHER4=1 SIMVAULT_REQUIRE_POSTGRES_TESTS=1 $(WITH_SQLCIPHER4_ENV) \
	  scripts/with-keyring -- $(SWIFT) test --skip-build $(TEST_FLAGS)

# The CLI end-to-end tests (everything that touches files and keys) a second
# time, each simvault and vault-torture process on SQLCipher 4 while the test
# process and the outside tools stay on 3.4.1, so every step crosses engines.
# The engine-explicit interop suites already ran in `make test`; kill loops
# and damage loops run fewer rounds here.
SQLCIPHER4_SKIP := 'EngineInteropTests|CipherChangeKillLoopTests|engineInteropTestsWereEnabled|SimPostgresKillLoopTests'
SQLCIPHER4_ROUNDS := SIMVAULT_KILL_ROUNDS=8 SIMVAULT_TRANSFER_KILL_ROUNDS=8 SIMVAULT_CRASH_ROUNDS=60 SIMVAULT_DAMAGE_CASES=20
test-sqlcipher4: bootstrap
	$(SWIFT) build --build-tests
	SIMVAULT_REQUIRE_KEYRING_TESTS=1 SIMVAULT_TEST_ENGINE=sqlcipher4 $(SQLCIPHER4_ROUNDS) $(WITH_SQLCIPHER4_ENV) \
	  scripts/with-keyring -- $(SWIFT) test --skip-build --filter SimVaultCLITests --skip $(SQLCIPHER4_SKIP) $(TEST_FLAGS)

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
# ENGINE=sqlcipher4: the same binary on SQLCipher 4 (scripts/with-sqlcipher4).
ENGINE ?= sqlcipher3
ifeq ($(ENGINE),sqlcipher4)
BENCH_ENGINE := scripts/with-sqlcipher4 --
else ifeq ($(ENGINE),sqlcipher3)
BENCH_ENGINE :=
else
$(error ENGINE must be sqlcipher3 (the linked system library) or sqlcipher4)
endif
bench: bootstrap
	$(SWIFT) build -c release --product simvault-bench
	scripts/with-keyring -- scripts/with-postgres -- $(BENCH_ENGINE) .build/release/simvault-bench $(BENCH_FLAGS)

# A small data set in a debug build: seconds; checks that every workload
# runs and that simvault and the raw C baseline agree, not the timings.
bench-quick: bootstrap
	$(SWIFT) build --product simvault-bench
	scripts/with-keyring -- scripts/with-postgres -- $(BENCH_ENGINE) .build/debug/simvault-bench --quick

# The library's API documentation (Sources/SimVault/SimVault.docc), as a
# static site in .build/docs (open .build/docs/index.html through any web
# server, or `python3 -m http.server -d .build/docs`).
docs: bootstrap
	$(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation \
	  --target SimVault --disable-indexing --transform-for-static-hosting --output-path .build/docs

# Installation, like a distribution package would lay it out. DESTDIR is
# honoured for staged installs (CI installs into a temporary directory).
PREFIX ?= /usr/local
BINDIR = $(DESTDIR)$(PREFIX)/bin
# simvault looks for simvault-sqlite-reader beside itself, then in
# ../libexec/simvault (docs/SECURITY.md, "Other apps' databases").
LIBEXECDIR = $(DESTDIR)$(PREFIX)/libexec/simvault
MAN1DIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASH_COMPLETIONDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSH_COMPLETIONDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISH_COMPLETIONDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
MANUAL = .build/plugins/GenerateManual/outputs/simvault/simvault.1
INSTALLED_FILES = $(BINDIR)/simvault $(LIBEXECDIR)/simvault-sqlite-reader $(MAN1DIR)/simvault.1 $(BASH_COMPLETIONDIR)/simvault \
	$(ZSH_COMPLETIONDIR)/_simvault $(FISH_COMPLETIONDIR)/simvault.fish

# The man page comes from swift-argument-parser's generate-manual plugin and
# the completions from the binary itself, so both always match the CLI.
install: bootstrap
	$(SWIFT) build -c release --product simvault
	$(SWIFT) build -c release --product simvault-sqlite-reader
	scripts/check-linkage .build/release/simvault .build/release/simvault-sqlite-reader
	$(SWIFT) package generate-manual
	install -d $(BINDIR) $(LIBEXECDIR) $(MAN1DIR) $(BASH_COMPLETIONDIR) $(ZSH_COMPLETIONDIR) $(FISH_COMPLETIONDIR)
	install -m 755 .build/release/simvault $(BINDIR)/simvault
	install -m 755 .build/release/simvault-sqlite-reader $(LIBEXECDIR)/simvault-sqlite-reader
	install -m 644 $(MANUAL) $(MAN1DIR)/simvault.1
	.build/release/simvault --generate-completion-script bash > $(BASH_COMPLETIONDIR)/simvault
	.build/release/simvault --generate-completion-script zsh > $(ZSH_COMPLETIONDIR)/_simvault
	.build/release/simvault --generate-completion-script fish > $(FISH_COMPLETIONDIR)/simvault.fish
	chmod 644 $(BASH_COMPLETIONDIR)/simvault $(ZSH_COMPLETIONDIR)/_simvault $(FISH_COMPLETIONDIR)/simvault.fish

uninstall:
	rm -f $(INSTALLED_FILES)
	rmdir $(LIBEXECDIR) 2>/dev/null || true

clean:
	rm -rf .build .build-tsan .build-asan .build-fuzz demo
