// Throughput of the SystemC model in simulated cycles per second of wall time, on three programs:
//   knn   : a kNN scan (compute bound, double-buffered DMA of the tiles)
//   dma   : many loads and stores with tiny computes (DRAM bound, one event per burst)
//   nops  : a long stream of nops (dispatch and issue every cycle: the model's worst case)
// Usage: bitgrid-scsim-bench [quantum-cycles] [dump-dir]
//   quantum-cycles: 0 = synchronise SystemC time at every event (default 100000)
//   dump-dir: also write <name>.bgp / <name>.bgm there, to run the same jobs on bitgrid-sim-rtl
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "bitgrid/memimage.h"
#include "scsim_util.h"
#include "systemc_top.h"

using namespace bitgrid;
using namespace bitgrid::scsim_test;

int sc_main(int, char**) { return 1; }

static std::string g_dump;

static void report(const char* name, const HwConfig& hw, const Program& p, std::vector<uint8_t> mem) {
  if (!g_dump.empty()) {
    save_program(g_dump + "/" + name + ".bgp", p);
    save_memimage(g_dump + "/" + name + ".bgm", mem);
  }
  SimOptions opt;
  const auto t0 = std::chrono::steady_clock::now();
  const SimResult r = run_backend(hw, p, std::move(mem), opt);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%-5s %8zu insns %10llu cycles %8.3f s %8.1f Mcycles/s\n", name, p.insns.size(),
              static_cast<unsigned long long>(r.cycles), s, r.cycles / s / 1e6);
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  if (argc > 1) scsim::ScTop::set_quantum(std::strtoull(argv[1], nullptr, 0));
  if (argc > 2) g_dump = argv[2];
  HwConfig hw;  // defaults: 8 lanes x 64 bits, 32 B/cycle, latency 100
  std::mt19937_64 rng(1);
  {
    const CodeSet db = random_codes(rng, 200000, 4);
    const CodeSet qs = random_codes(rng, 16, 4);
    KnnJob job = make_knn_job(hw, db, qs, 10, 4096);
    report("knn", hw, job.program, std::move(job.dram));
  }
  {
    Program p;
    for (int i = 0; i < 20000; ++i) {
      p.insns.push_back(
          make_load(isa::Buf::kDbuf, (i % 8) * 1024, 1024, (i % 64) * 8192, deps(false, false, false, true)));
      isa::HamtopkInsn h;
      h.init = 1;
      h.k = 1;
      h.code_words = 1;
      h.n_codes = 8;
      p.insns.push_back(hamtopk(h, deps(true, false, false, i % 4 == 3)));
      if (i % 4 == 3) p.insns.push_back(make_store(isa::Buf::kRbuf, 0, 64, 1 << 20, deps(true, false, false, false)));
    }
    p.insns.push_back(make_finish());
    report("dma", hw, p, std::vector<uint8_t>(2 << 20, 0));
  }
  {
    Program p;
    for (int i = 0; i < 500000; ++i) p.insns.push_back(make_nop());
    p.insns.push_back(make_finish());
    report("nops", hw, p, std::vector<uint8_t>(64, 0));
  }
  return 0;
}
