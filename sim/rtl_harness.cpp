// SystemC harness around the Verilated bitgrid_top (see rtl_harness.h for the pin protocol).
#include "rtl_harness.h"

#include <verilated.h>
#include <verilated_fst_sc.h>
#include <verilated_syms.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <sstream>
#include <systemc>
#include <type_traits>

#include "Vbitgrid_top.h"
#include "Vbitgrid_top_bitgrid_top.h"
#include "bitgrid/checker.h"
#include "bitgrid/error.h"
#include "bitgrid/insn.h"
#include "bitgrid/progress.h"

namespace bitgrid::rtl {

namespace {

using Params = Vbitgrid_top_bitgrid_top;  // the top's public (-G) parameters, static constexpr

template <class Port>
using value_t = typename std::decay_t<Port>::data_type;
using InsnT = value_t<decltype(Vbitgrid_top::insn_i)>;
using BeatT = value_t<decltype(Vbitgrid_top::rd_data_i)>;
using ReqAddrT = value_t<decltype(Vbitgrid_top::rd_req_addr_o)>;
using ReqBeatsT = value_t<decltype(Vbitgrid_top::rd_req_beats_o)>;
using WrAddrT = value_t<decltype(Vbitgrid_top::wr_addr_o)>;
using BusyT = value_t<decltype(Vbitgrid_top::busy_o)>;
using CauseT = value_t<decltype(Vbitgrid_top::cause_o)>;

constexpr size_t kBeatBytes = Params::DramBytesPerCycle;
constexpr int kNumUnits = isa::kNumQueues;
const char* queue_name(int u) { return isa::kQueueNames[static_cast<size_t>(u)]; }

// ---- byte images <-> port values (Verilator: <= 64 bits as integers, wider as sc_bv, LSB = byte 0) ----
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
void to_port(T& v, const uint8_t* p, size_t n) {
  uint64_t x = 0;
  std::memcpy(&x, p, std::min(n, sizeof(x)));
  v = static_cast<T>(x);
}
template <int W>
void to_port(sc_dt::sc_bv<W>& v, const uint8_t* p, size_t n) {
  for (int i = 0; i < (W + 31) / 32; ++i) {
    uint32_t w = 0;
    const size_t off = static_cast<size_t>(i) * 4;
    if (off < n) std::memcpy(&w, p + off, std::min<size_t>(4, n - off));
    v.set_word(i, w);
  }
}
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
void from_port(const T& v, uint8_t* p, size_t n) {
  const uint64_t x = static_cast<uint64_t>(v);
  std::memcpy(p, &x, std::min(n, sizeof(x)));
}
template <int W>
void from_port(const sc_dt::sc_bv<W>& v, uint8_t* p, size_t n) {
  for (int i = 0; i < (W + 31) / 32; ++i) {
    const uint32_t w = v.get_word(i);
    const size_t off = static_cast<size_t>(i) * 4;
    if (off < n) std::memcpy(p + off, &w, std::min<size_t>(4, n - off));
  }
}

// Token counter k of the top's dbg_tokens (NumTokens counters of TokenW bits).
static_assert(isa::kTokenBits * isa::kNumTokens <= 64, "dbg_tokens is read as a 64-bit integer");
int64_t token(uint64_t dbg_tokens, int k) {
  return static_cast<int64_t>((dbg_tokens >> (isa::kTokenBits * k)) & ((uint64_t{1} << isa::kTokenBits) - 1));
}

// ---- the job the harness is running ----
struct Job {
  const Program* prog = nullptr;
  const HwConfig* hw = nullptr;
  DramModel* dram = nullptr;
  int64_t fault_head = -1;       // a faulty queue head in the last sampled cycle
  std::vector<uint32_t> faults;  // issue_faults() of every instruction
  const SimOptions* opt = nullptr;
  SimResult* res = nullptr;

  uint64_t cyc = 0;         // cycle being sampled (falling edge) / ended (next rising edge)
  size_t next = 0;          // next instruction to present (R1)
  bool presenting = false;  // insn_valid in the current cycle
  uint64_t last_activity = 0;
  std::deque<size_t> queued[kNumUnits];  // program indexes in each queue, in order
  long inflight[kNumUnits] = {};         // index into info records of each unit's instruction (-1: none)
  std::vector<uint64_t> accept_cycle;
  std::vector<InsnRecord> recs;
  CounterRecorder* counters = nullptr;  // SimOptions::timeline

  // inputs for the next cycle
  bool p_rd_valid = false, p_wr_ack = false;
  std::vector<uint8_t> p_rd_data;

  std::string error;
  bool ended = false;
  std::chrono::steady_clock::time_point t0;
  std::unique_ptr<Progress> bar;  // SimOptions::progress
};

enum class Phase { kIdle, kReset, kRelease, kRun };

class Harness : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Harness);

  // `top` is a separate top-level module, so waveforms show it as tb.bitgrid_top.
  Harness(const sc_core::sc_module_name& name, Vbitgrid_top& t)
      : sc_core::sc_module(name), clk("clk", sc_core::sc_time(10, sc_core::SC_NS)), top(t) {
    top.clk_i(clk);
    top.rst_ni(rst_n);
    top.insn_valid_i(insn_valid);
    top.insn_i(insn);
    top.insn_ready_o(insn_ready);
    top.rd_req_valid_o(rd_req_valid);
    top.rd_req_addr_o(rd_req_addr);
    top.rd_req_beats_o(rd_req_beats);
    top.rd_valid_i(rd_valid);
    top.rd_data_i(rd_data);
    top.wr_valid_o(wr_valid);
    top.wr_addr_o(wr_addr);
    top.wr_data_o(wr_data);
    top.wr_ack_i(wr_ack);
    top.done_o(done);
    top.busy_o(busy);
    top.error_o(error);
    top.cause_o(cause);
    SC_METHOD(on_posedge);
    sensitive << clk.posedge_event();
    dont_initialize();
    SC_METHOD(on_negedge);
    sensitive << clk.negedge_event();
    dont_initialize();
  }

  // Zeroes every scratchpad bank (rtl/scratchpad.sv mem_q, public), so each job starts from the same
  // state as a fresh process (and as the other backends). In the gate-level model (a Yosys netlist, built
  // with --public-flat-rw) a bank's memory is named after its generate scope, e.g. "g_bank[0].mem_q"; in
  // the iCE40 netlist the scratchpads are SB_RAM40_4K cells, whose model (cells_sim.v) names its array
  // "memory" (bitgrid_top has no other block RAM).
  void clear_scratchpads() {
    size_t n = 0;
    for (const char* suffix : {"mem_q", "memory"}) n += clear_vars_ending(suffix);
    if (n == 0) throw Error("rtl harness: no scratchpad memories found in the verilated model");
  }
  size_t clear_vars_ending(const std::string& suffix) {
    size_t n = 0;
    for (const auto& sc : *top.contextp()->scopeNameMap()) {
      const VerilatedVarNameMap* vars = sc.second->varsp();
      if (!vars) continue;
      for (auto& [name, var] : *const_cast<VerilatedVarNameMap*>(vars)) {
        const std::string nm = name;
        if (nm.size() < suffix.size() || nm.compare(nm.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        std::memset(var.datap(), 0, var.totalSize());
        ++n;
      }
    }
    return n;
  }

  // Runs `job` to its end (done, error, stall or cycle limit); returns with the simulation paused.
  void run(Job& job) {
    job_ = &job;
    phase_ = Phase::kReset;
    reset_edges_ = 2;
    sc_core::sc_start();
    phase_ = Phase::kIdle;
    job_ = nullptr;
  }

  sc_core::sc_clock clk;
  Vbitgrid_top& top;

 private:
  void on_posedge() {
    switch (phase_) {
      case Phase::kIdle:
        return;
      case Phase::kReset:
        rst_n.write(false);
        insn_valid.write(false);
        rd_valid.write(false);
        wr_ack.write(false);
        if (--reset_edges_ == 0) phase_ = Phase::kRelease;
        return;
      case Phase::kRelease:  // cycle 0 starts at this edge
        // The scratchpads are cleared here, under reset: the previous job may have ended with an engine
        // still writing (work in flight at done is cut off, R4), and that write lands at the first edge
        // after the job ends, before reset takes hold.
        try {
          clear_scratchpads();
        } catch (const std::exception& e) {
          fail(e.what());
          return;
        }
        rst_n.write(true);
        job_->cyc = 0;
        present();
        rd_valid.write(false);
        wr_ack.write(false);
        phase_ = Phase::kRun;
        return;
      case Phase::kRun:
        present();
        rd_valid.write(job_->p_rd_valid);
        if (job_->p_rd_valid) {
          BeatT v{};
          to_port(v, job_->p_rd_data.data(), job_->p_rd_data.size());
          rd_data.write(v);
        }
        wr_ack.write(job_->p_wr_ack);
        return;
    }
  }

  // Drives instruction job_->next (if any) for the coming cycle.
  void present() {
    Job& j = *job_;
    j.presenting = j.next < j.prog->insns.size();
    insn_valid.write(j.presenting);
    if (j.presenting) {
      const Insn& in = j.prog->insns[j.next];
      uint8_t bytes[16];
      std::memcpy(bytes, &in.w[0], 8);
      std::memcpy(bytes + 8, &in.w[1], 8);
      InsnT v{};
      to_port(v, bytes, sizeof(bytes));
      insn.write(v);
    }
  }

  void on_negedge() {
    if (phase_ != Phase::kRun || job_->ended) return;
    try {
      sample();
    } catch (const std::exception& e) {
      fail(std::string(e.what()));
    }
  }

  void fail(const std::string& msg) {
    job_->error = msg;
    end_job();
  }

  void end_job() {
    job_->ended = true;
    phase_ = Phase::kIdle;
    sc_core::sc_pause();
  }

  void sample() {
    Job& j = *job_;
    const uint64_t c = j.cyc;
    const Params* t = top.bitgrid_top;

    // A machine fault detected in cycle c-1 raises error_o in cycle c, which ends the run (a fault wins
    // over a finish of the same cycle); the fault's instruction is a queue head, as in the SystemC model.
    if (top.contextp()->gotError()) {
      top.contextp()->gotError(false);
      top.contextp()->gotFinish(false);
      throw Error("rtl: an assertion of the RTL failed in cycle " + std::to_string(c) +
                  " (its message is printed above; the program may access words outside its buffers: run without "
                  "--no-check)");
    }
    if (error.read()) {
      if (c == 0) throw Error("rtl: error_o is 1 in cycle 0");
      MachineFault& f = j.res->fault;
      f.causes = static_cast<uint32_t>(cause.read());
      f.cycle = c - 1;
      f.timed = true;
      f.insn = j.fault_head;
      if (f.causes == 0) throw Error("rtl: error_o rose with no fault cause");
      j.res->cycles = c;
      end_job();
      return;
    }
    if (done.read()) {  // R4: the cycle count is the first cycle with done = 1
      j.res->cycles = c;
      end_job();
      return;
    }

    // Cross-check the harness's view of the queues against the RTL's occupancy registers.
    const unsigned cnt_w = [] {
      unsigned w = 0;
      while ((1u << w) < Params::QueueDepth) ++w;
      return w + 1;
    }();
    const uint64_t occ = t->dbg_occ;
    for (int u = 0; u < kNumUnits; ++u) {
      const uint64_t o = (occ >> (u * cnt_w)) & ((1u << cnt_w) - 1);
      if (o != j.queued[u].size())
        throw Error("rtl harness: " + std::string(queue_name(u)) + " queue occupancy " + std::to_string(o) +
                    " in cycle " + std::to_string(c) + ", the harness counted " + std::to_string(j.queued[u].size()));
    }

    if (j.counters) {  // the registers' values in cycle c (as the SystemC model records them)
      for (int u = 0; u < kNumUnits; ++u)
        j.counters->set(c, timeline::queue_counter(u),
                        static_cast<int64_t>((occ >> (u * cnt_w)) & ((1u << cnt_w) - 1)));
      const uint64_t tok_bits = t->dbg_tokens;
      for (int k = 0; k < isa::kNumTokens; ++k) j.counters->set(c, timeline::token_counter(k), token(tok_bits, k));
    }

    // The queue head a fault of this cycle would name (the SystemC model names the first unit's).
    j.fault_head = -1;
    for (int u = 0; u < kNumUnits && j.fault_head < 0; ++u)
      if (!j.queued[u].empty() && j.faults[j.queued[u].front()] != 0)
        j.fault_head = static_cast<int64_t>(j.queued[u].front());

    const unsigned busy_bits = static_cast<unsigned>(busy.read());
    const unsigned issue_bits = t->dbg_issue;
    const unsigned complete_bits = t->dbg_complete;
    for (int u = 0; u < kNumUnits; ++u) {
      if (busy_bits & (1u << u)) ++j.res->units[u].busy_cycles;
      if (complete_bits & (1u << u)) {
        if (j.inflight[u] < 0)
          throw Error("rtl harness: " + std::string(queue_name(u)) + " unit completed in cycle " + std::to_string(c) +
                      " with no instruction in flight");
        j.recs[static_cast<size_t>(j.inflight[u])].complete_cycle = c;
        j.recs[static_cast<size_t>(j.inflight[u])].completed = true;
        j.inflight[u] = -1;
      }
    }
    for (int u = 0; u < kNumUnits; ++u) {
      if (!(issue_bits & (1u << u))) continue;
      if (j.queued[u].empty())
        throw Error("rtl harness: " + std::string(queue_name(u)) + " unit issued in cycle " + std::to_string(c) +
                    " from an empty queue");
      const size_t idx = j.queued[u].front();
      j.queued[u].pop_front();
      ++j.res->units[u].insns;
      InsnRecord r;
      r.index = idx;
      r.unit = u;
      r.accept_cycle = j.accept_cycle[idx];
      r.issue_cycle = c;
      if (j.prog->insns[idx].op() == isa::Op::kFinish) {
        r.complete_cycle = c;
        r.completed = true;
      } else {
        j.inflight[u] = static_cast<long>(j.recs.size());
      }
      j.recs.push_back(r);
    }

    // R1: acceptance of the presented instruction.
    if (j.presenting && insn_ready.read()) {
      const int q = static_cast<int>(j.prog->insns[j.next].queue());
      j.queued[q].push_back(j.next);
      j.accept_cycle[j.next] = c;
      ++j.next;
    }

    // R6: this cycle's DRAM requests, the store's write beat first, then the load's read burst.
    if (wr_valid.read()) {
      uint8_t beat[kBeatBytes];
      from_port(wr_data.read(), beat, kBeatBytes);
      j.dram->write(c, static_cast<uint32_t>(wr_addr.read()), beat, true);
    }
    if (rd_req_valid.read()) {
      j.dram->read(c, static_cast<uint32_t>(rd_req_addr.read()), static_cast<uint32_t>(rd_req_beats.read()), nullptr,
                   true);
    }
    DramModel::Event ev;
    j.p_rd_valid = false;
    j.p_wr_ack = false;
    if (j.dram->pop_event(c + 1, ev)) {
      if (ev.is_read) {
        j.p_rd_valid = true;
        j.p_rd_data = std::move(ev.data);
      } else {
        j.p_wr_ack = true;
      }
    }

    // Liveness.
    // A busy unit is progress too: one long hamtopk may run for millions of cycles.
    if (issue_bits || complete_bits || busy_bits) j.last_activity = c;
    const bool drained = j.next == j.prog->insns.size() && busy_bits == 0 && issue_bits == 0 && j.queued[0].empty() &&
                         j.queued[1].empty() && j.queued[2].empty();
    if (drained)
      throw Error("rtl: the program has no finish: all " + std::to_string(j.prog->insns.size()) +
                  " instructions completed by cycle " + std::to_string(c) + " and done never rose");
    if (j.opt->stall_cycles && c - j.last_activity >= j.opt->stall_cycles)
      throw Error("rtl: deadlock: no instruction issued, executing or completed for " +
                  std::to_string(j.opt->stall_cycles) + " cycles (cycle " + std::to_string(c) + "); " +
                  diagnose(busy_bits));
    if (j.opt->max_cycles && c >= j.opt->max_cycles)
      throw Error("rtl: cycle limit: done not raised within --max-cycles " + std::to_string(j.opt->max_cycles) +
                  " cycles");
    if (j.bar && (c & 0x3FFF) == 0)
      j.bar->update(static_cast<double>(c),
                    std::to_string(j.next) + "/" + std::to_string(j.prog->insns.size()) + " instructions accepted");
    ++j.cyc;
  }

  // What every non-empty queue's head waits for (for the deadlock message).
  std::string diagnose(unsigned busy_bits) const {
    const Job& j = *job_;
    const Params* t = top.bitgrid_top;
    const uint64_t tok_bits = t->dbg_tokens;
    auto tok = [&](int c) { return token(tok_bits, c); };
    std::ostringstream os;
    bool any = false;
    for (int u = 0; u < kNumUnits; ++u) {
      if (j.queued[u].empty()) continue;
      const size_t idx = j.queued[u].front();
      const Insn& in = j.prog->insns[idx];
      os << (any ? "; " : "") << queue_name(u) << " queue (" << j.queued[u].size() << " waiting): head #" << idx << " `"
         << disassemble(in) << "` ";
      any = true;
      std::string waits;
      if (busy_bits & (1u << u)) {
        waits = "waits for its unit (busy)";
      } else {
        std::vector<std::string> toks;
        const bool pop[2] = {in.pop_prev(), in.pop_next()};
        for (int dir = 0; dir < 2; ++dir) {
          const int c = isa::kPopToken[u][dir];
          if (pop[dir] && c >= 0 && tok(c) == 0) toks.push_back(isa::kTokenNames[static_cast<size_t>(c)]);
        }
        for (size_t i = 0; i < toks.size(); ++i) waits += (i ? " and " : "waits for a token on ") + toks[i];
        if (waits.empty()) waits = "is ready";
      }
      os << waits;
    }
    if (j.next < j.prog->insns.size()) {
      const Insn& in = j.prog->insns[j.next];
      os << (any ? "; " : "") << "host: instruction #" << j.next << " `" << disassemble(in)
         << "` waits for room in the " << queue_name(static_cast<int>(in.queue())) << " queue";
      any = true;
    }
    if (!any) os << "all queues empty";
    os << " (tokens";
    for (int c = 0; c < isa::kNumTokens; ++c) os << " " << isa::kTokenNames[static_cast<size_t>(c)] << "=" << tok(c);
    os << ")";
    return os.str();
  }

  sc_core::sc_signal<bool> rst_n{"rst_n", false};
  sc_core::sc_signal<bool> insn_valid{"insn_valid"}, insn_ready{"insn_ready"};
  sc_core::sc_signal<InsnT> insn{"insn"};
  sc_core::sc_signal<bool> rd_req_valid{"rd_req_valid"}, rd_valid{"rd_valid"};
  sc_core::sc_signal<ReqAddrT> rd_req_addr{"rd_req_addr"};
  sc_core::sc_signal<ReqBeatsT> rd_req_beats{"rd_req_beats"};
  sc_core::sc_signal<BeatT> rd_data{"rd_data"}, wr_data{"wr_data"};
  sc_core::sc_signal<bool> wr_valid{"wr_valid"}, wr_ack{"wr_ack"};
  sc_core::sc_signal<WrAddrT> wr_addr{"wr_addr"};
  sc_core::sc_signal<bool> done{"done"}, error{"error"};
  sc_core::sc_signal<BusyT> busy{"busy"};
  sc_core::sc_signal<CauseT> cause{"cause"};

  Job* job_ = nullptr;
  Phase phase_ = Phase::kIdle;
  int reset_edges_ = 0;
};

Harness* g_harness = nullptr;
VerilatedFstSc* g_trace = nullptr;

Harness& harness() {
  if (!g_harness) {
    Verilated::traceEverOn(true);
    Vbitgrid_top* top = new Vbitgrid_top("tb");
    // A failing SVA assertion (the RTL is built with --assert) is reported as this job's error instead of
    // aborting the process; Verilator prints the assertion's message.
    top->contextp()->fatalOnError(false);
    g_harness = new Harness("harness", *top);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // completes elaboration (needed before trace())
  }
  return *g_harness;
}

}  // namespace

HwConfig model_config() {
  // The top's public parameters, by their RTL names (isa::ParamDef::rtl_name), from the model's scopes.
  Harness& h = harness();
  HwConfig c;
  for (const auto& p : isa::kParams) {
    const VerilatedVar* var = nullptr;
    for (const auto& sc : *h.top.contextp()->scopeNameMap()) {
      const VerilatedVarNameMap* vars = sc.second->varsp();
      if (!vars) continue;
      const auto it = vars->find(p.rtl_name);
      if (it != vars->end() && it->second.isParam()) {
        var = &it->second;
        break;
      }
    }
    if (!var) throw Error(std::string("rtl: the verilated model has no public parameter ") + p.rtl_name);
    const long v = static_cast<long>(*static_cast<const uint32_t*>(var->datap()));
    c.for_each([&](const char* n, long& ref) {
      if (std::string(n) == p.name) ref = v;
    });
  }
  return c;
}

SimResult run(const HwConfig& hw, const Program& program, std::vector<uint8_t> memory, const SimOptions& opt,
              RunInfo* info) {
  {
    HwConfig m = model_config();
    std::string diff;
    hw.for_each([&](const char* name, long v) {
      if (std::string(name) == "dram_latency") return;
      m.for_each([&](const char* n2, long mv) {
        if (std::string(name) == n2 && mv != v)
          diff += std::string(diff.empty() ? "" : ", ") + name + " " + std::to_string(v) +
                  " (model: " + std::to_string(mv) + ")";
      });
    });
    if (!diff.empty()) throw Error("rtl: the job's hardware config differs from the verilated model's: " + diff);
  }

  const auto t0 = std::chrono::steady_clock::now();
  DramModel dram(hw.dram_bytes_per_cycle, hw.dram_latency, std::move(memory));
  SimResult res;
  res.backend = "rtl";
  Job job;
  job.prog = &program;
  job.hw = &hw;
  job.dram = &dram;
  for (long& f : job.inflight) f = -1;
  job.opt = &opt;
  job.res = &res;
  job.accept_cycle.assign(program.insns.size(), 0);
  job.faults.resize(program.insns.size());
  for (size_t i = 0; i < program.insns.size(); ++i) job.faults[i] = issue_faults(program.insns[i], hw);
  job.t0 = t0;
  if (opt.progress)
    job.bar = std::make_unique<Progress>("rtl", static_cast<double>(opt.expect_cycles), false, true, " cycles");
  CounterRecorder counters;
  if (opt.timeline) {
    job.counters = &counters;
    dram.log_requests(&res.dram_log);
  }

  Harness& h = harness();
  if (!opt.trace_path.empty()) {
    if (!g_trace) {
      g_trace = new VerilatedFstSc;
      h.top.trace(g_trace, 99);
    }
    g_trace->open(opt.trace_path.c_str());
    if (!g_trace->isOpen()) throw Error(opt.trace_path + ": cannot open the FST trace for writing");
  }
  h.run(job);
  if (g_trace && g_trace->isOpen()) g_trace->close();

  if (!job.error.empty()) throw Error(job.error);
  if (!job.ended) throw Error("rtl: the simulation stopped before the job ended");
  res.dram = dram.stats();
  res.profile = dram.profile();
  res.counter_log = std::move(counters.log());
  res.memory = std::move(dram.memory());
  res.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (info) info->insns = std::move(job.recs);
  return res;
}

}  // namespace bitgrid::rtl
