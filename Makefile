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

# Rewrites the generated ISA files after a configs/isa/ edit (a full build would stop at their stale check).
gen: configure
	cmake --build $(BUILD) --target gen

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' | grep -v '/gen/')

lint:
	bash scripts/lint_rtl.sh

synth:
	bash scripts/synth.sh configs/hw/tiny.yaml

# Heavy FPGA runs kept out of `make test` (docs/FPGA.md): the default config's resources per module on an
# Artix-7 (an estimate before place-and-route), the board's bitstream for the iCEBreaker (placed and routed,
# per module), how Fmax and size scale with ham_lanes (bench/fpga_lanes.sh: the core alone on four parts), and
# the gate-level co-verification with iCE40 cells (synth_ice40's netlist under Yosys' cells_sim.v, 200 seeds;
# `make test` runs the generic-cell one).
fpga: build
	$(BUILD)/bitgrid fpga configs/hw/default.yaml --target xilinx-7 --per-module --out out/fpga/default-xilinx-7
	$(BUILD)/bitgrid fpga configs/hw/up5k.yaml --target ice40-up5k --seed 1 --per-module --out out/fpga/up5k
	BITGRID=$(BUILD)/bitgrid bash bench/fpga_lanes.sh configs/hw/up5k.yaml out/fpga/lanes
	bash scripts/build_rtl_sim.sh --gate-level --ice40 configs/hw/up5k.yaml $(BUILD)/gl-ice40/up5k
	$(BUILD)/tests/cosim/bitgrid-cosim --seeds 200 --first-seed 1 --hw configs/hw/up5k.yaml \
	    --systemc $(BUILD)/bitgrid-sim-systemc --rtl-dir $(BUILD)/gl-ice40 --work $(BUILD)/gl-ice40-work

bench: build
	cmake --build $(BUILD) --target bench_all

clean:
	rm -rf $(BUILD) build-asan out
