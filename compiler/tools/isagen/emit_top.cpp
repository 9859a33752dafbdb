// rtl/gen/bitgrid_top.sv: the machine's top, wired from the ISA definition. Everything that is a list
// (the hardware parameters, the buffers and their geometry, the engines and their ports, the request
// multiplexing) is generated; every piece of logic lives in a hand-written module under rtl/.
#include <algorithm>
#include <set>
#include <sstream>

#include "isa_def.h"

namespace isagen {

namespace {

std::string pad(const std::string& s, size_t n) { return s.size() >= n ? s : s + std::string(n - s.size(), ' '); }

// The compute-port width of a buffer: the widest of its engine ports (1 if no engine uses it).
std::string port_words_expr(const Buffer& b) {
  if (b.uses.empty()) return "1";
  std::string e = "(" + expr_sv(b.uses[0].words) + ")";
  std::set<std::string> seen = {expr_sv(b.uses[0].words)};
  for (size_t i = 1; i < b.uses.size(); ++i)
    if (seen.insert(expr_sv(b.uses[i].words)).second)  // engines declaring the same width add nothing
      e = "bitgrid_pkg::max2(" + e + ", " + expr_sv(b.uses[i].words) + ")";
  return e;
}

// The width of the compute port's writes: the writing engines' write_words (else words); the port width if
// no engine writes the buffer.
std::string write_words_expr(const Buffer& b) {
  for (const auto& u : b.uses)
    if (u.write) return "(" + expr_sv(u.write_words.empty() ? u.words : u.write_words) + ")";
  return camel(b.name) + "PortWords";
}

}  // namespace

std::string emit_sv_top(const Isa& isa) {
  std::ostringstream v;
  const int lq = isa.queue_index("load"), cq = isa.queue_index("compute"), sq = isa.queue_index("store");
  if (lq < 0 || sq < 0) throw std::runtime_error("the generated top needs load and store queues");

  // Parameters the RTL uses: the spine's, the engines' RTL parameters, buffer sizes and port-width names.
  std::set<std::string> used = {"dram_bytes_per_cycle", "dram_burst_bytes", "dma_max_outstanding", "queue_depth",
                                "token_max"};
  for (const auto& e : isa.engines) used.insert(e.rtl_params.begin(), e.rtl_params.end());
  for (const auto& b : isa.buffers) {
    used.insert(b.size_param);
    for (const auto& u : b.uses) {
      const auto n = expr_names(u.words, "buffers." + b.name);
      used.insert(n.begin(), n.end());
    }
  }

  v << "// " << kBanner << "\n//\n";
  v << "// bitgrid top (ARCHITECTURE.md §1, §5, §6): the controller with one instruction queue per unit and the\n"
       "// token counters, the load and store DMA units, the compute unit (dispatcher) and its engines, and one\n"
       "// scratchpad per buffer. Each buffer's port A belongs to the DMA unit its `dma` names, port B (the\n"
       "// compute port) to the engines that use it; an idle engine drives '0 on its ports, so the requests\n"
       "// of a buffer's users are ORed together (one user at a time, asserted). A buffer its engine owns\n"
       "// (`owned: true`) has no scratchpad here: the engine holds its storage, and the load DMA's port-A\n"
       "// writes into it go to the engine's <buf>_dma_we_i/_addr_i/_wdata_i ports.\n//\n";
  v << "// Every hardware parameter is a parameter here (HwConfig::rtl_overrides() emits them as -G); they are\n"
       "// public so the simulation harness can check them against its config. DRAM beats are little-endian:\n"
       "// byte j of a beat is rd_data_i / wr_data_o[8j+7:8j]. busy_o[q] is the unit of queue q (isa::Queue).\n";
  v << "module bitgrid_top #(\n";
  std::vector<std::string> plines;
  for (size_t i = 0; i < isa.params.size(); ++i) {
    const Param& p = isa.params[i];
    const bool u = used.count(p.name) > 0;
    std::string l;
    if (!u) l += "  /* verilator lint_off UNUSEDPARAM */  // used outside the RTL only\n";
    l += "  parameter int unsigned " + pad(camel(p.name), 20) + " /*verilator public*/ = bitgrid_pkg::Default" +
         camel(p.name) + ",";
    if (!u) l += "\n  /* verilator lint_on UNUSEDPARAM */";
    plines.push_back(l);
  }
  for (const auto& l : plines) v << l << "\n";
  v << "  localparam int unsigned BeatBits = DramBytesPerCycle * 8\n) (\n";
  v << R"(  input  logic                             clk_i,
  input  logic                             rst_ni,
  // command stream (R1)
  input  logic                             insn_valid_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             insn_ready_o,
  // DRAM read (R6, R7)
  output logic                             rd_req_valid_o,
  output logic [bitgrid_pkg::LoadDramAddrW-1:0] rd_req_addr_o,
  output logic [15:0]                      rd_req_beats_o,
  input  logic                             rd_valid_i,
  input  logic [BeatBits-1:0]              rd_data_i,
  // DRAM write (R6, R8)
  output logic                             wr_valid_o,
  output logic [bitgrid_pkg::StoreDramAddrW-1:0] wr_addr_o,
  output logic [BeatBits-1:0]              wr_data_o,
  input  logic                             wr_ack_i,
  // status
  output logic                             done_o,
  output logic [bitgrid_pkg::NumQueues-1:0] busy_o,
  output logic                             error_o,
  output logic [bitgrid_pkg::NumFaults-1:0] cause_o   // fault causes (R10), valid while error_o
);

)";
  // ---- parameter checks
  v << "  // Parameter checks (the ranges of configs/isa/): an illegal value fails elaboration.\n";
  for (const auto& p : isa.params) {
    const std::string n = camel(p.name);
    std::string cond = n + " < " + std::to_string(p.min) + " || " + n + " > " + std::to_string(p.max);
    if (p.pow2) cond += " || (" + n + " & (" + n + " - 1)) != 0";
    if (p.multiple_of) cond += " || " + n + " % " + std::to_string(p.multiple_of) + " != 0";
    v << "  if (" << cond << ") begin : g_bad_" << p.name << "\n    $fatal(1, \"bitgrid_top: " << p.name
      << " outside its range (configs/isa/)\");\n  end\n";
  }
  v << "  if (DramBurstBytes < DramBytesPerCycle) begin : g_bad_burst\n    $fatal(1, \"bitgrid_top: "
       "dram_burst_bytes is smaller than one beat\");\n  end\n\n";

  // ---- geometry
  v << "  localparam int unsigned InsnW      = bitgrid_pkg::InsnBits;\n";
  v << "  localparam int unsigned NQ         = bitgrid_pkg::NumQueues;\n";
  v << "  localparam int unsigned NT         = bitgrid_pkg::NumTokens;\n";
  v << "  localparam int unsigned NF         = bitgrid_pkg::NumFaults;\n";
  v << "  localparam int unsigned NE         = bitgrid_pkg::NumEngines;\n";
  v << "  localparam int unsigned BufW       = bitgrid_pkg::BufIdW;\n";
  v << "  localparam int unsigned AddrW      = bitgrid_pkg::SpmAddrW;\n";
  v << "  localparam int unsigned CntW       = $clog2(QueueDepth) + 1;\n";
  v << "  localparam int unsigned Wb         = DramBytesPerCycle / 8;  // words per DRAM beat\n";
  v << "  localparam int unsigned BurstBeats = DramBurstBytes / DramBytesPerCycle;\n";
  v << "  localparam int unsigned LoadQ      = bitgrid_pkg::LoadQueue;\n";
  v << "  localparam int unsigned ComputeQ   = bitgrid_pkg::ComputeQueue;\n";
  v << "  localparam int unsigned StoreQ     = bitgrid_pkg::StoreQueue;\n";
  v << "  // Buffers: the compute port is the widest engine port (its writes as wide as the writing engine's\n"
       "  // write_words), a row the widest of the port, its writes and the beat.\n";
  for (const auto& b : isa.buffers) {
    const std::string n = camel(b.name);
    if (b.owned) {  // held by its engine: only the size (the engine's <Buf>Words parameter)
      v << "  localparam int unsigned " << n << "Words     = " << camel(b.size_param)
        << " * 128;  // KiB of 64-bit words; owned by " << b.defined_by << " (no scratchpad here)\n";
      continue;
    }
    v << "  localparam int unsigned " << n << "PortWords = " << port_words_expr(b) << ";\n";
    v << "  localparam int unsigned " << n << "WriteWords = " << write_words_expr(b) << ";\n";
    v << "  localparam int unsigned " << n << "RowWords  = bitgrid_pkg::max2(bitgrid_pkg::max2(" << n << "PortWords, "
      << n << "WriteWords), Wb);\n";
    v << "  localparam int unsigned " << n << "Words     = " << camel(b.size_param)
      << " * 128;  // KiB of 64-bit words\n";
  }
  v << "  // Presence (the has_<engine> parameters): an absent engine and the buffers only it uses are left out;\n"
       "  // its opcodes and DMA transfers to its buffers are machine faults (R10).\n";
  {
    std::string eng;
    for (size_t ei = isa.engines.size(); ei-- > 0;)
      eng += std::string(eng.empty() ? "" : ", ") + camel(isa.engines[ei].has_param()) + " != 0";
    v << "  localparam logic [NE-1:0] EnginePresent = {" << eng << "};  // bit e: engine e\n";
    std::string bufs;
    for (const auto& b : isa.buffers) {
      std::string users;
      for (const auto& u : b.uses)
        users += std::string(users.empty() ? "" : " || ") +
                 camel(isa.engines[static_cast<size_t>(u.engine)].has_param()) + " != 0";
      v << "  localparam bit " << camel(b.name) << "Present = " << (users.empty() ? "1'b0" : users) << ";\n";
    }
    for (size_t bi = isa.buffers.size(); bi-- > 0;)
      bufs += std::string(bufs.empty() ? "" : ", ") + camel(isa.buffers[bi].name) + "Present";
    v << "  localparam logic [bitgrid_pkg::NumBufs-1:0] BufPresent = {" << bufs << "};  // bit b: buffer b\n";
  }
  v << "\n";

  // ---- controller and observation signals
  v << R"(  // ------------------------------------------------------------------------------------------------
  // Controller
  logic [NQ-1:0]       unit_issue, unit_idle, unit_complete;
  logic [NQ*InsnW-1:0] unit_insn;
  logic [NQ*NF-1:0]    unit_fault;

  // Observation signals for the simulation harness (sim/rtl_harness.cpp) and waveforms; unused in
  // hardware (synthesis removes them).
  /* verilator lint_off UNUSEDSIGNAL */
  logic [NQ*CntW-1:0]               dbg_occ      /*verilator public_flat_rd*/;
  logic [NT*bitgrid_pkg::TokenW-1:0] dbg_tokens  /*verilator public_flat_rd*/;
  logic [NQ-1:0]                    dbg_issue    /*verilator public_flat_rd*/;
  logic [NQ-1:0]                    dbg_complete /*verilator public_flat_rd*/;
  logic [NQ*8-1:0]                  dbg_heads    /*verilator public_flat_rd*/;
  logic [NF-1:0]                    dbg_err      /*verilator public_flat_rd*/;
  // fixed-width copies for configs/bitgrid.gtkw (same names and widths in every config)
  logic [6:0]                       dbg_occ_load, dbg_occ_compute, dbg_occ_store;
)";
  v << "  logic [7:0]                       ";
  for (size_t t = 0; t < isa.tokens.size(); ++t) v << (t ? ", " : "") << "dbg_tok_" << isa.tokens[t].name;
  v << ";\n";
  v << R"(  /* verilator lint_on UNUSEDSIGNAL */
  assign dbg_occ_load    = 7'(dbg_occ[LoadQ*CntW +: CntW]);
  assign dbg_occ_compute = 7'(dbg_occ[ComputeQ*CntW +: CntW]);
  assign dbg_occ_store   = 7'(dbg_occ[StoreQ*CntW +: CntW]);
)";
  for (const auto& t : isa.tokens) {
    const std::string c = "bitgrid_pkg::Token" + camel(t.name);
    v << "  assign dbg_tok_" << t.name << " = 8'(dbg_tokens[" << c
      << "*bitgrid_pkg::TokenW +: bitgrid_pkg::TokenW]);\n";
  }
  v << R"(
  bg_controller #(
    .QueueDepth(QueueDepth),
    .TokenMax  (TokenMax)
  ) u_controller (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .insn_valid_i(insn_valid_i),
    .insn_i      (insn_i),
    .insn_ready_o(insn_ready_o),
    .issue_o     (unit_issue),
    .head_o      (unit_insn),
    .idle_i      (unit_idle),
    .complete_i  (unit_complete),
    .fault_i     (unit_fault),
    .done_o      (done_o),
    .error_o     (error_o),
    .occ_o       (dbg_occ),
    .tokens_o    (dbg_tokens),
    .issued_o    (dbg_issue),
    .completed_o (dbg_complete),
    .heads_o     (dbg_heads),
    .cause_o     (dbg_err)
  );

  assign busy_o  = ~unit_idle;
  assign cause_o = dbg_err;

  // ------------------------------------------------------------------------------------------------
  // Load unit -> port A of the buffers it may fill
  logic             ld_we;
  logic [BufW-1:0]  ld_buf;
  logic [AddrW-1:0] ld_addr;
  logic [Wb*64-1:0] ld_wdata;

  bg_load_unit #(
    .BeatWords     (Wb),
    .BurstBeats    (BurstBeats),
    .MaxOutstanding(DmaMaxOutstanding),
    .BufPresent    (BufPresent)
  ) u_load_unit (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .issue_i       (unit_issue[LoadQ]),
    .insn_i        (unit_insn[LoadQ*InsnW +: InsnW]),
    .idle_o        (unit_idle[LoadQ]),
    .complete_o    (unit_complete[LoadQ]),
    .fault_o       (unit_fault[LoadQ*NF +: NF]),
    .dsp_insn_i    (insn_i),
    .rd_req_valid_o(rd_req_valid_o),
    .rd_req_addr_o (rd_req_addr_o),
    .rd_req_beats_o(rd_req_beats_o),
    .rd_valid_i    (rd_valid_i),
    .rd_data_i     (rd_data_i),
    .spm_we_o      (ld_we),
    .spm_buf_o     (ld_buf),
    .spm_addr_o    (ld_addr),
    .spm_wdata_o   (ld_wdata)
  );

  // ------------------------------------------------------------------------------------------------
  // Store unit <- port A of the buffers it may drain
  logic             st_req;
  logic [BufW-1:0]  st_buf;
  logic [AddrW-1:0] st_addr;
  logic [Wb*64-1:0] st_rdata;

  bg_store_unit #(
    .BeatWords (Wb),
    .BufPresent(BufPresent)
  ) u_store_unit (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .issue_i   (unit_issue[StoreQ]),
    .insn_i    (unit_insn[StoreQ*InsnW +: InsnW]),
    .idle_o    (unit_idle[StoreQ]),
    .complete_o(unit_complete[StoreQ]),
    .fault_o   (unit_fault[StoreQ*NF +: NF]),
    .dsp_insn_i(insn_i),
    .r_req_o   (st_req),
    .r_buf_o   (st_buf),
    .r_addr_o  (st_addr),
    .r_rdata_i (st_rdata),
    .wr_valid_o(wr_valid_o),
    .wr_addr_o (wr_addr_o),
    .wr_data_o (wr_data_o),
    .wr_ack_i  (wr_ack_i)
  );

  // ------------------------------------------------------------------------------------------------
  // Compute unit: the dispatcher and the engines
  logic [NE-1:0] eng_start, eng_last;

  bg_compute_unit #(
    .NumEngines   (NE),
    .EnginePresent(EnginePresent)
  ) u_compute_unit (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .issue_i   (unit_issue[ComputeQ]),
    .insn_i    (unit_insn[ComputeQ*InsnW +: InsnW]),
    .idle_o    (unit_idle[ComputeQ]),
    .complete_o(unit_complete[ComputeQ]),
    .fault_o   (unit_fault[ComputeQ*NF +: NF]),
    .dsp_insn_i(insn_i),
    .start_o   (eng_start),
    .last_i    (eng_last)
  );

)";
  (void)cq;
  // Per buffer: compute-port request and data nets.
  v << "  // Compute ports of the buffers (bitgrid_pkg::spm_req_t requests, port-wide data).\n";
  for (const auto& b : isa.buffers) {
    if (b.owned) continue;  // no compute port: its engine reads its own storage
    const std::string n = camel(b.name);
    v << "  bitgrid_pkg::spm_req_t       " << b.name << "_b_req;\n";
    v << "  logic [" << n << "WriteWords*64-1:0] " << b.name << "_b_wdata;\n";
    // Read data only where some engine reads the buffer (an unread net would be an UNUSED lint warning).
    if (b.engine_reads()) v << "  logic [" << n << "PortWords*64-1:0] " << b.name << "_b_rdata;\n";
  }
  v << "\n";

  // ---- engines
  for (size_t ei = 0; ei < isa.engines.size(); ++ei) {
    const Engine& e = isa.engines[ei];
    v << "  // Engine " << e.name << " (" << e.fragment << ")\n";
    for (const auto& bn : e.buffers) {
      const Buffer& b = *isa.buffer(bn);
      if (b.owned) continue;
      const BufUse* u = nullptr;
      for (const auto& x : b.uses)
        if (x.engine == static_cast<int>(ei)) u = &x;
      v << "  bitgrid_pkg::spm_req_t " << e.name << "_" << b.name << "_req;\n";
      if (u->write)
        v << "  logic [" << camel(b.name) << "WriteWords*64-1:0] " << e.name << "_" << b.name << "_wdata;\n";
    }
    std::ostringstream iv;  // the instance, indented into the generate block below
    iv << "  " << e.rtl_module << " #(\n";
    std::vector<std::string> conns;
    for (const auto& p : e.rtl_params) conns.push_back("." + camel(p) + "(" + camel(p) + ")");
    bool owns = false;
    for (const auto& bn : e.buffers)
      if (isa.buffer(bn)->owned) {
        if (!owns) conns.push_back(".Wb(Wb)");
        owns = true;
        conns.push_back("." + camel(bn) + "Words(" + camel(bn) + "Words)");
      }
    for (const auto& bn : e.buffers) {
      if (isa.buffer(bn)->owned) continue;
      conns.push_back("." + camel(bn) + "PortWords(" + camel(bn) + "PortWords)");
      for (const auto& x : isa.buffer(bn)->uses)
        if (x.engine == static_cast<int>(ei) && !x.write_words.empty())
          conns.push_back("." + camel(bn) + "WriteWords(" + camel(bn) + "WriteWords)");
    }
    size_t w = 0;
    for (const auto& c : conns) w = std::max(w, c.find('('));
    for (size_t i = 0; i < conns.size(); ++i) {
      const size_t p = conns[i].find('(');
      iv << "    " << pad(conns[i].substr(0, p), w) << conns[i].substr(p) << (i + 1 < conns.size() ? "," : "") << "\n";
    }
    iv << "  ) u_" << e.name << " (\n";
    std::vector<std::pair<std::string, std::string>> pc = {{"clk_i", "clk_i"},
                                                           {"rst_ni", "rst_ni"},
                                                           {"start_i", "eng_start[" + std::to_string(ei) + "]"},
                                                           {"insn_i", "unit_insn[ComputeQ*InsnW +: InsnW]"},
                                                           {"last_o", "eng_last[" + std::to_string(ei) + "]"}};
    for (const auto& bn : e.buffers) {
      const Buffer& b = *isa.buffer(bn);
      if (b.owned) {  // the load DMA's port-A writes into the buffer go to the engine
        pc.push_back({bn + "_dma_we_i", "ld_we && ld_buf == BufW'(bitgrid_pkg::Buf" + camel(bn) + ")"});
        pc.push_back({bn + "_dma_addr_i", "ld_addr"});
        pc.push_back({bn + "_dma_wdata_i", "ld_wdata"});
        continue;
      }
      const BufUse* u = nullptr;
      for (const auto& x : b.uses)
        if (x.engine == static_cast<int>(ei)) u = &x;
      pc.push_back({bn + "_req_o", e.name + "_" + bn + "_req"});
      if (u->write) pc.push_back({bn + "_wdata_o", e.name + "_" + bn + "_wdata"});
      if (u->read) pc.push_back({bn + "_rdata_i", bn + "_b_rdata"});
    }
    w = 0;
    for (const auto& x : pc) w = std::max(w, x.first.size());
    for (size_t i = 0; i < pc.size(); ++i)
      iv << "    ." << pad(pc[i].first, w) << "(" << pc[i].second << ")" << (i + 1 < pc.size() ? "," : "") << "\n";
    iv << "  );\n";
    const std::string has = camel(e.has_param());
    v << "\n  if (" << has << " != 0) begin : g_" << e.name << "\n";
    {
      std::istringstream lines(iv.str());
      for (std::string l; std::getline(lines, l);) v << (l.empty() ? "" : "  ") << l << "\n";
    }
    v << "  end else begin : g_no_" << e.name << "  // absent: quiet ports, never finishes (never started)\n";
    for (const auto& bn : e.buffers) {
      const Buffer& b = *isa.buffer(bn);
      if (b.owned) continue;
      bool wr = false, rd = false;
      for (const auto& x : b.uses)
        if (x.engine == static_cast<int>(ei)) wr = x.write, rd = x.read;
      v << "    assign " << e.name << "_" << bn << "_req = '0;\n";
      if (wr) v << "    assign " << e.name << "_" << bn << "_wdata = '0;\n";
      if (rd) {  // the buffer may stay for another engine (which may only write it): its read data is unused here
        v << "    logic unused_" << bn << "_rdata;\n";
        v << "    assign unused_" << bn << "_rdata = ^" << bn << "_b_rdata;\n";
      }
    }
    v << "    assign eng_last[" << ei << "] = 1'b0;\n";
    v << "    logic unused_start;\n    assign unused_start = eng_start[" << ei << "];\n  end\n\n";
  }

  // ---- request multiplexing per buffer
  v << "  // Compute-port requests: the OR of the users' requests (an idle engine drives '0); write data\n"
       "  // from the user that writes.\n";
  for (const auto& b : isa.buffers) {
    if (b.owned) continue;
    std::string req, wdata;
    for (const auto& u : b.uses) {
      const std::string en = isa.engines[static_cast<size_t>(u.engine)].name;
      req += (req.empty() ? "" : " | ") + en + "_" + b.name + "_req";
      if (u.write)
        wdata += (wdata.empty() ? "" : " | ") + std::string("(") + en + "_" + b.name + "_req.we ? " + en + "_" +
                 b.name + "_wdata : '0)";
    }
    v << "  assign " << b.name << "_b_req   = " << (req.empty() ? "'0" : req) << ";\n";
    v << "  assign " << b.name << "_b_wdata = " << (wdata.empty() ? "'0" : wdata) << ";\n";
  }
  v << "\n";

  // ---- store read-data mux
  v << "  // Store read data: port A of the buffer the store unit reads (st_buf holds for the whole store).\n";
  for (const auto& b : isa.buffers)
    if (b.dma == "store") v << "  logic [Wb*64-1:0] " << b.name << "_a_rdata;\n";
  v << "  always_comb begin\n    st_rdata = '0;\n";
  for (const auto& b : isa.buffers)
    if (b.dma == "store")
      v << "    if (st_buf == BufW'(bitgrid_pkg::Buf" << camel(b.name) << ")) begin\n      st_rdata = " << b.name
        << "_a_rdata;\n    end\n";
  v << "  end\n\n";

  // ---- scratchpads
  v << "  // ------------------------------------------------------------------------------------------------\n"
       "  // Scratchpads\n";
  v << "  /* verilator lint_off PINCONNECTEMPTY */\n";
  for (const auto& b : isa.buffers) {
    const std::string n = camel(b.name);
    if (b.owned) {
      v << "  // " << b.name << ": owned by " << b.defined_by << " (its storage is inside the engine)\n\n";
      continue;
    }
    const bool ld = b.dma == "load", st = b.dma == "store";
    const std::string sel = "BufW'(bitgrid_pkg::Buf" + n + ")";
    std::ostringstream iv;  // the instance, indented into the generate block below
    iv << "  bg_scratchpad #(\n    .Words   (" << n << "Words),\n    .RowWords(" << n << "RowWords),\n"
       << "    .AWords  (Wb),\n    .BWords  (" << n << "PortWords),\n    .BWWords (" << n << "WriteWords),\n"
       << "    .AWrite  (" << (ld ? 1 : 0) << "),\n"
       << "    .ARead   (" << (st ? 1 : 0) << "),\n    .BWrite  (" << (b.engine_writes() ? 1 : 0) << "),\n"
       << "    .BRead   (" << (b.engine_reads() ? 1 : 0) << ")\n  ) u_" << b.name << " (\n";
    iv << "    .clk_i    (clk_i),\n";
    if (ld) {
      iv << "    .a_req_i  (ld_we && ld_buf == " << sel << "),\n    .a_we_i   (1'b1),\n    .a_addr_i (ld_addr),\n"
         << "    .a_wdata_i(ld_wdata),\n    .a_rdata_o(),\n";
    } else if (st) {
      iv << "    .a_req_i  (st_req && st_buf == " << sel << "),\n    .a_we_i   (1'b0),\n    .a_addr_i (st_addr),\n"
         << "    .a_wdata_i('0),\n    .a_rdata_o(" << b.name << "_a_rdata),\n";
    } else {
      iv << "    .a_req_i  (1'b0),\n    .a_we_i   (1'b0),\n    .a_addr_i ('0),\n    .a_wdata_i('0),\n"
         << "    .a_rdata_o(),\n";
    }
    iv << "    .b_req_i  (" << b.name << "_b_req.req),\n    .b_we_i   (" << b.name << "_b_req.we),\n"
       << "    .b_addr_i (" << b.name << "_b_req.addr),\n    .b_wdata_i(" << b.name << "_b_wdata),\n"
       << "    .b_rdata_o(" << (b.engine_reads() ? b.name + "_b_rdata" : std::string()) << ")\n  );\n";
    v << "  if (" << n << "Present) begin : g_" << b.name << "\n";
    {
      std::istringstream lines(iv.str());
      for (std::string l; std::getline(lines, l);) v << (l.empty() ? "" : "  ") << l << "\n";
    }
    v << "  end else begin : g_no_" << b.name << "  // absent: no user can reach it (faults, R10)\n";
    std::string sink = b.name + "_b_req, " + b.name + "_b_wdata";
    if (st) v << "    assign " << b.name << "_a_rdata = '0;\n";
    if (b.engine_reads()) {
      v << "    assign " << b.name << "_b_rdata = '0;\n";
      sink += ", " + b.name + "_b_rdata";
    }
    v << "    logic unused_" << b.name << ";\n    assign unused_" << b.name << " = ^{" << sink << "};\n  end\n\n";
  }
  v << "  /* verilator lint_on PINCONNECTEMPTY */\n";

  // ---- assertions
  v << "\n`ifndef SYNTHESIS\n  logic asserts_on;\n  bg_assert_en u_assert_en (\n    .clk_i (clk_i),\n"
       "    .rst_ni(rst_ni),\n    .en_o  (asserts_on)\n  );\n";
  v << "  // One grant per buffer port: at most one engine requests a compute port in a cycle, and the DMA units\n"
       "  // touch only the buffers their direction allows.\n";
  for (const auto& b : isa.buffers) {
    if (b.owned) continue;
    std::string reqs;
    for (const auto& u : b.uses)
      reqs += (reqs.empty() ? "" : ", ") + isa.engines[static_cast<size_t>(u.engine)].name + "_" + b.name + "_req.req";
    if (reqs.empty()) continue;
    v << "  a_" << b.name << "_one_user: assert property (@(posedge clk_i) disable iff (!asserts_on) $onehot0({" << reqs
      << "}))\n    else $error(\"bitgrid_top: two engines use " << b.name << " in one cycle\");\n";
  }
  v << "  a_load_target: assert property (@(posedge clk_i) disable iff (!asserts_on) ld_we -> "
       "bitgrid_pkg::buf_loadable(ld_buf))\n"
       "    else $error(\"bitgrid_top: load DMA wrote a buffer it may not fill\");\n";
  v << "  a_store_source: assert property (@(posedge clk_i) disable iff (!asserts_on) st_req -> "
       "bitgrid_pkg::buf_storable(st_buf))\n    else $error(\"bitgrid_top: store DMA read a buffer it may not "
       "drain\");\n";
  v << "`endif\n\nendmodule : bitgrid_top\n";
  return v.str();
}

}  // namespace isagen
