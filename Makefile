# The two commands of the README: `make run` and `make test`. Both install what is missing
# (Debian packages via apt-get, pinned npm packages via npm ci), then build out of source.

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= 2
PORT       ?= 3000
# LB=1: `make run` puts HAProxy (resources/haproxy/haproxy.cfg) in front, on LB_PORT.
LB         ?=
LB_PORT    ?= 8080
# Two suites at a time (they start their own servers on free ports); sanitize.asan runs alone.
CTEST_ARGS ?= -j$(JOBS)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# What the build, the tests and `make run` need from Debian 12.
APT_PACKAGES := cmake make g++ pkg-config clang-format \
    qt6-base-dev qt6-websockets-dev qt6-charts-dev libqt6opengl6-dev libgl-dev xvfb xauth \
    libhttp-parser-dev libhiredis-dev libmsgpack-cxx-dev zlib1g-dev redis-server redis-tools curl chromium \
    clang libclang-rt-14-dev qt6-base-private-dev \
    libsystemd-dev systemd prometheus \
    haproxy \
    python3-socketio python3-websocket python3-requests

# resources/client: the socket.io-client bundle compiled into the node (the build needs it).
NPM_DIRS := resources/client tests/interop tests/browser

.PHONY: all deps apt-deps npm-deps configure build test run bench format lint clean help

all: build

help:
	@echo "make run    - install, build, start redis-server and two nodes on ports $(PORT) and $(PORT)+1"
	@echo "make run LB=1 - the same behind HAProxy on port $(LB_PORT): two chat nodes and a notify node"
	@echo "make test   - install, build and run every test through CTest"
	@echo "make build  - configure and build into $(BUILD_DIR)/"
	@echo "make bench  - measure the node beside Node.js socket.io (table into docs/benchmarks.md)"
	@echo "make format - apply clang-format to the C++ sources"
	@echo "make lint   - check clang-format without changing files"

deps: apt-deps npm-deps

apt-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

npm-deps:
	@for d in $(NPM_DIRS); do \
	  if [ ! -f $$d/node_modules/.package-lock.json ] || [ $$d/package-lock.json -nt $$d/node_modules/.package-lock.json ]; then \
	    echo "npm ci in $$d"; (cd $$d && npm ci --no-audit --no-fund) || exit 1; \
	  fi; \
	done

configure: apt-deps
	@$(MAKE) --no-print-directory npm-deps NPM_DIRS=resources/client
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: deps build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300 $(CTEST_ARGS)

run: deps build
	PORT=$(PORT) LB=$(LB) LB_PORT=$(LB_PORT) resources/run-cluster.sh $(BUILD_DIR)/server/switchboard-node $(BUILD_DIR)/console/switchboard-console

# Benchmarks are measured here, never asserted in timed tests. `make bench BENCH_NODE=path`
# measures another build of the node beside socket.io; BENCH_ARGS go to run-bench.py
# (e.g. --quick, --runs 1, --idle 5000). About 20 minutes on 2 cores.
BENCH_NODE ?= $(BUILD_DIR)/server/switchboard-node
BENCH_ARGS ?=
bench: deps build
	python3 tests/bench/refused-upgrades.py --node $(BENCH_NODE)
	@if [ ! -f tests/bench/node_modules/.package-lock.json ] || [ tests/bench/package-lock.json -nt tests/bench/node_modules/.package-lock.json ]; then \
	  echo "npm ci in tests/bench"; (cd tests/bench && npm ci --no-audit --no-fund) || exit 1; \
	fi
	python3 tests/bench/run-bench.py --node $(BENCH_NODE) --sbload $(BUILD_DIR)/tests/bench/sbload \
	  --write-docs docs/benchmarks.md $(BENCH_ARGS)

format:
	tests/lint/check-format.sh --fix

lint:
	tests/lint/check-format.sh

clean:
	rm -rf $(BUILD_DIR)
