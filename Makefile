# Thin wrapper over CMake presets: `make`, `make run`, `make test`, `make bench` are all a newcomer needs.
.PHONY: all deps run test test-quick bench format clean asan fuzz

# Debian packages the build, the tests and the bench need. Installed when
# missing (as root); a non-root user is told what to install instead.
BUILD_PKGS := build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev \
              libpcap-dev libjansson-dev libssl-dev libsqlite3-dev libmicrohttpd-dev
TEST_PKGS  := iproute2 iputils-ping tcpdump python3 wireshark-common curl openssl chromium nodejs fonts-ipafont-gothic
BENCH_PKGS := nfdump argus-server softflowd tshark time wrk

all: deps
	cmake --preset release >/dev/null
	cmake --build --preset release

deps:
	@scripts/ensure-packages.sh $(BUILD_PKGS)

asan: deps
	cmake --preset debug >/dev/null
	cmake --build --preset debug

fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz

run: all
	@scripts/run-demo.sh

test: deps
	@scripts/ensure-packages.sh $(TEST_PKGS)
	@tests/run_all.sh

bench: all
	@scripts/ensure-packages.sh $(BENCH_PKGS)
	@bench/run.sh
	@bench/load.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz build-tsan
