# The README's two commands are `make demo` and `make test`; both install
# redis-server first when it is missing.

GO ?= go
FUZZTIME ?= 10s

.PHONY: deps bench-deps demo test fuzz fuzz-all build release bench bench-backup bench-s3 bench-archive bench-pitr

deps:
	@scripts/install-deps.sh

# What deps installs plus what only the benchmarks need (not make test,
# not CI): Ansible and python3-redis from Debian's archive, for the
# Ansible alternative measured beside plan (scripts/install-deps.sh --bench).
bench-deps:
	@scripts/install-deps.sh --bench

# -buildvcs=auto stamps the commit (redisplan version names it) even where
# GOFLAGS turns VCS stamping off.
build:
	$(GO) build -buildvcs=auto -o bin/redisplan ./cmd/redisplan

# Static binaries for linux amd64/arm64 and darwin arm64 with SHA256SUMS,
# in dist/ (VERSION=v1.2.3 names the release; default git describe).
release:
	scripts/release.sh

demo: deps build
	scripts/demo.sh

test: deps
	$(GO) vet ./...
	$(MAKE) --no-print-directory fuzz
	$(GO) test -count=1 ./...

# Each fuzz target runs briefly on top of its seed corpus (which plain
# `go test` already runs).
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzLoad$$' -fuzztime=$(FUZZTIME) ./hcl
	$(GO) test -run='^$$' -fuzz='^FuzzParseRoundTrip$$' -fuzztime=$(FUZZTIME) ./internal/redisconf
	$(GO) test -run='^$$' -fuzz='^FuzzQuoteSplit$$' -fuzztime=$(FUZZTIME) ./internal/redisconf
	$(GO) test -run='^$$' -fuzz='^FuzzRenderParse$$' -fuzztime=$(FUZZTIME) ./internal/redisconf

# Every fuzz target, one after the other, on one worker each so that the
# figures compare between machines: `make fuzz-all FUZZTIME=10m` is the
# long run docs/reliability.md records.
FUZZ_TARGETS = \
	./hcl:FuzzLoad \
	./internal/redisconf:FuzzParseRoundTrip \
	./internal/redisconf:FuzzQuoteSplit \
	./internal/redisconf:FuzzSetKeepsOtherLines \
	./internal/redisconf:FuzzRenderParse \
	./internal/redisconf:FuzzApplyEditsKeepsOtherLines \
	./internal/adversarial:FuzzCrontabSplice \
	./internal/adversarial:FuzzManifest
fuzz-all:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $$name ($$pkg, $(FUZZTIME))"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -parallel=1 $$pkg; \
	done

# Every benchmark beside its alternative, in one run: plan (1, 10, 100
# targets) against a redis-cli loop and an Ansible check-mode run
# (testdata/bench/ansible), backup and restore at three dataset
# sizes against BGSAVE, a bare load and the seed scripts, the continuous
# archive under pipelined SETs beside a plain replica, and the
# streaming micro-benchmarks. Writes docs/performance.md; takes several
# minutes.
bench: bench-deps
	$(GO) run ./scripts/benchreport -out docs/performance.md

# Backups and restores of a ~650 MB dataset, beside BGSAVE alone and the
# seed scripts' pipeline. Takes a few minutes; KEYS sets the dataset size.
KEYS ?= 2000000
bench-backup: deps
	$(GO) run ./scripts/benchbackup -keys $(KEYS)

# A restore to a point in time an hour of writes (WRITES, 300 a second by
# default) after its base, beside a plain restore of the base and
# redis-check-aof --truncate-to-timestamp + a bare load of the same AOF.
PITR_KEYS ?= 200000
WRITES ?= 1080000
bench-pitr: deps
	$(GO) run ./scripts/benchpitr -keys $(PITR_KEYS) -writes $(WRITES)

# Peak RSS of redisplan while it uploads (and verifies) a backup of about
# MB megabytes to a local versitygw; the figure goes into docs/performance.md.
MB ?= 1024
bench-s3: deps
	$(GO) run ./scripts/s3mem -mb $(MB)

# The continuous archive under redis-benchmark SETs (-P 16): writes/s,
# lag, catch-up time and peak RSS of redisplan archive, beside a plain
# redis-server replica under the same load. REQUESTS sets the load.
REQUESTS ?= 3000000
bench-archive: deps
	$(GO) run ./scripts/archivebench -requests $(REQUESTS)
