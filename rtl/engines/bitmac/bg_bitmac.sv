// Bit-serial mixed-datatype MAC engine (ARCHITECTURE.md §3.2, R11): one gemm instruction at a time, behind
// the compute dispatcher (bg_compute_unit) with the engine port list of ARCHITECTURE.md §6.
//
// Notation of §3.2: R = MacRows, C = MacCols, Wp = 1 + 3*MacParallel, PW = R*C/32, for the instruction's
// datatype b = bits, T = MacParallel ? 1 : terms, nr = ceil(b/Wp); gp = group_pairs, P = gp*n_groups,
// M = m_rows; T' = max(T, ceil(4/gp)) (a group lasts at least the rescaler's 8 cycles; in the stretch
// cycles t%T' >= T the PEs see zero activations). Slot j < M*P is row m = j/P, pair p = j%P.
//
// Started in cycle c (start_i with insn_i), the schedule of R11, cycle for cycle:
//   c+1 .. c+4        sbuf reads of the channel-parameter rows 0..3 (bias lo, bias hi, mult, shift)
//   st(j) = c+11+2T'*j slot j: 2T' compute cycles; cycle t processes k-tile 2p + t/T', term t%T'
//   st(j)-nr-2+i      wbuf read i < nr of slot j: w_addr + (p*nr + i)*Wp*PW (Wp planes per read)
//   st(j)-2           abuf read of slot j's 2R activations: a_addr + m*K/8 + p*R/4 = a_addr + j*R/4;
//                     if p%gp = 0 also the sbuf scale row of group p/gp: s_addr + (4 + p/gp)*C/4
//   z                 the last cycle of a group: the rescalers take the partial sums (z+1 .. z+8)
//   z+9               a row's last group: requantization of the row's accumulators
//   z+8               acc_in: pbuf read of the row's partial sums (word m*C, C words), added at z+9
//   z+10 (.. z+13)    obuf write of the row (out32: chunk j in z+10+j), or with acc_out the pbuf write
//                     of its accumulators (word m*C), or with o_abuf the abuf write of its INT8 outputs
//                     (never in a cycle of an abuf read: those are st(j)-2, of the other parity); the
//                     last one is c+E, last_o
// E = 2T'*M*P + 20 + 3*out32 (acc_out: out32 = 0).
//
// Three sequencers produce this: the weight reader (from tick 9-nr on, one slot every 2T' cycles, nr
// reads at its first nr phases), the activation/scale reader (from tick 9 on, its phase 0 is st(j)-2),
// and the compute pipeline, which is the activation reader's phase and slot flags delayed by two
// cycles. Plane registers: a pair's planes are captured into `next` as their reads' data arrive
// (st(j)-nr-1+i), and `cur <= next` at the end of st(j)-1, the cycle before the slot starts; 2T' >= nr
// for every datatype, so a plane of the next pair never overwrites `next` before it was copied.
// Its scratchpad ports carry one request each (bitgrid_pkg::spm_req_t), '0 while the engine is idle;
// read data arrives the cycle after the request. Port widths are fixed by the generated top from
// configs/isa/engines/bitmac.yaml and checked here.
// (Yosys 0.23 does not parse package imports, so package items are referenced as bitgrid_pkg::X.)
module bg_bitmac #(
  parameter int unsigned MacRows       = bitgrid_pkg::DefaultMacRows,
  parameter int unsigned MacCols       = bitgrid_pkg::DefaultMacCols,
  parameter int unsigned MacParallel   = bitgrid_pkg::DefaultMacParallel,
  parameter int unsigned AbufPortWords = MacRows / 4,
  parameter int unsigned AbufWriteWords = MacCols / 8,
  parameter int unsigned WbufPortWords = MacRows * MacCols / 32 * (1 + 3 * MacParallel),
  parameter int unsigned SbufPortWords = MacCols / 4,
  parameter int unsigned ObufPortWords = MacCols / 8,
  parameter int unsigned PbufPortWords = MacCols
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             start_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             last_o,
  // abuf: read 2R activations (one pair of k-tiles), or write C INT8 outputs (o_abuf)
  output bitgrid_pkg::spm_req_t            abuf_req_o,
  output logic [AbufWriteWords*64-1:0]     abuf_wdata_o,
  input  logic [AbufPortWords*64-1:0]      abuf_rdata_i,
  // wbuf: read Wp pair-planes
  output bitgrid_pkg::spm_req_t            wbuf_req_o,
  input  logic [WbufPortWords*64-1:0]      wbuf_rdata_i,
  // sbuf: read one row of C 16-bit entries
  output bitgrid_pkg::spm_req_t            sbuf_req_o,
  input  logic [SbufPortWords*64-1:0]      sbuf_rdata_i,
  // obuf: write C INT8 outputs, or a quarter of C INT32 outputs
  output bitgrid_pkg::spm_req_t            obuf_req_o,
  output logic [ObufPortWords*64-1:0]      obuf_wdata_o,
  // pbuf: read or write the C 64-bit partial sums of one row
  output bitgrid_pkg::spm_req_t            pbuf_req_o,
  output logic [PbufPortWords*64-1:0]      pbuf_wdata_o,
  input  logic [PbufPortWords*64-1:0]      pbuf_rdata_i
);

  if (MacRows < 8 || MacRows > 64 || (MacRows & (MacRows - 1)) != 0) begin : g_bad_rows
    $fatal(1, "bg_bitmac: MacRows must be a power of two in 8 .. 64");
  end
  if (MacCols < 8 || MacCols > 64 || (MacCols & (MacCols - 1)) != 0) begin : g_bad_cols
    $fatal(1, "bg_bitmac: MacCols must be a power of two in 8 .. 64");
  end
  if (MacParallel > 1) begin : g_bad_parallel
    $fatal(1, "bg_bitmac: MacParallel must be 0 or 1");
  end
  if (AbufPortWords != MacRows / 4 || AbufWriteWords != MacCols / 8 ||
      WbufPortWords != MacRows * MacCols / 32 * (1 + 3 * MacParallel) || SbufPortWords != MacCols / 4 ||
      ObufPortWords != MacCols / 8 || PbufPortWords != MacCols) begin : g_bad_ports
    $fatal(1, "bg_bitmac: buffer port widths differ from configs/isa/engines/bitmac.yaml");
  end

  localparam int unsigned R      = MacRows;
  localparam int unsigned C      = MacCols;
  localparam int unsigned AW     = bitgrid_pkg::SpmAddrW;
  localparam int unsigned Wp     = 1 + 3 * MacParallel;  // pair-planes per weight read
  localparam int unsigned PB     = 2 * R * C;            // bits of one pair-plane (PW words)
  localparam int unsigned NPl    = 8;                    // plane registers: nr*Wp <= 8 for every datatype
  localparam int unsigned MW     = bitgrid_pkg::GemmMRowsW;
  localparam int unsigned GPW    = bitgrid_pkg::GemmGroupPairsW;
  localparam int unsigned NGW    = bitgrid_pkg::GemmNGroupsW;
  localparam int unsigned RqDly  = 9;                    // row end z -> requantization z+9
  localparam logic [AW-1:0] AStep = AW'(R / 4);          // abuf words of one pair
  localparam logic [AW-1:0] WStep = AW'(Wp * R * C / 32);  // wbuf words of one read
  localparam logic [AW-1:0] SStep = AW'(C / 4);          // sbuf words of one row
  localparam logic [AW-1:0] OStep = AW'(C / 8);          // obuf words of one write
  localparam logic [AW-1:0] PStep = AW'(C);              // pbuf words of one row

  // sbuf read tags (what the data of the previous cycle's read is)
  localparam logic [2:0] STagNone  = 3'd0;
  localparam logic [2:0] STagBiasL = 3'd1;
  localparam logic [2:0] STagBiasH = 3'd2;
  localparam logic [2:0] STagMult  = 3'd3;
  localparam logic [2:0] STagShift = 3'd4;
  localparam logic [2:0] STagScale = 3'd5;

  // Port requests (the engine's own names).
  logic          a_req, w_req, s_req, o_req, p_req, p_we, ab_wr;
  logic [AW-1:0] a_addr, w_addr, s_addr, o_addr, p_addr;
  logic [C*8-1:0] o_wdata;
  logic [C*64-1:0] p_wdata;

  assign abuf_req_o.req  = a_req || ab_wr;
  assign abuf_req_o.we   = ab_wr;
  assign abuf_req_o.addr = a_req ? a_addr : (ab_wr ? o_addr : '0);
  assign abuf_wdata_o    = ab_wr ? o_wdata : '0;
  assign wbuf_req_o.req  = w_req;
  assign wbuf_req_o.we   = 1'b0;
  assign wbuf_req_o.addr = w_req ? w_addr : '0;
  assign sbuf_req_o.req  = s_req;
  assign sbuf_req_o.we   = 1'b0;
  assign sbuf_req_o.addr = s_req ? s_addr : '0;
  assign obuf_req_o.req  = o_req;
  assign obuf_req_o.we   = o_req;
  assign obuf_req_o.addr = o_req ? o_addr : '0;
  assign obuf_wdata_o    = o_req ? o_wdata : '0;
  assign pbuf_req_o.req  = p_req;
  assign pbuf_req_o.we   = p_req && p_we;
  assign pbuf_req_o.addr = p_req ? p_addr : '0;
  assign pbuf_wdata_o    = (p_req && p_we) ? p_wdata : '0;

  // ---------------------------------------------------------------------------------------------
  // Instruction fields
  // ---------------------------------------------------------------------------------------------
  logic [2:0]     insn_dtype;
  logic           insn_relu, insn_out32, insn_acc_in, insn_acc_out, insn_o_abuf;
  logic [MW-1:0]  insn_m_rows;
  logic [GPW-1:0] insn_group_pairs;
  logic [NGW-1:0] insn_n_groups;
  logic [AW-1:0]  insn_a_addr, insn_w_addr, insn_s_addr, insn_o_addr, insn_o_stride;
  logic [2:0]     insn_terms;   // T
  logic [2:0]     insn_tslot;   // T' = max(T, ceil(4/gp))
  logic [2:0]     insn_tmin;    // ceil(4/gp)
  logic [3:0]     insn_nr;      // weight reads per pair
  logic [3:0]     insn_bits;
  logic           unused_insn;

  assign insn_dtype       = insn_i[bitgrid_pkg::GemmDtypeLsb +: bitgrid_pkg::GemmDtypeW];
  assign insn_relu        = insn_i[bitgrid_pkg::GemmReluLsb];
  assign insn_out32       = insn_i[bitgrid_pkg::GemmOut32Lsb];
  assign insn_acc_in      = insn_i[bitgrid_pkg::GemmAccInLsb];
  assign insn_acc_out     = insn_i[bitgrid_pkg::GemmAccOutLsb];
  assign insn_o_abuf      = insn_i[bitgrid_pkg::GemmOAbufLsb];
  assign insn_m_rows      = insn_i[bitgrid_pkg::GemmMRowsLsb +: MW];
  assign insn_group_pairs = insn_i[bitgrid_pkg::GemmGroupPairsLsb +: GPW];
  assign insn_n_groups    = insn_i[bitgrid_pkg::GemmNGroupsLsb +: NGW];
  assign insn_a_addr      = AW'(insn_i[bitgrid_pkg::GemmAAddrLsb +: bitgrid_pkg::GemmAAddrW]);
  assign insn_w_addr      = AW'(insn_i[bitgrid_pkg::GemmWAddrLsb +: bitgrid_pkg::GemmWAddrW]);
  assign insn_s_addr      = AW'(insn_i[bitgrid_pkg::GemmSAddrLsb +: bitgrid_pkg::GemmSAddrW]);
  assign insn_o_addr      = AW'(insn_i[bitgrid_pkg::GemmOAddrLsb +: bitgrid_pkg::GemmOAddrW]);
  assign insn_o_stride    = AW'(insn_i[bitgrid_pkg::GemmOStrideLsb +: bitgrid_pkg::GemmOStrideW]);
  // The opcode and the token flags are the dispatcher's and the controller's; bits 63:60 are not part
  // of any gemm field.
  assign unused_insn      = ^{insn_i[7:0], insn_i[63:60]};

  assign insn_bits  = bitgrid_pkg::dtype_bits(insn_dtype);
  assign insn_terms = (MacParallel != 0) ? 3'd1 : bitgrid_pkg::dtype_terms(insn_dtype);
  assign insn_nr    = (MacParallel != 0) ? ((insn_bits + 4'd3) >> 2) : insn_bits;
  assign insn_tmin  = (insn_group_pairs == GPW'(1)) ? 3'd4 : ((insn_group_pairs <= GPW'(3)) ? 3'd2 : 3'd1);
  assign insn_tslot = (insn_terms > insn_tmin) ? insn_terms : insn_tmin;

  // ---------------------------------------------------------------------------------------------
  // Instruction state
  // ---------------------------------------------------------------------------------------------
  logic           issue;
  logic           busy_d, busy_q;
  logic [3:0]     tk_d, tk_q;             // cycles since issue, saturating at 15
  logic [2:0]     dtype_q;
  logic           relu_q, out32_q, acc_in_q, acc_out_q, o_abuf_q;
  logic [1:0]     tlast_q;                // T'-1
  logic [2:0]     phlast_q;               // 2T'-1
  logic [2:0]     terms_q;                // T: terms t%T' >= T are stretch cycles
  logic [3:0]     nr_q;
  logic [GPW-1:0] gp_last_q;              // gp-1
  logic [NGW-1:0] ng_last_q;              // n_groups-1
  logic [MW-1:0]  m_last_q;               // M-1
  logic [AW-1:0]  w_base_q, s_base_q, o_stride_q;

  assign issue = start_i && !busy_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      dtype_q    <= '0;
      relu_q     <= 1'b0;
      out32_q    <= 1'b0;
      acc_in_q   <= 1'b0;
      acc_out_q  <= 1'b0;
      o_abuf_q   <= 1'b0;
      tlast_q    <= '0;
      phlast_q   <= '0;
      terms_q    <= '0;
      nr_q       <= '0;
      gp_last_q  <= '0;
      ng_last_q  <= '0;
      m_last_q   <= '0;
      w_base_q   <= '0;
      s_base_q   <= '0;
      o_stride_q <= '0;
    end else if (issue) begin
      dtype_q    <= insn_dtype;
      relu_q     <= insn_relu;
      out32_q    <= insn_out32;
      acc_in_q   <= insn_acc_in;
      acc_out_q  <= insn_acc_out;
      o_abuf_q   <= insn_o_abuf;
      tlast_q    <= 2'(insn_tslot - 3'd1);
      phlast_q   <= 3'({insn_tslot, 1'b0} - 4'd1);
      terms_q    <= insn_terms;
      nr_q       <= insn_nr;
      gp_last_q  <= insn_group_pairs - 1'b1;
      ng_last_q  <= insn_n_groups - 1'b1;
      m_last_q   <= insn_m_rows - 1'b1;
      w_base_q   <= insn_w_addr;
      s_base_q   <= insn_s_addr;
      o_stride_q <= insn_o_stride;
    end
  end

  assign tk_d = issue ? 4'd1 : ((busy_q && tk_q != 4'd15) ? tk_q + 4'd1 : tk_q);

  // ---------------------------------------------------------------------------------------------
  // Weight reader: slot j's nr reads in cycles st(j)-nr-2 .. st(j)-3 (tick 9-nr+2T'*j+i)
  // ---------------------------------------------------------------------------------------------
  logic           w_start, w_en;
  logic           w_run_d, w_run_q;
  logic [2:0]     wph_d, wph_q;           // phase in the slot
  logic [GPW-1:0] wgp_d, wgp_q;           // pair in the group
  logic [NGW-1:0] wg_d, wg_q;             // group
  logic [MW-1:0]  wm_d, wm_q;             // row
  logic [AW-1:0]  w_ptr_d, w_ptr_q;
  logic           w_pend_d, w_pend_q;     // wbuf data arrives (read of the previous cycle)
  logic [2:0]     w_idx_d, w_idx_q;       // its read index i

  assign w_start = busy_q && !w_run_q && (tk_q == 4'd9 - nr_q);
  assign w_en    = w_run_q || w_start;

  always_comb begin
    w_run_d  = w_run_q;
    wph_d    = wph_q;
    wgp_d    = wgp_q;
    wg_d     = wg_q;
    wm_d     = wm_q;
    w_ptr_d  = w_ptr_q;
    w_req    = 1'b0;
    w_pend_d = 1'b0;
    w_idx_d  = w_idx_q;
    if (issue) begin
      w_run_d = 1'b0;
      wph_d   = '0;
      wgp_d   = '0;
      wg_d    = '0;
      wm_d    = '0;
      w_ptr_d = insn_w_addr;
    end else if (w_en) begin
      w_run_d = 1'b1;
      if ({1'b0, wph_q} < nr_q) begin
        w_req    = 1'b1;
        w_pend_d = 1'b1;
        w_idx_d  = wph_q;
        w_ptr_d  = w_ptr_q + WStep;
      end
      if (wph_q == phlast_q) begin
        wph_d = '0;
        if (wgp_q == gp_last_q) begin
          wgp_d = '0;
          if (wg_q == ng_last_q) begin
            wg_d    = '0;
            w_ptr_d = w_base_q;  // the next row reads the tile's weights again
            if (wm_q == m_last_q) begin
              w_run_d = 1'b0;
            end else begin
              wm_d = wm_q + 1'b1;
            end
          end else begin
            wg_d = wg_q + 1'b1;
          end
        end else begin
          wgp_d = wgp_q + 1'b1;
        end
      end else begin
        wph_d = wph_q + 3'd1;
      end
    end
  end

  assign w_addr = w_ptr_q;

  // ---------------------------------------------------------------------------------------------
  // Activation and scale reader: phase 0 of slot j is cycle st(j)-2 (tick 9+2T'*j)
  // ---------------------------------------------------------------------------------------------
  logic           a_start, a_en;
  logic           a_run_d, a_run_q;
  logic [2:0]     aph_d, aph_q;           // phase in the slot (t of the compute cycle 2 later)
  logic [1:0]     aterm_d, aterm_q;       // term index t%T
  logic           ahalf_d, ahalf_q;       // k-tile of the pair t/T
  logic [GPW-1:0] agp_d, agp_q;
  logic [NGW-1:0] ag_d, ag_q;
  logic [MW-1:0]  am_d, am_q;
  logic [AW-1:0]  a_ptr_d, a_ptr_q;
  logic [AW-1:0]  sc_ptr_d, sc_ptr_q;     // sbuf address of the next scale row
  logic           a_pend_d, a_pend_q;     // abuf data arrives
  logic [2:0]     s_tag_d, s_tag_q;       // sbuf data arrives: which row
  logic           a_grp_last, a_row_last;
  logic           sc_req;

  assign a_start    = busy_q && !a_run_q && (tk_q == 4'd9);
  assign a_en       = a_run_q || a_start;
  assign a_grp_last = (agp_q == gp_last_q);
  assign a_row_last = a_grp_last && (ag_q == ng_last_q);

  always_comb begin
    a_run_d  = a_run_q;
    aph_d    = aph_q;
    aterm_d  = aterm_q;
    ahalf_d  = ahalf_q;
    agp_d    = agp_q;
    ag_d     = ag_q;
    am_d     = am_q;
    a_ptr_d  = a_ptr_q;
    sc_ptr_d = sc_ptr_q;
    a_req    = 1'b0;
    sc_req   = 1'b0;
    if (issue) begin
      a_run_d  = 1'b0;
      aph_d    = '0;
      aterm_d  = '0;
      ahalf_d  = 1'b0;
      agp_d    = '0;
      ag_d     = '0;
      am_d     = '0;
      a_ptr_d  = insn_a_addr;
      sc_ptr_d = insn_s_addr + 4 * SStep;
    end else if (a_en) begin
      a_run_d = 1'b1;
      if (aph_q == '0) begin
        a_req   = 1'b1;
        a_ptr_d = a_ptr_q + AStep;
        if (agp_q == '0) begin
          sc_req   = 1'b1;
          sc_ptr_d = sc_ptr_q + SStep;
        end
      end
      if (aterm_q == tlast_q) begin
        aterm_d = '0;
        ahalf_d = !ahalf_q;
      end else begin
        aterm_d = aterm_q + 2'd1;
      end
      if (aph_q == phlast_q) begin
        aph_d = '0;
        if (a_grp_last) begin
          agp_d = '0;
          if (a_row_last) begin
            ag_d     = '0;
            sc_ptr_d = s_base_q + 4 * SStep;
            if (am_q == m_last_q) begin
              a_run_d = 1'b0;
            end else begin
              am_d = am_q + 1'b1;
            end
          end else begin
            ag_d = ag_q + 1'b1;
          end
        end else begin
          agp_d = agp_q + 1'b1;
        end
      end else begin
        aph_d = aph_q + 3'd1;
      end
    end
  end

  assign a_addr = a_ptr_q;

  // sbuf: the four channel-parameter rows in ticks 1..4, then the scale rows.
  logic [3:0] prm_row;  // channel-parameter row read in ticks 1..4
  assign prm_row = tk_q - 4'd1;

  always_comb begin
    s_req   = 1'b0;
    s_addr  = '0;
    s_tag_d = STagNone;
    if (busy_q && tk_q >= 4'd1 && tk_q <= 4'd4) begin
      s_req   = 1'b1;
      s_addr  = s_base_q + AW'(prm_row) * SStep;
      s_tag_d = 3'(tk_q);  // STagBiasL .. STagShift
    end else if (sc_req) begin
      s_req   = 1'b1;
      s_addr  = sc_ptr_q;
      s_tag_d = STagScale;
    end
  end

  assign a_pend_d = a_req;

  // ---------------------------------------------------------------------------------------------
  // Slot flags, delayed by one cycle (stage 1: the data of phase 0's reads arrive) and by two
  // (stage 2: the compute cycle)
  // ---------------------------------------------------------------------------------------------
  typedef struct packed {
    logic       valid;
    logic       first;      // t = 0
    logic       last;       // t = 2T-1
    logic       half;       // t / T'
    logic [1:0] term;       // t % T'
    logic       stretch;    // t % T' >= T: no term (zero activations)
    logic       grp_first;  // the slot is its group's first
    logic       grp_last;   // ... its group's last
    logic       row_first;  // the group is its row's first
    logic       row_last;   // the slot is its row's last
    logic       fin;        // the slot is the instruction's last
  } slot_t;

  slot_t s0, s1_q, s2_q;

  always_comb begin
    s0           = '0;
    s0.valid     = a_en;
    s0.first     = (aph_q == '0);
    s0.last      = (aph_q == phlast_q);
    s0.half      = ahalf_q;
    s0.term      = aterm_q;
    s0.stretch   = ({1'b0, aterm_q} >= terms_q);
    s0.grp_first = (agp_q == '0);
    s0.grp_last  = a_grp_last;
    s0.row_first = (ag_q == '0);
    s0.row_last  = a_row_last;
    s0.fin       = a_row_last && (am_q == m_last_q);
    if (!s0.valid) begin
      s0 = '0;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Operand registers
  // ---------------------------------------------------------------------------------------------
  logic [NPl*PB-1:0] next_d, next_q, cur_d, cur_q;  // plane i at [i*PB +: PB]
  logic [2*R*8-1:0]  act_d, act_q;                  // the pair's 2R activations
  logic [C*8-1:0]    scale_d, scale_q;              // per column
  logic [C*2-1:0]    sel_d, sel_q;
  logic [C*32-1:0]   bias_d, bias_q;
  logic [C*16-1:0]   mult_d, mult_q;
  logic [C*6-1:0]    shift_d, shift_q;

  always_comb begin
    next_d = next_q;
    for (int unsigned i = 0; i < NPl; i++) begin
      if (w_pend_q && (32'(w_idx_q) == i / Wp)) begin
        next_d[i*PB +: PB] = wbuf_rdata_i[(i % Wp)*PB +: PB];
      end
    end
  end

  assign cur_d = (s1_q.valid && s1_q.first) ? next_q : cur_q;
  assign act_d = a_pend_q ? abuf_rdata_i : act_q;

  always_comb begin
    scale_d = scale_q;
    sel_d   = sel_q;
    bias_d  = bias_q;
    mult_d  = mult_q;
    shift_d = shift_q;
    for (int unsigned c = 0; c < C; c++) begin
      unique case (s_tag_q)
        STagBiasL: bias_d[32*c +: 16]      = sbuf_rdata_i[16*c +: 16];
        STagBiasH: bias_d[32*c + 16 +: 16] = sbuf_rdata_i[16*c +: 16];
        STagMult:  mult_d[16*c +: 16]      = sbuf_rdata_i[16*c +: 16];
        STagShift: shift_d[6*c +: 6]       = sbuf_rdata_i[16*c +: 6];
        STagScale: begin
          scale_d[8*c +: 8] = sbuf_rdata_i[16*c +: 8];
          sel_d[2*c +: 2]   = sbuf_rdata_i[16*c + 8 +: 2];
        end
        default: ;
      endcase
    end
  end

  // ---------------------------------------------------------------------------------------------
  // The array: C columns of R PEs, each with its rescaler and requantizer
  // ---------------------------------------------------------------------------------------------
  logic           grp_end, row_end;
  logic [R*8-1:0] act_half;
  logic [C*32-1:0] res;                   // requantized outputs of the row, column c at [32c +: 32]
  logic [C*48-1:0] acc_tot;               // accumulators plus the partial sums read from pbuf (acc_in)
  logic [C-1:0]   resc_busy;

  assign grp_end  = s2_q.valid && s2_q.last && s2_q.grp_last;
  assign row_end  = s2_q.valid && s2_q.last && s2_q.row_last;
  assign act_half = s2_q.stretch ? '0 : (s2_q.half ? act_q[R*8 +: R*8] : act_q[0 +: R*8]);

  for (genvar c = 0; c < C; c++) begin : g_col
    logic [R*8-1:0] code;                 // PE r's weight code at [8r +: 8]
    logic [31:0]    psum;
    logic [47:0]    acc;

    for (genvar r = 0; r < R; r++) begin : g_code
      for (genvar i = 0; i < NPl; i++) begin : g_bit
        assign code[8*r + i] = s2_q.half ? cur_q[i*PB + (R + r)*C + c] : cur_q[i*PB + r*C + c];
      end
    end

    bg_bitmac_pe_col #(
      .MacRows    (R),
      .MacParallel(MacParallel)
    ) u_pe_col (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(s2_q.valid),
      .first_i(s2_q.first && s2_q.grp_first),
      .dtype_i(dtype_q),
      .sel_i  (sel_q[2*c +: 2]),
      .term_i (s2_q.term),
      .act_i  (act_half),
      .code_i (code),
      .psum_o (psum)
    );

    bg_bitmac_rescale u_rescale (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .load_i (grp_end),
      .clear_i(s2_q.row_first),
      .psum_i (psum),
      .scale_i(scale_q[8*c +: 8]),
      .busy_o (resc_busy[c]),
      .acc_o  (acc)
    );

    // acc_in: the pbuf read of cycle z+8 delivers the row's partial sums in z+9, the requantization cycle
    // (48-bit, wrapping; pbuf holds them sign-extended to 64 bits).
    assign acc_tot[48*c +: 48] = acc_in_q ? acc + pbuf_rdata_i[64*c +: 48] : acc;

    bg_bitmac_requant u_requant (
      .acc_i  (acc_tot[48*c +: 48]),
      .bias_i (bias_q[32*c +: 32]),
      .mult_i (mult_q[16*c +: 16]),
      .shift_i(shift_q[6*c +: 6]),
      .out32_i(out32_q),
      .relu_i (relu_q),
      .res_o  (res[32*c +: 32])
    );
  end

  logic unused_resc_busy, unused_pbuf_rdata;
  assign unused_resc_busy = ^resc_busy;
  always_comb begin
    unused_pbuf_rdata = 1'b0;
    for (int unsigned c = 0; c < C; c++) begin
      unused_pbuf_rdata ^= ^pbuf_rdata_i[64*c + 48 +: 16];  // the sign extension of the stored sums
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Requantization (z+9) and obuf writes (z+10 .. z+10+3*out32)
  // ---------------------------------------------------------------------------------------------
  logic [RqDly-1:0] rq_d, rq_q;           // row ends, delayed
  logic [RqDly-1:0] rq_fin_d, rq_fin_q;   // ... and whether the row is the instruction's last
  logic             rq_strobe;
  logic [C*32-1:0]  out_d, out_q;
  logic [C*48-1:0]  psum_d, psum_q;     // acc_out: the row's accumulators, written to pbuf in z+10
  logic             pr_strobe;          // acc_in: pbuf read in z+8
  logic [AW-1:0]    pr_ptr_d, pr_ptr_q, pw_ptr_d, pw_ptr_q;  // pbuf rows of the next read / write
  logic             wr_act_d, wr_act_q;
  logic [1:0]       wr_chunk_d, wr_chunk_q;
  logic             wr_fin_d, wr_fin_q;
  logic             wr_chunk_last;
  logic [AW-1:0]    o_ptr_d, o_ptr_q;     // obuf address of the current row

  assign rq_d      = {rq_q[RqDly-2:0], row_end};
  assign rq_fin_d  = {rq_fin_q[RqDly-2:0], row_end && s2_q.fin};
  assign rq_strobe = rq_q[RqDly-1];
  assign out_d     = rq_strobe ? res : out_q;
  assign psum_d    = (rq_strobe && acc_out_q) ? acc_tot : psum_q;
  assign pr_strobe = rq_q[RqDly-2] && acc_in_q;

  assign wr_chunk_last = !out32_q || (wr_chunk_q == 2'd3);

  always_comb begin
    wr_act_d   = wr_act_q;
    wr_chunk_d = wr_chunk_q;
    wr_fin_d   = wr_fin_q;
    o_ptr_d    = o_ptr_q;
    pr_ptr_d   = pr_strobe ? pr_ptr_q + PStep : pr_ptr_q;
    pw_ptr_d   = pw_ptr_q;
    if (issue) begin
      o_ptr_d  = insn_o_addr;
      pr_ptr_d = '0;
      pw_ptr_d = '0;
    end
    if (rq_strobe) begin
      wr_act_d   = 1'b1;
      wr_chunk_d = '0;
      wr_fin_d   = rq_fin_q[RqDly-1];
    end else if (wr_act_q) begin
      if (wr_chunk_last) begin
        wr_act_d = 1'b0;
        o_ptr_d  = o_ptr_q + o_stride_q;
        pw_ptr_d = pw_ptr_q + PStep;
      end else begin
        wr_chunk_d = wr_chunk_q + 2'd1;
      end
    end
  end

  always_comb begin
    o_wdata = '0;
    if (out32_q) begin
      o_wdata = out_q[wr_chunk_q*C*8 +: C*8];
    end else begin
      for (int unsigned c = 0; c < C; c++) begin
        o_wdata[8*c +: 8] = out_q[32*c +: 8];
      end
    end
  end

  always_comb begin
    p_wdata = '0;
    for (int unsigned c = 0; c < C; c++) begin
      p_wdata[64*c +: 64] = {{16{psum_q[48*c + 47]}}, psum_q[48*c +: 48]};
    end
  end

  assign o_req  = wr_act_q && !acc_out_q && !o_abuf_q;
  assign ab_wr  = wr_act_q && o_abuf_q;
  assign p_req  = pr_strobe || (wr_act_q && acc_out_q);
  assign p_we   = !pr_strobe;
  assign p_addr = pr_strobe ? pr_ptr_q : pw_ptr_q;
  assign o_addr = o_ptr_q + AW'(wr_chunk_q) * OStep;
  assign last_o = wr_act_q && wr_chunk_last && wr_fin_q;
  assign busy_d = issue ? 1'b1 : (last_o ? 1'b0 : busy_q);

  // ---------------------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q     <= 1'b0;
      tk_q       <= '0;
      w_run_q    <= 1'b0;
      wph_q      <= '0;
      wgp_q      <= '0;
      wg_q       <= '0;
      wm_q       <= '0;
      w_ptr_q    <= '0;
      w_pend_q   <= 1'b0;
      w_idx_q    <= '0;
      a_run_q    <= 1'b0;
      aph_q      <= '0;
      aterm_q    <= '0;
      ahalf_q    <= 1'b0;
      agp_q      <= '0;
      ag_q       <= '0;
      am_q       <= '0;
      a_ptr_q    <= '0;
      sc_ptr_q   <= '0;
      a_pend_q   <= 1'b0;
      s_tag_q    <= STagNone;
      s1_q       <= '0;
      s2_q       <= '0;
      act_q      <= '0;
      scale_q    <= '0;
      sel_q      <= '0;
      bias_q     <= '0;
      mult_q     <= '0;
      shift_q    <= '0;
      rq_q       <= '0;
      rq_fin_q   <= '0;
      out_q      <= '0;
      wr_act_q   <= 1'b0;
      wr_chunk_q <= '0;
      wr_fin_q   <= 1'b0;
      o_ptr_q    <= '0;
      psum_q     <= '0;
      pr_ptr_q   <= '0;
      pw_ptr_q   <= '0;
    end else begin
      busy_q     <= busy_d;
      tk_q       <= tk_d;
      w_run_q    <= w_run_d;
      wph_q      <= wph_d;
      wgp_q      <= wgp_d;
      wg_q       <= wg_d;
      wm_q       <= wm_d;
      w_ptr_q    <= w_ptr_d;
      w_pend_q   <= w_pend_d;
      w_idx_q    <= w_idx_d;
      a_run_q    <= a_run_d;
      aph_q      <= aph_d;
      aterm_q    <= aterm_d;
      ahalf_q    <= ahalf_d;
      agp_q      <= agp_d;
      ag_q       <= ag_d;
      am_q       <= am_d;
      a_ptr_q    <= a_ptr_d;
      sc_ptr_q   <= sc_ptr_d;
      a_pend_q   <= a_pend_d;
      s_tag_q    <= s_tag_d;
      s1_q       <= s0;
      s2_q       <= s1_q;
      act_q      <= act_d;
      scale_q    <= scale_d;
      sel_q      <= sel_d;
      bias_q     <= bias_d;
      mult_q     <= mult_d;
      shift_q    <= shift_d;
      rq_q       <= rq_d;
      rq_fin_q   <= rq_fin_d;
      out_q      <= out_d;
      wr_act_q   <= wr_act_d;
      wr_chunk_q <= wr_chunk_d;
      wr_fin_q   <= wr_fin_d;
      o_ptr_q    <= o_ptr_d;
      psum_q     <= psum_d;
      pr_ptr_q   <= pr_ptr_d;
      pw_ptr_q   <= pw_ptr_d;
    end
  end

  // The plane registers (up to 2 x 8 x 2R*C bits) have no reset: a plane is read only after its wbuf
  // read wrote it (the term decode ignores the planes past the datatype's bits).
  always_ff @(posedge clk_i) begin
    next_q <= next_d;
    cur_q  <= cur_d;
  end

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_start_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on) !(start_i && busy_q))
    else $error("bg_bitmac: started while running");
  a_ports_quiet_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                            !busy_q -> !(a_req || w_req || s_req || o_req || p_req))
    else $error("bg_bitmac: scratchpad request while idle");
  a_legal_shape: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                  issue -> (insn_m_rows != '0 && insn_group_pairs != '0 && insn_n_groups != '0))
    else $error("bg_bitmac: gemm with an empty shape");
  a_pbuf_read_or_write: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                         !(pr_strobe && wr_act_q && acc_out_q))
    else $error("bg_bitmac: pbuf read and write in one cycle");
  a_acc_out_int8: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                   issue && insn_acc_out -> !insn_out32 && !insn_relu)
    else $error("bg_bitmac: acc_out with out32 or relu");
  a_o_abuf_int8: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                  issue && insn_o_abuf -> !insn_out32 && !insn_acc_out)
    else $error("bg_bitmac: o_abuf with out32 or acc_out");
  a_abuf_read_or_write: assert property (@(posedge clk_i) disable iff (!asserts_on) !(a_req && ab_wr))
    else $error("bg_bitmac: abuf read and write in one cycle");
`endif

endmodule : bg_bitmac
