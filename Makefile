# Crumb: `make run` sets up and starts the app; `make test` sets up and runs
# every test. `make setup` is idempotent and never prompts.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TERM_COLOR ?= never
# The shared folder beside the checkout holds test models and data sets.
export CRUMB_SHARED ?= $(abspath $(CURDIR)/../shared)
# The checkout's native libraries and OCR models, named explicitly: crumb and
# the app never search the working directory or its ancestors (ARCHITECTURE.md,
# "Where libraries and models come from"). .cargo/config.toml does the same
# for plain `cargo run`/`cargo test`.
export ORT_DYLIB_PATH ?= $(CURDIR)/.cache/onnxruntime/libonnxruntime.so
export CRUMB_PDFIUM ?= $(CURDIR)/.cache/pdfium
export CRUMB_OCR_MODELS ?= $(CURDIR)/.cache/models/ocr

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := build-essential pkg-config curl unzip python3 python3-pip python3-venv \
	libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev \
	libxdo-dev libssl-dev libsoup-3.0-dev \
	xvfb xauth dbus-x11 at-spi2-core webkit2gtk-driver imagemagick poppler-utils
STAMP := .cache/stamps

.PHONY: bundle test-bundle setup run test lint unit e2e quality bench-scifact bench-watch bench-index bench-neural bench-app bench-ocr fuzz build clean-cache api-test bench-api bench-vectors bench-freshness bench-scale bench-keyword

setup: $(STAMP)/apt
	@for s in scripts/setup-*.sh; do [ -x "$$s" ] && "$$s"; done; true

$(STAMP)/apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p $(STAMP) && touch $@

build: setup
	cargo build --workspace

run: setup
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
		cargo run -p crumb-app; \
	else \
		cargo build -p crumb-cli; \
		echo; echo "No display found, so here is the headless command line instead:"; \
		echo "  $(CARGO_TARGET_DIR)/debug/crumb index ~/Documents"; \
		echo "  $(CARGO_TARGET_DIR)/debug/crumb search \"what you are looking for\""; \
		echo "  $(CARGO_TARGET_DIR)/debug/crumb status"; \
		echo; $(CARGO_TARGET_DIR)/debug/crumb --help; \
	fi

test: setup lint unit quality e2e

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# A test whose prerequisite (a model, ONNX Runtime, pdfium, ../shared) is
# missing fails with how to install it. CRUMB_ALLOW_SKIP=1 (never set by CI)
# counts such tests as skipped instead, and the count is printed here.
unit:
	@rm -f $(CARGO_TARGET_DIR)/tmp/crumb-skipped.log
	cargo test --workspace
	npm test --prefix ui
	$(MAKE) --no-print-directory api-test
	@if [ -s $(CARGO_TARGET_DIR)/tmp/crumb-skipped.log ]; then \
		echo "CRUMB_ALLOW_SKIP=1: $$(wc -l < $(CARGO_TARGET_DIR)/tmp/crumb-skipped.log) test(s) skipped for missing prerequisites:"; \
		cut -f1 $(CARGO_TARGET_DIR)/tmp/crumb-skipped.log | sed 's/^/  /'; \
	fi

# The real app window under Xvfb, driven through WebDriver.
e2e:
	scripts/e2e.sh

# Builds use --workspace so features unify as in `cargo test --workspace` and
# nothing is compiled twice (a -p build unifies features differently).
# BM25 quality gate on SciFact (300 test queries): NDCG@10 must stay >= 0.66.
quality:
	cargo build --workspace
	python3 scripts/bench-scifact.py --crumb $(CARGO_TARGET_DIR)/debug/crumb --modes bm25 --min-ndcg 0.66

bench-scifact:
	cargo build --release -p crumb-cli
	python3 scripts/bench-scifact.py --modes bm25

bench-watch:
	cargo build --release -p crumb-cli
	python3 scripts/bench-watch.py --trials 30

bench-index:
	cargo build --release -p crumb-cli
	python3 scripts/bench-index.py

# Bounded libFuzzer runs of the extractors (needs nightly Rust and cargo-fuzz).
fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-60}

clean-cache:
	rm -rf .cache

# Neural search speed and its quality guards on SciFact, in one quiet run:
# GEMM peaks, embedding throughput against Python onnxruntime, NDCG@10 int8 vs
# fp32, the reranker on the search path's own pairs against Python, and
# `crumb search` latency with reranking. Run nothing else meanwhile.
bench-neural: setup
	scripts/bench-neural.sh

# Keystroke-to-paint latency in the real window (SciFact, MiniLM, xsmall-v1 architecture).
bench-app: setup
	scripts/bench-app.sh

# The local API through real clients (MCP Python SDK over stdio and HTTP,
# openai, Cohere-shaped rerank) and its refusals; needs the debug `crumb`.
api-test:
	cargo build --workspace
	.cache/py-api/bin/python tests/api/test_api.py --crumb $(CARGO_TARGET_DIR)/debug/crumb

# 16 clients for 60 s of mixed search and rerank against `crumb serve`.
bench-api: setup
	cargo build --release -p crumb-cli
	python3 scripts/bench-api.py --crumb $(CARGO_TARGET_DIR)/release/crumb

# About a million passages from real text (the shared corpus, SciFact and
# the Debian docs, copied into 25 folders with a per-copy edit), BM25 only,
# plus a random vector per passage (speed only): open-to-first-search, BM25,
# vector and hybrid latency, and `crumb serve`'s RSS. The corpus and index
# are built once into .cache/bench/scale (about 25 minutes on 2 cores).
bench-scale: setup
	cargo build --release -p crumb-cli
	cargo build --release -p crumb-engine --example bench_models
	python3 scripts/bench-scale.py

# Keyword queries at SciFact size, in-process per query, BM25 only (needs
# .cache/bench/scifact from bench-scifact); BENCH_KEYWORD_PEER=OTHER_CRUMB
# takes turns with another build.
bench-keyword:
	cargo build --release -p crumb-cli
	python3 scripts/bench-keyword.py --crumb $(CARGO_TARGET_DIR)/release/crumb $(if $(BENCH_KEYWORD_PEER),--crumb $(BENCH_KEYWORD_PEER))

# The vector snapshot on a real catalog of 1M random 384-d vectors: first
# load, search p50/p95, and a commit's cost to become visible (catch-up from
# the vector log vs full reload, interleaved). Random vectors: speed only.
bench-vectors:
	cargo build --workspace --examples
	$(CARGO_TARGET_DIR)/debug/examples/bench_models snapshot $${BENCH_VECTORS_N:-1000000} 384 5

# Keyword and meaning freshness through `crumb watch` with the embedder on,
# 50 files edited every 4 s (needs .cache/bench/scifact from bench-scifact).
bench-freshness: setup
	cargo build --workspace
	python3 scripts/bench-freshness.py --crumb $(CARGO_TARGET_DIR)/debug/crumb

# OCR accuracy and pages/s against tesseract 5, side by side on the same 150/300 dpi pages.
bench-ocr: setup
	scripts/bench-ocr.sh $${BENCH_OCR_ARGS:-}

# A .deb carrying ONNX Runtime, pdfium, the default embedder and reranker
# (int8) and the OCR models, fetched through the manifest's downloader; from
# a local mirror of stand-ins (a TEST BUNDLE, named so) where the model hub is
# unreachable. Debug profile unless CRUMB_BUNDLE_PROFILE=release.
bundle: setup
	scripts/bundle.sh

# Fresh install of that .deb (dpkg -x) run with an empty HOME, no network and
# the checkout out of reach: index a PDF, find it by meaning, see the bundled
# reranker run. Too slow for CI (it builds the bundle).
test-bundle: bundle
	scripts/test-bundle.sh
