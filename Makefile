# bitgrid: `make demo` runs the main job on the default config; `make test` runs the whole suite.
# Both install missing Debian packages, configure and build first.
BUILD ?= build
JOBS ?= $(shell nproc)
CONFIG ?= configs/demo.yaml
BACKEND ?= systemc
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo test asan gen format lint synth fpga clean bench

all: build

deps:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# Builds only what the demo runs (the CLI and the SystemC simulator; the default-config RTL simulator too
# with BACKEND=rtl), then runs it; `make test` builds everything.
demo: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target bitgrid bitgrid-sim-systemc $(if $(filter rtl,$(BACKEND)),bitgrid_sim_rtl)
	$(BUILD)/bitgrid run $(CONFIG) --backend $(BACKEND) --out out/demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1500

# Sanitizer build (ASan + UBSan) running the same suite.
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBITGRID_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && UBSAN_OPTIONS=suppressions=$(CURDIR)/scripts/ubsan.supp:print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 3000

gen: build
	cmake --build $(BUILD) --target gen

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' | grep -v '/gen/')

lint:
	bash scripts/lint_rtl.sh

synth:
	bash scripts/synth.sh configs/hw/tiny.yaml

# Heavy FPGA runs kept out of `make test` (docs/FPGA.md): the board (scripts/synth_board.sh: no latches, nothing
# simulation-only left), the default config's resources per module on an Artix-7 (an estimate before
# place-and-route), and the board's machine placed and routed on the UP5K (fails while the board does not fit:
# docs/STATUS.md).
fpga: build
	bash scripts/synth_board.sh configs/hw/up5k.yaml --out out/fpga/board-up5k
	$(BUILD)/bitgrid fpga configs/hw/default.yaml --target xilinx-7 --per-module --out out/fpga/default-xilinx-7
	$(BUILD)/bitgrid fpga configs/hw/up5k.yaml --target ice40-up5k --seed 1 --out out/fpga/up5k

bench: build
	cmake --build $(BUILD) --target bench_all

clean:
	rm -rf $(BUILD) build-asan out
