# The README's two commands are `make demo` and `make test`; both install
# redis-server first when it is missing.

GO ?= go
FUZZTIME ?= 10s

.PHONY: deps demo test fuzz build bench bench-backup bench-s3

deps:
	@scripts/install-deps.sh

build:
	$(GO) build -o bin/redisplan ./cmd/redisplan

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
	$(GO) test -run='^$$' -fuzz='^FuzzRenderParse$$' -fuzztime=$(FUZZTIME) ./executors/conffile

# Whole-process timings of plan, beside the hand-made alternative; the
# figures go into docs/performance.md.
bench: deps
	$(GO) test -run='^$$' -bench='PlanOneTarget|RedisCLI|PlanFleet' -benchtime=30x -count=3 ./cmd/redisplan

# Backups and restores of a ~650 MB dataset, beside BGSAVE alone and the
# seed scripts' pipeline. Takes a few minutes; KEYS sets the dataset size.
KEYS ?= 2000000
bench-backup: deps
	$(GO) run ./scripts/benchbackup -keys $(KEYS)

# Peak RSS of redisplan while it uploads (and verifies) a backup of about
# MB megabytes to a local versitygw; the figure goes into docs/performance.md.
MB ?= 1024
bench-s3: deps
	$(GO) run ./scripts/s3mem -mb $(MB)
