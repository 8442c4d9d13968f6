# GoKart: `make dev` runs everything locally, `make test` runs every test.
# Both start a private PostgreSQL from the machine's own binaries unless
# DATABASE_URL is set.

.DEFAULT_GOAL := help
.PHONY: help dev web web-dev test lint deny fuzz fuzz-api openapi-check fmt build release db db-stop sqlx-prepare sqlx-check compose-check bench bench-quick bench-publish bench-login bench-startup bench-catalog bench-checkout bench-pipeline

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

dev: ## PostgreSQL, migrations, demo data, the web app and API on :8080, worker on :8081 (Ctrl-C stops)
	@scripts/dev.sh

web: ## Build the web app (storefront and admin) into web/dist (npm ci on first use)
	@scripts/web.sh build

web-dev: ## The web app with hot reload on :5173, against the API of `make dev` on :8080
	@scripts/web.sh dev

test: ## The whole test suite against real PostgreSQL, the web app's in a real browser
	@scripts/test.sh

lint: ## rustfmt check and clippy with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fuzz-api: ## schemathesis against the live API, every operation, customer and admin (FUZZ_MAX_EXAMPLES=100)
	@scripts/fuzz-api.sh

openapi-check: ## Lint the OpenAPI document and type-check a TypeScript client generated from it
	@scripts/openapi-check.sh

fuzz: ## cargo fuzz (libFuzzer) on the parsers facing strangers, FUZZ_SECONDS per target (60)
	@scripts/fuzz.sh

deny: ## Dependency hygiene: licenses, duplicate versions, sources (cargo-deny, installed if missing)
	@scripts/deny.sh

fmt: ## Format the code
	cargo fmt --all

build: ## Debug build of both binaries
	cargo build --bin api --bin mega-worker

release: ## Release build of both binaries
	cargo build --release --bin api --bin mega-worker

db: ## Start the private development database and print its URL
	@scripts/postgres.sh start dev

db-stop: ## Stop the private development database
	@scripts/postgres.sh stop dev

sqlx-prepare: ## Refresh .sqlx/ (compile-checked queries) against a migrated database
	@scripts/sqlx-prepare.sh

sqlx-check: ## Fail if .sqlx/ does not match the queries and migrations
	@scripts/sqlx-prepare.sh --check

compose-check: ## Validate docker-compose.yml, lint the shell scripts and the GitHub workflows (actionlint)
	docker-compose config --quiet
	shellcheck scripts/*.sh deploy/*.sh bench/*.sh .ci/run
	@scripts/actionlint.sh

bench: ## Every hot path against its ceiling, one run: table in bench/results/local/ (release build)
	@bench/suite.sh full

bench-quick: ## The same, 4 s per measurement
	@bench/suite.sh quick

bench-publish: ## Publish the newest local run (or RUN=NAME) to bench/results/, latest.png and the docs/BENCHMARKS.md table
	@bench/publish.sh $(RUN)

bench-login: ## Logins/s against the argon2id ceiling, in one run (release build)
	@bench/run.sh login

bench-startup: ## API start-up time to ready and idle memory (release build)
	@bench/run.sh startup

bench-catalog: ## Product detail, list and search at 100,000 products (release build)
	@bench/run.sh catalog

bench-checkout: ## Orders/s for one hot product and for spread products (release build)
	@bench/run.sh checkout

bench-pipeline: ## Orders/s from paid to delivered through the worker, and that latency (release build)
	@bench/run.sh pipeline
