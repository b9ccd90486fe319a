# slm-copilot build and test entry points. `make check` is what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# check's prerequisites must run one after the other, in order, even under `make -j`.
.NOTPARALLEL:
.DEFAULT_GOAL := help

BIN := node_modules/.bin

.PHONY: help check deps lint deps-rule typecheck shellcheck build test engine test-slow acceptance image lock clean guest test-boot

help: ## list the targets
	@echo 'usage: make <target>'
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

check: deps lint deps-rule typecheck shellcheck build test test-slow ## everything CI runs, in order, stopping at the first failure
	@echo '==> check: all steps passed'

deps: ## install what check needs (Debian packages, npm ci here and in runtime/)
	@echo '==> deps'
	@bash scripts/ensure-deps.sh

lint: ## biome (lint + format check)
	@echo '==> lint'
	@$(BIN)/biome check .

# The dependency rule of src/ (.dependency-cruiser.cjs): no folder cycles, the allowed directions between
# core, artifacts, appliance, client, build and cli, a pure core, and no src/ import of test/ or tools/.
deps-rule: ## dependency-cruiser: folder cycles, directions between src/ areas, core purity
	@echo '==> deps-rule'
	@$(BIN)/depcruise src --config .dependency-cruiser.cjs --output-type err

typecheck: ## tsc --noEmit
	@echo '==> typecheck'
	@$(BIN)/tsc --noEmit

# Every *.sh that git tracks or would track (not ignored), plus .ci/run; find(1) outside a git work tree.
shellcheck: ## shellcheck the shell scripts
	@echo '==> shellcheck'
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  candidates=$$(git ls-files -co --exclude-standard -- '*.sh' .ci/run appliances/slm-copilot/appliance.sh test/appliance/lifecycle/driver/service test/appliance/lifecycle/driver/boot); \
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

test: ## the fast tiers: test/**/*.test.ts outside test/acceptance/ (node:test via tsx)
	@echo '==> test'
	@node scripts/run-tests.mjs

# Test tooling, not part of the product: llama.cpp's llama-server built from the source the pinned node-llama-cpp
# tarball ships, and the generated Devstral-shaped models, cached under $${SLM_COPILOT_CACHE:-~/.cache/slm-copilot}.
# ENGINE_ARGS: --engine-only, --models=small (a subset). See tools/engine/README.md.
engine: ## build (or find cached) llama-server and the test models: see tools/engine/README.md
	@echo '==> engine'
	@node --import tsx tools/engine/engine.ts $(ENGINE_ARGS)

test-slow: engine ## the slow acceptance tests, test/acceptance/**, one file at a time, the QEMU boot last (the stall test, which only waits, beside them)
	@echo '==> test-slow'
	@node scripts/run-tests.mjs --acceptance

acceptance: test-slow ## the same as test-slow

# The image build: preflight (lists every missing piece and stops), verified artifacts, Packer with KVM, compressed
# export/slm-copilot-<version>.qcow2, its manifest and marketplace/. Settings: packer/build.sh; guide: docs/BUILD.md.
image: build ## build the appliance image (KVM, Packer >= 1.7): see docs/BUILD.md
	@bash packer/build.sh

# Pins come only from the publishers' checksum sources; the verified files stay in ARTIFACTS_DIR for make image.
# LOCK_ARGS: --only NAME,… (a subset), --update NAME (accept a reviewed upstream change).
ARTIFACTS_DIR ?= build/artifacts
lock: build ## refresh artifacts.lock.json from the publishers' checksums, verify, show the diff, write
	@node dist/slm-copilot.mjs lock --write --artifacts $(ARTIFACTS_DIR) $(LOCK_ARGS)

# The boot harness (tools/guest/): a Debian 12 guest built like the image, booted under QEMU (TCG here). The base
# layer is cached under $${SLM_COPILOT_CACHE:-$${XDG_CACHE_HOME:-~/.cache}/slm-copilot}/guest; root is needed
# (debootstrap, chroot, mounts). test-boot is slow (minutes): it runs the suites under test/acceptance/boot.
guest: deps build ## build the guest: cached base layer, then an appliance layer and its disk
	@node --import tsx tools/guest/main.ts image

test-boot: deps build ## the appliance booted under QEMU, cases a-g, alone (test-slow runs it last)
	@echo '==> test-boot'
	@node scripts/run-tests.mjs test/acceptance/boot

clean: ## remove build output
	rm -rf dist
