# runbook — build, test, demo and benchmark on a fresh Debian/Ubuntu machine with Swift 6.
#
#   make demo    install what is missing, start moto_server on 127.0.0.1, execute ha-iam, show the result
#   make test    install what is missing, build, run every test
#   make bench   release build and the benchmarks of docs/performance.md

SWIFT       ?= swift
PYTHON      ?= python3
APT_PACKAGES = libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config
BENCH_APT    = hyperfine
PIP_PACKAGES = moto[server] awscli boto3

.PHONY: all build test demo bench deps deps-apt deps-pip clean

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

deps-pip:
	@command -v moto_server >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet 'moto[server]'
	@command -v aws >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet awscli
	@$(PYTHON) -c 'import boto3' 2>/dev/null || $(PYTHON) -m pip install --quiet boto3

build: deps-apt
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: deps build
	@scripts/demo.sh

bench: deps
	@missing=""; for p in $(BENCH_APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y $$missing >/dev/null 2>&1 || { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y $$missing; }; fi
	$(SWIFT) build -c release
	@benchmarks/run.sh

clean:
	rm -rf .build
