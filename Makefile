# Thin driver over CMake. `make demo` and `make test` each install missing Debian packages first.
BUILD      ?= build
BUILD_SAN  ?= build-asan
JOBS       ?= $(shell nproc)
WERROR     ?= $(if $(CI),ON,OFF)
CMAKE_ARGS ?=
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all install deps deps-test build build-asan test test-unit test-container test-asan demo reliability bench fuzz format clean

all: build

deps:
	@sh scripts/deps.sh

# `make test` also runs the suite against a real Apache Kafka (JDK, Maven, python3-kafka).
deps-test:
	@sh scripts/deps.sh --test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRL_WERROR=$(WERROR) $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DRL_SANITIZE=ON -DRL_WERROR=$(WERROR) $(CMAKE_ARGS)
	cmake --build $(BUILD_SAN) -j $(JOBS)

# All tests in the normal build (but the container image's: test-container), then the unit
# tests again under ASan+UBSan.
test: deps-test build build-asan
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE container
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L unit --timeout 600

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# deploy/Containerfile built and run with podman (needs podman, runc, mmdebstrap once for the
# cached base image: scripts/container_base.sh). Minutes: not part of `make test`.
test-container: build
	cd $(BUILD) && ctest --output-on-failure -L container --timeout 1200

# bin/relearn, bin/relearnd, include/relearn.h, lib/librelearn.so + .a, lib/pkgconfig/relearn.pc
# and share/relearn/examples/*.ini under $(DESTDIR)$(PREFIX).
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

demo: build
	$(BUILD)/cli/relearn demo

# Long versions of the reliability suite (kill -9 torture, soak, fuzzing).
reliability: build
	cd $(BUILD) && RL_LONG=1 ctest --output-on-failure -L reliability --timeout 3600

bench: build
	sh bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
