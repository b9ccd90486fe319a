# slm-copilot build and test entry points. `make check` is what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# check's prerequisites must run one after the other, in order, even under `make -j`.
.NOTPARALLEL:
.DEFAULT_GOAL := help

BIN := node_modules/.bin

.PHONY: help check deps lint typecheck shellcheck build test image clean

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

image: ## build the appliance image with Packer (not implemented yet)
	@echo "make image: the Packer image build is not implemented yet (see issue 'Image build and distribution'); nothing was built." >&2
	@exit 2

clean: ## remove build output
	rm -rf dist
