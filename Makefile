# slm-copilot build and test entry points. `make check` is what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# check's prerequisites must run one after the other, in order, even under `make -j`.
.NOTPARALLEL:
.DEFAULT_GOAL := help

BIN := node_modules/.bin

.PHONY: help check deps lint typecheck shellcheck build test engine image lock clean

help: ## list the targets
	@echo 'usage: make <target>'
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

check: deps lint typecheck shellcheck build test ## everything CI runs, in order, stopping at the first failure
	@echo '==> check: all steps passed'

deps: ## install what check needs (Debian packages, npm ci here and in runtime/)
	@echo '==> deps'
	@bash scripts/ensure-deps.sh

lint: ## biome (lint + format check)
	@echo '==> lint'
	@$(BIN)/biome check .

typecheck: ## tsc --noEmit
	@echo '==> typecheck'
	@$(BIN)/tsc --noEmit

# Every *.sh that git tracks or would track (not ignored), plus .ci/run; find(1) outside a git work tree.
shellcheck: ## shellcheck the shell scripts
	@echo '==> shellcheck'
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  candidates=$$(git ls-files -co --exclude-standard -- '*.sh' .ci/run appliances/slm-copilot/appliance.sh test/lifecycle/driver/service test/lifecycle/driver/boot); \
	else \
	  candidates=$$(find . \( -name node_modules -o -name .git \) -prune -o \
	    -type f \( -name '*.sh' -o -path ./.ci/run \) -print); \
	fi; \
	files=(); for f in $$candidates; do if [ -f "$$f" ]; then files+=("$$f"); fi; done; \
	echo "shellcheck: $${#files[@]} file(s): $${files[*]}"; \
	shellcheck "$${files[@]}"

build: ## bundle src/cli/main.ts into dist/slm-copilot.mjs
	@echo '==> build'
	@node scripts/build.mjs

test: ## run test/**/*.test.ts (node:test via tsx)
	@echo '==> test'
	@node scripts/run-tests.mjs

# Test tooling, not part of the product: llama.cpp's llama-server built from the source the pinned node-llama-cpp
# tarball ships, and the generated Devstral-shaped models, cached under $${SLM_COPILOT_CACHE:-~/.cache/slm-copilot}.
# ENGINE_ARGS: --engine-only, --models=small (a subset). See tools/engine/README.md.
engine: ## build (or find cached) llama-server and the test models: see tools/engine/README.md
	@echo '==> engine'
	@node --import tsx tools/engine/engine.ts $(ENGINE_ARGS)

# The image build: preflight (lists every missing piece and stops), verified artifacts, Packer with KVM, compressed
# export/slm-copilot-<version>.qcow2, its manifest and marketplace/. Settings: packer/build.sh; guide: docs/BUILD.md.
image: build ## build the appliance image (KVM, Packer >= 1.7): see docs/BUILD.md
	@bash packer/build.sh

# Pins come only from the publishers' checksum sources; the verified files stay in ARTIFACTS_DIR for make image.
# LOCK_ARGS: --only NAME,… (a subset), --update NAME (accept a reviewed upstream change).
ARTIFACTS_DIR ?= build/artifacts
lock: build ## refresh artifacts.lock.json from the publishers' checksums, verify, show the diff, write
	@node dist/slm-copilot.mjs lock --write --artifacts $(ARTIFACTS_DIR) $(LOCK_ARGS)

clean: ## remove build output
	rm -rf dist
