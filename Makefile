# runbook — build, test, demo and benchmark on a fresh Debian/Ubuntu machine with Swift 6.
#
#   make demo    install what is missing, start moto_server on 127.0.0.1, execute ha-iam, show the result
#   make test    install what is missing, build, run every test
#   make bench   release build and the benchmarks of docs/performance.md
#   make release the binary to install: .build-release/release/runbook

SWIFT       ?= swift
PYTHON      ?= python3
# System libraries the package links, and the tools the tests run (curl, openssl).
APT_PACKAGES = libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config curl openssl

.PHONY: all build test demo bench release deps deps-apt deps-pip clean

all: build

## deps: system libraries (apt) and test tools (pip), installed only when missing
deps: deps-apt deps-pip

deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y $$missing >/dev/null 2>&1 || { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y $$missing; }; \
	fi

# moto_server (the local IAM/STS endpoint of the tests and the demo), the AWS CLI (the
# tests check the profile the runbook writes with it), boto3 (the benchmark's baseline).
deps-pip:
	@{ command -v moto_server >/dev/null 2>&1 && $(PYTHON) -c 'import moto.server, flask, flask_cors' 2>/dev/null; } \
		|| $(PYTHON) -m pip install --quiet 'moto[server]'
	@command -v aws >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet awscli
	@$(PYTHON) -c 'import boto3' 2>/dev/null || $(PYTHON) -m pip install --quiet boto3

build: deps-apt
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: deps build
	@scripts/demo.sh

# The binary an operator installs: release, Swift runtime linked in (one file to copy to a
# bastion host, and several MiB less resident memory than loading the shared runtime).
RELEASE_BUILD = .build-release

release: deps-apt
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BUILD)
	@echo "built $(RELEASE_BUILD)/release/runbook"

bench: deps release
	@SCRATCH_PATH=$(RELEASE_BUILD) benchmarks/run.sh

clean:
	rm -rf .build $(RELEASE_BUILD)
