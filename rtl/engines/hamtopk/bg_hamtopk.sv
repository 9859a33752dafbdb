// Hamming/top-k engine (ARCHITECTURE.md §3, R9): one hamtopk instruction at a time, behind the compute
// dispatcher (bg_compute_unit) with the engine port list of ARCHITECTURE.md §6.
//
// A 2-D array: HamQueries rows (queries) x HamLanes columns (database codes). Each dbuf row read (one
// step of HamLanes codes) is compared with the step's words of every query of the group, which one qbuf
// read brings (the group is step-interleaved in qbuf: query q's step s at q_addr + (s*HamQueries + q)*M);
// row q has its own Hamming unit and its own top-k unit. Rows q >= n_q take no part in the merges.
//
// Started in cycle c (start_i with insn_i), the instruction's last cycle c+E is flagged by last_o:
//   E = (init ? 0 : n_q*k) + G*S + n_q*k + 4, G = ceil(n_codes/HamLanes), S = ceil(code_words/M)
//     Read  (n_q*k cycles, skipped when init): rbuf read r_addr+i, i = q*k + e (query q's entry e); the
//            entry (data valid the cycle after the request) is registered as a single candidate of row q's
//            top-k unit and merged in the two cycles after that (the top-k unit's two merge cycles), before
//            any group's distances.
//     Stream (G*S cycles): one (group, step) per cycle: qbuf read of the step's HamQueries*M query words,
//            dbuf read of the row of HamLanes*M words; data reaches the Hamming units the next cycle
//            (popcounts), which accumulate them the cycle after, when the group's distances are registered
//            as the top-k candidates; they are merged in the two cycles after that (three and four cycles
//            after the last step's request).
//     Drain (4 cycles): the last step's data (popcounts), its accumulation, the last group's merge (two).
//     Write (n_q*k cycles): rbuf write r_addr+i of row q's list slot 0, shifting that list.
// (k = 0 or n_q = 0 skips Read and Write; the program checker rejects both, as it does n_q > HamQueries,
// whose extra states read nothing and write empty entries.)
// Its scratchpad ports carry one request each (bitgrid_pkg::spm_req_t) and are idle ('0) while the
// engine is; read data arrives the cycle after the request. Port widths are fixed by the generated top
// from configs/isa/engines/hamtopk.yaml and checked here.
// (Yosys 0.23 does not parse package imports, so package items are referenced as bitgrid_pkg::X.)
module bg_hamtopk #(
  parameter int unsigned HamLanes       = bitgrid_pkg::DefaultHamLanes,
  parameter int unsigned HamQueries     = bitgrid_pkg::DefaultHamQueries,
  parameter int unsigned HamBitsPerLane = bitgrid_pkg::DefaultHamBitsPerLane,
  parameter int unsigned MaxCodeBits    = bitgrid_pkg::DefaultMaxCodeBits,
  parameter int unsigned TopkMax        = bitgrid_pkg::DefaultTopkMax,
  parameter int unsigned QbufPortWords  = HamQueries * HamBitsPerLane / 64,
  parameter int unsigned DbufPortWords  = HamLanes * HamBitsPerLane / 64,
  parameter int unsigned RbufPortWords  = 1,
  localparam int unsigned M             = HamBitsPerLane / 64
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             start_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             last_o,
  // qbuf: read HamQueries*M words
  output bitgrid_pkg::spm_req_t            qbuf_req_o,
  input  logic [QbufPortWords*64-1:0]      qbuf_rdata_i,
  // dbuf: read HamLanes*M words
  output bitgrid_pkg::spm_req_t            dbuf_req_o,
  input  logic [DbufPortWords*64-1:0]      dbuf_rdata_i,
  // rbuf: read or write one word
  output bitgrid_pkg::spm_req_t            rbuf_req_o,
  output logic [RbufPortWords*64-1:0]      rbuf_wdata_o,
  input  logic [RbufPortWords*64-1:0]      rbuf_rdata_i
);

  if (HamLanes < 1 || (HamLanes & (HamLanes - 1)) != 0) begin : g_bad_lanes
    $fatal(1, "bg_hamtopk: HamLanes must be a power of two");
  end
  if (HamQueries < 1 || (HamQueries & (HamQueries - 1)) != 0 || HamQueries >= (1 << bitgrid_pkg::HamtopkNQW))
  begin : g_bad_queries
    $fatal(1, "bg_hamtopk: HamQueries must be a power of two that the n_q field can hold");
  end
  if (HamBitsPerLane < 64 || (HamBitsPerLane & (HamBitsPerLane - 1)) != 0) begin : g_bad_bits
    $fatal(1, "bg_hamtopk: HamBitsPerLane must be a power of two >= 64");
  end
  if (MaxCodeBits < 64 || MaxCodeBits % 64 != 0 || MaxCodeBits / 64 >= (1 << bitgrid_pkg::HamtopkCodeWordsW))
  begin : g_bad_code_bits
    $fatal(1, "bg_hamtopk: MaxCodeBits must be a multiple of 64 that the code_words field can hold");
  end
  if (TopkMax < 1 || TopkMax >= (1 << bitgrid_pkg::HamtopkKW)) begin : g_bad_topk
    $fatal(1, "bg_hamtopk: TopkMax must be in 1 .. 2^HamtopkKW-1");
  end
  if (QbufPortWords != HamQueries * M || DbufPortWords != HamLanes * M || RbufPortWords != 1) begin : g_bad_ports
    $fatal(1, "bg_hamtopk: buffer port widths differ from configs/isa/engines/hamtopk.yaml");
  end

  localparam int unsigned AW    = bitgrid_pkg::SpmAddrW;            // q/d addresses
  localparam int unsigned RW    = bitgrid_pkg::HamtopkRAddrW;       // r addresses
  localparam int unsigned LogM  = $clog2(M);
  localparam int unsigned LogL  = $clog2(HamLanes);
  localparam int unsigned DistW = $clog2((MaxCodeBits > HamBitsPerLane ? MaxCodeBits : HamBitsPerLane) + 1);
  localparam int unsigned KW    = bitgrid_pkg::HamtopkKW;          // k, and the phase counter
  localparam int unsigned SW    = bitgrid_pkg::HamtopkCodeWordsW;  // steps per group (S <= code_words)
  localparam int unsigned NW    = bitgrid_pkg::HamtopkNCodesW;     // codes, groups
  localparam int unsigned JW    = bitgrid_pkg::HamtopkNQW;         // n_q, and the state (row) index
  localparam logic [KW-1:0] DrainCycles = KW'(4);
  localparam logic [63:0]   EmptyEntry  = {64{1'b1}};

  // Port requests and data (the engine's own names).
  logic                     q_req, d_req, r_req, r_we;
  logic [AW-1:0]            q_addr, d_addr;
  logic [RW-1:0]            r_addr;
  logic [63:0]              r_wdata, r_rdata;
  logic [HamQueries*M*64-1:0] q_rdata;
  logic [HamLanes*M*64-1:0] d_rdata;
  logic                     idle;

  assign qbuf_req_o.req  = q_req;
  assign qbuf_req_o.we   = 1'b0;
  assign qbuf_req_o.addr = q_req ? q_addr : '0;  // '0 without a request: the top ORs a buffer's users
  assign dbuf_req_o.req  = d_req;
  assign dbuf_req_o.we   = 1'b0;
  assign dbuf_req_o.addr = d_req ? d_addr : '0;
  assign rbuf_req_o.req  = r_req;
  assign rbuf_req_o.we   = r_we;
  assign rbuf_req_o.addr = r_req ? AW'(r_addr) : '0;
  assign rbuf_wdata_o = r_wdata;
  assign q_rdata    = qbuf_rdata_i;
  assign d_rdata    = dbuf_rdata_i;
  assign r_rdata    = rbuf_rdata_i;

  typedef enum logic [2:0] {
    StIdle,    // waiting for an instruction
    StRead,    // reading the top-k state from rbuf
    StStream,  // streaming (group, step) pairs through the Hamming engine
    StDrain,   // pipeline drain
    StWrite    // writing the top-k state back to rbuf
  } state_e;

  // ---------------------------------------------------------------------------------------------
  // Instruction fields
  // ---------------------------------------------------------------------------------------------
  logic                            insn_init;
  logic [KW-1:0]                   insn_k;
  logic [SW-1:0]                   insn_code_words;
  logic [AW-1:0]                   insn_q_addr;
  logic [AW-1:0]                   insn_db_addr;
  logic [bitgrid_pkg::HamtopkBaseIndexW-1:0] insn_base_index;
  logic [RW-1:0]                   insn_r_addr;
  logic [NW-1:0]                   insn_n_codes;
  logic [JW-1:0]                   insn_n_q;
  logic [SW:0]                     insn_steps;   // S
  logic [NW:0]                     insn_groups;  // G
  logic                            insn_stream;  // G*S > 0
  logic                            insn_states;  // n_q*k > 0
  logic                            unused_insn;

  assign insn_init       = insn_i[bitgrid_pkg::HamtopkInitLsb];
  assign insn_k          = insn_i[bitgrid_pkg::HamtopkKLsb +: KW];
  assign insn_code_words = insn_i[bitgrid_pkg::HamtopkCodeWordsLsb +: SW];
  assign insn_q_addr     = AW'(insn_i[bitgrid_pkg::HamtopkQAddrLsb +: bitgrid_pkg::HamtopkQAddrW]);
  assign insn_db_addr    = insn_i[bitgrid_pkg::HamtopkDbAddrLsb +: bitgrid_pkg::HamtopkDbAddrW];
  assign insn_base_index = insn_i[bitgrid_pkg::HamtopkBaseIndexLsb +: bitgrid_pkg::HamtopkBaseIndexW];
  assign insn_r_addr     = insn_i[bitgrid_pkg::HamtopkRAddrLsb +: bitgrid_pkg::HamtopkRAddrW];
  assign insn_n_codes    = insn_i[bitgrid_pkg::HamtopkNCodesLsb +: NW];
  assign insn_n_q        = insn_i[bitgrid_pkg::HamtopkNQLsb +: JW];
  // The opcode and the token flags are the dispatcher's and the controller's.
  assign unused_insn     = ^insn_i[7:0];

  assign insn_steps  = ({1'b0, insn_code_words} + (SW+1)'(M - 1)) >> LogM;
  assign insn_groups = ({1'b0, insn_n_codes} + (NW+1)'(HamLanes - 1)) >> LogL;
  assign insn_stream = (insn_code_words != '0) && (insn_n_codes != '0);
  assign insn_states = (insn_k != '0) && (insn_n_q != '0);

  // ---------------------------------------------------------------------------------------------
  // Control state
  // ---------------------------------------------------------------------------------------------
  state_e          state_d, state_q;
  logic [KW-1:0]   cnt_d, cnt_q;          // Drain cycles left, minus one
  logic [KW-1:0]   e_d, e_q;              // Read/Write: entries left in the current state, minus one
  logic [JW-1:0]   j_d, j_q;              // Read/Write: the current state (row)
  logic [JW-1:0]   j_last_d, j_last_q;    // n_q-1
  logic [KW-1:0]   k_d, k_q;
  logic            stream_d, stream_q;    // G*S > 0
  logic            states_d, states_q;    // n_q*k > 0
  logic [HamQueries-1:0] row_on_d, row_on_q;  // row q < n_q
  logic [RW-1:0]   r_base_d, r_base_q;
  logic [RW-1:0]   r_ptr_d, r_ptr_q;
  logic [AW-1:0]   q_base_d, q_base_q;
  logic [AW-1:0]   q_ptr_d, q_ptr_q;
  logic [AW-1:0]   d_ptr_d, d_ptr_q;
  logic [SW-1:0]   s_d, s_q;              // step within the group
  logic [SW-1:0]   s_last_d, s_last_q;    // S-1
  logic [NW-1:0]   g_d, g_q;              // group
  logic [NW-1:0]   g_last_d, g_last_q;    // G-1
  logic            state_done;            // the last entry of the last state (Read/Write)
  logic            topk_clear, topk_shift;

  assign state_done = (e_q == '0) && (j_q == j_last_q);

  always_comb begin
    state_d  = state_q;
    cnt_d    = cnt_q;
    e_d      = e_q;
    j_d      = j_q;
    j_last_d = j_last_q;
    k_d      = k_q;
    stream_d = stream_q;
    states_d = states_q;
    row_on_d = row_on_q;
    r_base_d = r_base_q;
    r_ptr_d  = r_ptr_q;
    q_base_d = q_base_q;
    q_ptr_d  = q_ptr_q;
    d_ptr_d  = d_ptr_q;
    s_d      = s_q;
    s_last_d = s_last_q;
    g_d      = g_q;
    g_last_d = g_last_q;
    q_req    = 1'b0;
    d_req    = 1'b0;
    r_req    = 1'b0;
    r_we     = 1'b0;
    topk_clear = 1'b0;
    topk_shift = 1'b0;

    // Read and Write walk the states entry by entry, row by row (the rbuf address runs on linearly).
    if (state_q == StRead || state_q == StWrite) begin
      if (e_q == '0) begin
        e_d = k_q - 1'b1;
        j_d = j_q + 1'b1;
      end else begin
        e_d = e_q - 1'b1;
      end
    end

    unique case (state_q)
      StIdle: begin
        // Loaded in every idle cycle, so that start_i selects only the next state (iCE40 Fmax: start_i
        // comes late from the controller's issue decision); the lists are kept empty.
        topk_clear = 1'b1;
        k_d        = insn_k;
        stream_d   = insn_stream;
        states_d   = insn_states;
        for (int unsigned q = 0; q < HamQueries; q++) row_on_d[q] = JW'(q) < insn_n_q;
        e_d        = insn_k - 1'b1;
        j_d        = '0;
        j_last_d   = insn_n_q - 1'b1;
        r_base_d   = insn_r_addr;
        r_ptr_d    = insn_r_addr;
        q_base_d   = insn_q_addr;
        q_ptr_d    = insn_q_addr;
        d_ptr_d    = insn_db_addr;
        s_d        = '0;
        s_last_d   = SW'(insn_steps - 1'b1);
        g_d        = '0;
        g_last_d   = NW'(insn_groups - 1'b1);
        cnt_d      = DrainCycles - 1'b1;
        if (start_i) begin
          if (!insn_init && insn_states) begin
            state_d = StRead;
          end else if (insn_stream) begin
            state_d = StStream;
          end else begin
            state_d = StDrain;
          end
        end
      end

      StRead: begin
        r_req = 1'b1;
        r_ptr_d = r_ptr_q + 1'b1;
        if (state_done) begin
          state_d = stream_q ? StStream : StDrain;
        end
      end

      StStream: begin
        q_req = 1'b1;
        d_req = 1'b1;
        d_ptr_d = d_ptr_q + AW'(HamLanes * M);
        if (s_q == s_last_q) begin
          s_d     = '0;
          q_ptr_d = q_base_q;
          g_d     = g_q + 1'b1;
          if (g_q == g_last_q) begin
            state_d = StDrain;
          end
        end else begin
          s_d     = s_q + 1'b1;
          q_ptr_d = q_ptr_q + AW'(HamQueries * M);
        end
      end

      StDrain: begin
        if (cnt_q == '0) begin
          if (states_q) begin
            state_d = StWrite;
            e_d     = k_q - 1'b1;
            j_d     = '0;
            r_ptr_d = r_base_q;
          end else begin
            state_d = StIdle;
          end
        end else begin
          cnt_d = cnt_q - 1'b1;
        end
      end

      StWrite: begin
        r_req    = 1'b1;
        r_we     = 1'b1;
        topk_shift = 1'b1;
        r_ptr_d    = r_ptr_q + 1'b1;
        if (state_done) begin
          state_d = StIdle;
        end
      end

      default: begin
        state_d = StIdle;
      end
    endcase
  end

  assign idle   = (state_q == StIdle);
  // The cycle before StIdle (what `!idle && state_d == StIdle` says), from registers only: start_i and the
  // instruction fields, which only StIdle reads, stay off the path to the controller's token pushes.
  assign last_o = (state_q == StDrain && cnt_q == '0 && !states_q) || (state_q == StWrite && state_done) ||
                  (state_q > StWrite);  // encodings outside the enum return to StIdle
  assign q_addr   = q_ptr_q;
  assign d_addr   = d_ptr_q;
  assign r_addr   = r_ptr_q;

  // ---------------------------------------------------------------------------------------------
  // Datapath pipeline: request (cycle t) -> popcounts (t+1) -> accumulation (t+2) -> top-k merge (t+3 and
  // t+4, last step only); one Hamming unit and one top-k unit per row, the control shared.
  // ---------------------------------------------------------------------------------------------
  logic                          ham_valid_d, ham_valid_q;
  logic                          ham_first_d, ham_first_q;
  logic                          ham_last_d, ham_last_q;
  logic                          rd_pend_d, rd_pend_q;    // rbuf read data arrives this cycle ...
  logic [JW-1:0]                 rd_row_q;                // ... for this row's top-k unit
  logic [HamQueries-1:0]         dist_valid;              // a group's distances are in ham_dist (all rows alike)
  logic [HamQueries*HamLanes*DistW-1:0] ham_dist;         // row q, lane l at [(q*HamLanes+l)*DistW +: DistW]
  logic [31:0]                   out_idx_d, out_idx_q;    // database index of lane 0 of the next group
  logic [NW-1:0]                 out_rem_d, out_rem_q;    // codes not yet merged
  logic [HamLanes-1:0]           lane_on;                 // lanes holding one of the group's codes
  logic [HamQueries-1:0]         merge_d, merge_q;        // candidates registered for row q's top-k unit ...
  logic [HamQueries*HamLanes-1:0] cand_valid_d, cand_valid_q;
  logic [HamQueries*HamLanes*64-1:0] cand_key_d, cand_key_q;  // ... row q, lane l's key {dist, index}
  logic [HamQueries*64-1:0]      topk_head;               // row q's slot 0 at [q*64 +: 64]
  logic [HamQueries*TopkMax*64-1:0] topk_list;
  logic                          unused_topk;

  assign ham_valid_d = (state_q == StStream);
  assign ham_first_d = (s_q == '0);
  assign ham_last_d  = (s_q == s_last_q);
  assign rd_pend_d   = (state_q == StRead);

  for (genvar q = 0; q < HamQueries; q++) begin : g_row
    bg_hamming_unit #(
      .HamLanes      (HamLanes),
      .HamBitsPerLane(HamBitsPerLane),
      .MaxCodeBits   (MaxCodeBits)
    ) u_hamming_unit (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(ham_valid_q),
      .first_i(ham_first_q),
      .last_i (ham_last_q),
      .q_i    (q_rdata[q*M*64 +: M*64]),
      .d_i    (d_rdata),
      .valid_o(dist_valid[q]),
      .dist_o (ham_dist[q*HamLanes*DistW +: HamLanes*DistW])
    );

    bg_topk_unit #(
      .TopkMax (TopkMax),
      .HamLanes(HamLanes)
    ) u_topk_unit (
      .clk_i       (clk_i),
      .rst_ni      (rst_ni),
      .clear_i     (topk_clear),
      .shift_i     (topk_shift && j_q == JW'(q)),
      .merge_i     (merge_q[q]),
      .cand_valid_i(cand_valid_q[q*HamLanes +: HamLanes]),
      .cand_key_i  (cand_key_q[q*HamLanes*64 +: HamLanes*64]),
      .list_o      (topk_list[q*TopkMax*64 +: TopkMax*64]),
      .head_o      (topk_head[q*64 +: 64])
    );
  end

  always_comb begin
    out_idx_d = out_idx_q;
    out_rem_d = out_rem_q;
    if (idle) begin
      out_idx_d = insn_base_index;
      out_rem_d = insn_n_codes;
    end else if (dist_valid[0]) begin
      out_idx_d = out_idx_q + 32'(HamLanes);
      out_rem_d = (out_rem_q > NW'(HamLanes)) ? out_rem_q - NW'(HamLanes) : '0;
    end
  end

  // Candidates, registered before the top-k units: a group's distances in every row q < n_q (lanes past
  // n_codes masked), or one rbuf state entry on lane 0 of row rd_row_q.
  always_comb begin
    for (int unsigned l = 0; l < HamLanes; l++) lane_on[l] = 32'(out_rem_q) > l;
    for (int unsigned q = 0; q < HamQueries; q++) begin
      for (int unsigned l = 0; l < HamLanes; l++) begin
        cand_key_d[(q*HamLanes+l)*64 +: 64] = {32'(ham_dist[(q*HamLanes+l)*DistW +: DistW]), out_idx_q + 32'(l)};
      end
      if (rd_pend_q) begin
        cand_key_d[q*HamLanes*64 +: 64] = {r_rdata[31:0], r_rdata[63:32]};  // {dist, index} from {index, dist}
        cand_valid_d[q*HamLanes +: HamLanes] = HamLanes'(1);
        merge_d[q] = (rd_row_q == JW'(q));
      end else begin
        cand_valid_d[q*HamLanes +: HamLanes] = lane_on;
        merge_d[q] = dist_valid[q] && row_on_q[q];
      end
    end
  end

  always_ff @(posedge clk_i) begin
    cand_key_q <= cand_key_d;  // used only under merge_q
  end

  assign unused_topk = ^{topk_list, dist_valid};
  // row j_q's head; rows past HamQueries (n_q above it, rejected by the checker) write empty entries
  assign r_wdata = (32'(j_q) < HamQueries) ? {topk_head[32'(j_q)*64 +: 32], topk_head[32'(j_q)*64 + 32 +: 32]}
                                           : EmptyEntry;  // {index, dist}

  // ---------------------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      cnt_q       <= '0;
      e_q         <= '0;
      j_q         <= '0;
      j_last_q    <= '0;
      k_q         <= '0;
      stream_q    <= 1'b0;
      states_q    <= 1'b0;
      row_on_q    <= '0;
      r_base_q    <= '0;
      r_ptr_q     <= '0;
      q_base_q    <= '0;
      q_ptr_q     <= '0;
      d_ptr_q     <= '0;
      s_q         <= '0;
      s_last_q    <= '0;
      g_q         <= '0;
      g_last_q    <= '0;
      ham_valid_q <= 1'b0;
      ham_first_q <= 1'b0;
      ham_last_q  <= 1'b0;
      rd_pend_q   <= 1'b0;
      rd_row_q    <= '0;
      merge_q     <= '0;
      cand_valid_q <= '0;
      out_idx_q   <= '0;
      out_rem_q   <= '0;
    end else begin
      state_q     <= state_d;
      cnt_q       <= cnt_d;
      e_q         <= e_d;
      j_q         <= j_d;
      j_last_q    <= j_last_d;
      k_q         <= k_d;
      stream_q    <= stream_d;
      states_q    <= states_d;
      row_on_q    <= row_on_d;
      r_base_q    <= r_base_d;
      r_ptr_q     <= r_ptr_d;
      q_base_q    <= q_base_d;
      q_ptr_q     <= q_ptr_d;
      d_ptr_q     <= d_ptr_d;
      s_q         <= s_d;
      s_last_q    <= s_last_d;
      g_q         <= g_d;
      g_last_q    <= g_last_d;
      ham_valid_q <= ham_valid_d;
      ham_first_q <= ham_first_d;
      ham_last_q  <= ham_last_d;
      rd_pend_q   <= rd_pend_d;
      rd_row_q    <= j_q;
      merge_q     <= merge_d;
      cand_valid_q <= cand_valid_d;
      out_idx_q   <= out_idx_d;
      out_rem_q   <= out_rem_d;
    end
  end

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_start_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on) !(start_i && !idle))
    else $error("bg_hamtopk: started while running");
  a_ports_quiet_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                            idle -> !(q_req || d_req || r_req))
    else $error("bg_hamtopk: scratchpad request while idle");
  a_one_merge_source: assert property (@(posedge clk_i) disable iff (!asserts_on) !(rd_pend_q && dist_valid[0]))
    else $error("bg_hamtopk: an rbuf entry and a group's distances merged in the same cycle");
`endif

endmodule : bg_hamtopk
