# civicrate: `make dev` runs it locally, `make test` runs every test. Both install what is missing.
SHELL := bash
.DEFAULT_GOAL := help

export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
# Keep wrangler offline and quiet.
export WRANGLER_SEND_METRICS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false
export WRANGLER_HIDE_BANNER := true
# worker-build would download these from GitHub; use the installed ones.
export WASM_BINDGEN_BIN := wasm-bindgen
export WASM_OPT_BIN := $(CURDIR)/node_modules/.bin/wasm-opt
export ESBUILD_BIN := $(CURDIR)/node_modules/.bin/esbuild

SOURCES := $(shell find src assets -type f) build.rs Cargo.toml Cargo.lock

.PHONY: help setup build build-debug dev deploy test test-unit test-e2e lint contract bench bench-public bench-results bench-attack bench-load fuzz clean

help:
	@echo "make dev    run civicrate locally on http://127.0.0.1:8787 with demo data"
	@echo "make deploy build and ship both workers (README, \"Deploying\")"
	@echo "make test   run every test (unit, property, end-to-end on wrangler dev, browser, schemathesis)"
	@echo "make bench  print size and speed figures"
	@echo "make contract  schemathesis against the OpenAPI document on a fresh local instance"
	@echo "make bench-public   public results and receipt checks against /healthz"
	@echo "make bench-results  seed 5 million votes and time the cron and the report views"
	@echo "make bench-attack   replay stuffing attacks and an honest day; print what counted"
	@echo "make bench-load     50,000 votes at concurrency 64: throughput, latency, nothing lost"

setup:
	@scripts/setup.sh --browser

build: build/workers.stamp build/assets.stamp wrangler.backoffice.toml

# The same workers with function names kept, so a panic's trace names its functions.
build-debug:
	worker-build --release --out-dir build/backoffice
	wasm-opt $(WASM_FEATURES) -O1 --debuginfo build/backoffice/index_bg.wasm -o build/backoffice/index_bg.wasm
	worker-build --release --out-dir build/citizen --features citizen
	wasm-opt $(WASM_FEATURES) -O1 --debuginfo build/citizen/index_bg.wasm -o build/citizen/index_bg.wasm
	@touch build/workers.stamp

# One wasm-opt pass per worker: -O1 (the smallest gzipped size, Cargo.toml says why) and the
# name section dropped (164 KB of function names, 36 KB gzipped, kept by `make build-debug`
# for readable panic traces).
WASM_FEATURES := $(addprefix --enable-,mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling)

# Two workers from one crate (docs/deploy.md, "Two workers"): the back office, and the citizen
# worker with `--features citizen`. One recipe builds both in turn: they share target/ and the
# file cargo links to.
build/workers.stamp: $(SOURCES)
	worker-build --release --out-dir build/backoffice
	wasm-opt $(WASM_FEATURES) -O1 --strip-debug build/backoffice/index_bg.wasm -o build/backoffice/index_bg.wasm
	worker-build --release --out-dir build/citizen --features citizen
	wasm-opt $(WASM_FEATURES) -O1 --strip-debug build/citizen/index_bg.wasm -o build/citizen/index_bg.wasm
	@touch $@

# The admin page and the OpenAPI document as Workers Static Assets of the deployment
# (wrangler.toml, [assets]), read by the citizen worker through its ASSETS binding: in no WASM.
build/assets.stamp: $(wildcard assets/admin/*) src/openapi.json $(wildcard src/*/openapi.json) scripts/openapi.mjs
	rm -rf build/assets
	mkdir -p build/assets/admin/assets build/assets/api/v1
	cp assets/admin/index.html build/assets/admin/
	cp assets/admin/app.js assets/admin/i18n.js assets/admin/app.css build/assets/admin/assets/
	node scripts/openapi.mjs > build/assets/api/v1/openapi.json
	@touch $@

# The back office's configuration, made from the citizen worker's (scripts/backoffice-config.mjs).
wrangler.backoffice.toml: wrangler.toml scripts/backoffice-config.mjs
	node scripts/backoffice-config.mjs wrangler.toml $@

dev: setup build
	@scripts/dev.sh

# Both workers, the back office first: the citizen worker's service binding names it.
deploy:
	@scripts/setup.sh
	@$(MAKE) -s build
	wrangler deploy --config wrangler.backoffice.toml
	wrangler deploy --config wrangler.toml

# The last step is `make contract` on the build just made (about 80 s on 2 cores).
test: setup build
	@scripts/setup.sh --contract
	cargo fmt --check
	cargo clippy --all-targets --quiet -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --quiet -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features citizen --quiet -- -D warnings
	cargo test --lib --quiet
	cargo test --test api -- --test-threads 4
	@scripts/contract.sh

# schemathesis (all checks; examples, coverage, fuzzing and stateful phases) against a fresh
# local instance; non-zero on any failure. About 80 seconds on 2 cores with the default budget
# (CONTRACT_EXAMPLES=5 per operation); reports in target/contract/. `make test` ends with it.
contract: build
	@scripts/setup.sh --contract
	@scripts/contract.sh

bench:
	@scripts/setup.sh --bench
	@$(MAKE) -s build
	@scripts/bench.sh
	@scripts/bench-public.sh

# Public results and receipt checks next to /healthz in one run, as ratios; a receipt check
# with 100,000 votes in a closed month (seeded in D1, closed by the real cron). About 3 minutes.
bench-public:
	@scripts/setup.sh --bench
	@$(MAKE) -s build
	@scripts/bench-public.sh

# A local D1 with 2,000 units, 10,000 employees and 5 million votes (BENCH_VOTES changes it);
# prints the cron's costs and each report view's latency. About 15 minutes on 2 cores.
bench-results: setup build
	cargo bench --bench results

# One simulated day of stuffing attacks and honest votes through the real vote API, then the
# real roll-up: prints per scenario what was counted and flagged. About a minute.
bench-attack: setup build
	cargo bench --bench attack

# Exactly 50,000 votes (LOAD_VOTES) at concurrency 64 (LOAD_CONCURRENCY), then the roll-up:
# votes stored = 201 answers, aggregates = a recomputation. About 4 minutes on 2 cores.
bench-load: setup build
	cargo bench --bench load

fuzz:
	@scripts/fuzz.sh

clean:
	rm -rf build target .wrangler
