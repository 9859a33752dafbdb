// Table accumulator (ARCHITECTURE.md §3.9, R19): one tacc instruction at a time, behind the compute dispatcher
// (bg_compute_unit) with the engine port list of ARCHITECTURE.md §6. MemoryFormer's hashed linear layer.
//
// tacc maps n_rows INT8 input rows of abuf (row m at a_addr + m*a_stride: K*tau values, K = n_chunks, value i =
// byte i%8 of word i/8) to n_rows output rows of G*C INT8 values in obuf (G = out_segs, C = MacCols). Chunk k of a
// row (values k*tau .. k*tau+tau-1) gives the index idx_k = sum_i [x[k*tau+i] >= 0] << (tau-1-i) (its first value
// the most significant bit); table k's row idx_k (G*C INT8 values, at wbuf t_addr + ((k << tau) + idx_k)*G*C/8) is
// added into the row's accumulators: acc[o] = sum_k T_k[idx_k][o] (|acc| <= 64*128: 16-bit accumulators). Output
// y[o] = requant(acc[o]) (bg_bitmac_requant, one per lane: bias, multiplier, shift of channel o, ReLU if relu) is
// written to obuf o_addr + m*o_stride + g*C/8 for segment g = o/C. Segment g's channel parameters are the four
// sbuf rows of C/4 words at s_addr + g*C + j*C/4 (j = 0: bias low 16 bits, 1: bias high, 2: multiplier, 3: shift
// in the low 6 bits); channel i of the segment is 16-bit lane i of a row (word i/4, bits 16*(i%4)).
//
// Started in cycle c (start_i with insn_i), the instruction's last cycle c+E is flagged by last_o:
//   E = n_rows*(Ra + 1 + G*S) + 2, R = MacRows, A = R/4, Ra = ceil(K*tau / 2R), S = max(K, 4) + 3
//   Row m occupies the Ra + 1 + G*S cycles from s_m = c + 1 + m*(Ra + 1 + G*S):
//     s_m + i, i < Ra:  abuf read of 2R values at a_addr + m*a_stride + i*A (the signs of the data, the cycle
//                       after, fill the row's sign register);
//     s_m + Ra:         the last read's data lands; the K indices are registered at the end of the cycle.
//     Segment g from u = s_m + Ra + 1 + g*S:
//       u + j, j < K:   wbuf read of chunk j's row segment, word t_addr + ((j << tau) + idx_j)*G*C/8 + g*C/8, as
//                       the port-aligned read (the address aligned down to a multiple of WbufPortWords) whose C/8
//                       words at the offset are taken the cycle after (added into the accumulators; the first
//                       one replaces them);
//       u + j, j < 4:   sbuf read of the segment's parameter row j at s_addr + g*C + j*C/4 (registered the cycle
//                       after);
//       u + max(K,4):   the last read's data lands;
//       u + max(K,4)+1: the C requantizers' results registered;
//       u + max(K,4)+2: obuf write of the C INT8 outputs at o_addr + m*o_stride + g*C/8.
//   Then two tail cycles, last_o in the second (c+E).
// Instructions the checker refuses never reach the engine; they do not hang it: fields out of range (tau 0 or
// above 8, n_chunks 0 or above 64, out_segs 0, n_rows 0) run the two tail cycles only (E = 2, no request).
// Its scratchpad ports carry one request each (bitgrid_pkg::spm_req_t) and are idle ('0) while the engine is;
// read data arrives the cycle after the request.
// (Yosys 0.23 does not parse package imports, so package items are referenced as bitgrid_pkg::X.)
module bg_tabacc #(
  parameter int unsigned MacRows        = bitgrid_pkg::DefaultMacRows,
  parameter int unsigned MacCols        = bitgrid_pkg::DefaultMacCols,
  parameter int unsigned AbufPortWords  = MacRows / 4,
  parameter int unsigned WbufPortWords  = MacRows * MacCols / 32,
  parameter int unsigned SbufPortWords  = MacCols / 4,
  parameter int unsigned ObufPortWords  = MacCols / 8,
  parameter int unsigned ObufWriteWords = MacCols / 8
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             start_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             last_o,
  // abuf: read 2*MacRows input values
  output bitgrid_pkg::spm_req_t            abuf_req_o,
  input  logic [AbufPortWords*64-1:0]      abuf_rdata_i,
  // wbuf: read a port-aligned segment holding one table row segment (MacCols INT8 values)
  output bitgrid_pkg::spm_req_t            wbuf_req_o,
  input  logic [WbufPortWords*64-1:0]      wbuf_rdata_i,
  // sbuf: read one row of a segment's channel parameters (MacCols 16-bit lanes)
  output bitgrid_pkg::spm_req_t            sbuf_req_o,
  input  logic [SbufPortWords*64-1:0]      sbuf_rdata_i,
  // obuf: write a segment of MacCols INT8 outputs
  output bitgrid_pkg::spm_req_t            obuf_req_o,
  output logic [ObufWriteWords*64-1:0]     obuf_wdata_o
);

  if (MacRows < 8 || MacRows > 64 || (MacRows & (MacRows - 1)) != 0) begin : g_bad_rows
    $fatal(1, "bg_tabacc: MacRows must be a power of two in 8..64");
  end
  if (MacCols < 8 || MacCols > 64 || (MacCols & (MacCols - 1)) != 0) begin : g_bad_cols
    $fatal(1, "bg_tabacc: MacCols must be a power of two in 8..64");
  end
  // wbuf: port-aligned reads of WbufPortWords words hold whole segments (a power of two: the address is aligned
  // by shifting); obuf: read by other engines only (any width).
  if (AbufPortWords != MacRows / 4 || SbufPortWords != MacCols / 4 || ObufWriteWords != MacCols / 8 ||
      ObufPortWords < 1 || WbufPortWords < MacCols / 8 || WbufPortWords % (MacCols / 8) != 0 ||
      (WbufPortWords & (WbufPortWords - 1)) != 0) begin : g_bad_ports
    $fatal(1, "bg_tabacc: buffer port widths differ from configs/isa/engines/tabacc.yaml");
  end

  localparam int unsigned AW     = bitgrid_pkg::SpmAddrW;
  localparam int unsigned TW     = bitgrid_pkg::TaccTauW;       // tau
  localparam int unsigned KW     = bitgrid_pkg::TaccNChunksW;   // n_chunks; also the cycle counter
  localparam int unsigned GW     = bitgrid_pkg::TaccOutSegsW;   // out_segs
  localparam int unsigned NW     = bitgrid_pkg::TaccNRowsW;     // n_rows
  localparam int unsigned ASW    = bitgrid_pkg::TaccAStrideW;
  localparam int unsigned OSW    = bitgrid_pkg::TaccOStrideW;
  localparam int unsigned C      = MacCols;
  localparam int unsigned R2     = 2 * MacRows;                // input values per abuf read
  localparam int unsigned L2R    = $clog2(R2);
  localparam int unsigned A      = MacRows / 4;                // abuf words per read
  localparam int unsigned W      = MacCols / 8;                // wbuf/obuf words per segment
  localparam int unsigned LW     = $clog2(W);
  localparam int unsigned SR     = MacCols / 4;                // sbuf words per parameter row
  localparam int unsigned MaxTau = 8;
  localparam int unsigned MaxK   = 64;
  localparam int unsigned SgnN   = MaxK * MaxTau;              // signs of a row, at most
  localparam int unsigned NSl    = SgnN / R2;                  // abuf reads of a row, at most
  localparam int unsigned LS     = $clog2(NSl);
  localparam int unsigned LWP    = $clog2(WbufPortWords);
  localparam int unsigned NOff   = WbufPortWords / W;          // segments per wbuf port read
  localparam int unsigned OffW   = (NOff > 1) ? $clog2(NOff) : 1;
  localparam int unsigned AccW   = 16;                         // |acc| <= 64*128
  localparam int unsigned PW     = 2 * MaxTau - 2;             // idx * out_segs (255 * 63 < 2^14)

  // ---------------------------------------------------------------------------------------------
  // Instruction fields (loaded in every idle cycle, so that start_i selects only the next state)
  // ---------------------------------------------------------------------------------------------
  logic [TW-1:0]  insn_tau;
  logic [KW-1:0]  insn_k;
  logic [GW-1:0]  insn_g;
  logic           insn_relu;
  logic [NW-1:0]  insn_n_rows;
  logic [AW-1:0]  insn_a_addr, insn_t_addr, insn_s_addr, insn_o_addr;
  logic [ASW-1:0] insn_a_stride;
  logic [OSW-1:0] insn_o_stride;
  logic           insn_bad;        // a field out of range: only the tail cycles
  logic [10:0]    insn_signs;      // K*tau (at most 127*15)
  logic [KW-1:0]  insn_ra;         // ceil(K*tau / 2R) (at most 32 when legal)
  logic           unused_insn;

  assign insn_tau      = insn_i[bitgrid_pkg::TaccTauLsb +: TW];
  assign insn_k        = insn_i[bitgrid_pkg::TaccNChunksLsb +: KW];
  assign insn_g        = insn_i[bitgrid_pkg::TaccOutSegsLsb +: GW];
  assign insn_relu     = insn_i[bitgrid_pkg::TaccReluLsb];
  assign insn_n_rows   = insn_i[bitgrid_pkg::TaccNRowsLsb +: NW];
  assign insn_a_addr   = AW'(insn_i[bitgrid_pkg::TaccAAddrLsb +: bitgrid_pkg::TaccAAddrW]);
  assign insn_a_stride = insn_i[bitgrid_pkg::TaccAStrideLsb +: ASW];
  assign insn_t_addr   = AW'(insn_i[bitgrid_pkg::TaccTAddrLsb +: bitgrid_pkg::TaccTAddrW]);
  assign insn_s_addr   = AW'(insn_i[bitgrid_pkg::TaccSAddrLsb +: bitgrid_pkg::TaccSAddrW]);
  assign insn_o_addr   = AW'(insn_i[bitgrid_pkg::TaccOAddrLsb +: bitgrid_pkg::TaccOAddrW]);
  assign insn_o_stride = insn_i[bitgrid_pkg::TaccOStrideLsb +: OSW];
  // The opcode and the token flags are the dispatcher's and the controller's.
  assign unused_insn   = ^insn_i[7:0];

  assign insn_bad   = (insn_tau == '0) || (insn_tau > TW'(MaxTau)) || (insn_k == '0) || (insn_k > KW'(MaxK)) ||
                      (insn_g == '0) || (insn_n_rows == '0);
  assign insn_signs = 11'(insn_k) * 11'(insn_tau);
  assign insn_ra    = KW'((insn_signs + 11'(R2 - 1)) >> L2R);

  typedef enum logic [2:0] {
    StIdle,   // waiting for an instruction
    StRead,   // s_m + i: abuf reads of the row
    StLand,   // s_m + Ra: the last read lands, the indices are registered
    StSeg,    // u + j: a segment (table and parameter reads, requantization, write)
    StTail1,  // the two tail cycles
    StTail2   // last_o
  } state_e;

  state_e         state_d, state_q;
  logic [KW-1:0]  cnt_d, cnt_q;              // i (StRead) or j (StSeg)
  logic [TW-1:0]  tau_d, tau_q;
  logic [KW-1:0]  k_d, k_q;                  // K
  logic [KW-1:0]  km_d, km_q;                // max(K, 4)
  logic [KW-1:0]  ra_m1_d, ra_m1_q;          // Ra - 1
  logic [GW-1:0]  g_n_d, g_n_q;              // G
  logic [GW-1:0]  g_d, g_q;                  // the segment
  logic [NW-1:0]  rows_left_d, rows_left_q;  // rows after the current one
  logic           relu_d, relu_q;
  logic [ASW-1:0] astride_d, astride_q;
  logic [OSW-1:0] ostride_d, ostride_q;
  logic [AW-1:0]  arow_d, arow_q, aptr_d, aptr_q;  // abuf: the row's start, the next read
  logic [AW-1:0]  tbase_d, tbase_q;          // wbuf: t_addr
  logic [AW-1:0]  tabw_d, tabw_q;            // wbuf words of one table, G*W << tau
  logic [AW-1:0]  segt_d, segt_q;            // wbuf: t_addr + g*W
  logic [AW-1:0]  cptr_d, cptr_q;            // wbuf: t_addr + g*W + (j << tau)*G*W, table j's row 0 segment g
  logic [AW-1:0]  sbase_d, sbase_q, sptr_d, sptr_q;  // sbuf: s_addr, the next parameter row
  logic [AW-1:0]  orow_d, orow_q, optr_d, optr_q;    // obuf: the row's start, the next write
  logic           reading, seg, seg_end, wreq, sreq, rq, wr;

  assign reading = (state_q == StRead);
  assign seg     = (state_q == StSeg);
  assign wreq    = seg && (cnt_q < k_q);
  assign sreq    = seg && (cnt_q < KW'(4));
  assign rq      = seg && (cnt_q == km_q + KW'(1));
  assign wr      = seg && (cnt_q == km_q + KW'(2));
  assign seg_end = wr;

  always_comb begin
    state_d     = state_q;
    cnt_d       = cnt_q;
    tau_d       = tau_q;
    k_d         = k_q;
    km_d        = km_q;
    ra_m1_d     = ra_m1_q;
    g_n_d       = g_n_q;
    g_d         = g_q;
    rows_left_d = rows_left_q;
    relu_d      = relu_q;
    astride_d   = astride_q;
    ostride_d   = ostride_q;
    arow_d      = arow_q;
    aptr_d      = aptr_q;
    tbase_d     = tbase_q;
    tabw_d      = tabw_q;
    segt_d      = segt_q;
    cptr_d      = cptr_q;
    sbase_d     = sbase_q;
    sptr_d      = sptr_q;
    orow_d      = orow_q;
    optr_d      = optr_q;
    unique case (state_q)
      StIdle: begin
        cnt_d       = '0;
        tau_d       = insn_tau;
        k_d         = insn_k;
        km_d        = (insn_k > KW'(4)) ? insn_k : KW'(4);
        ra_m1_d     = insn_ra - KW'(1);
        g_n_d       = insn_g;
        g_d         = '0;
        rows_left_d = insn_n_rows - NW'(1);
        relu_d      = insn_relu;
        astride_d   = insn_a_stride;
        ostride_d   = insn_o_stride;
        arow_d      = insn_a_addr;
        aptr_d      = insn_a_addr;
        tbase_d     = insn_t_addr;
        tabw_d      = AW'(insn_g) << (LW + 32'(insn_tau));
        segt_d      = insn_t_addr;
        cptr_d      = insn_t_addr;
        sbase_d     = insn_s_addr;
        sptr_d      = insn_s_addr;
        orow_d      = insn_o_addr;
        optr_d      = insn_o_addr;
        if (start_i) state_d = insn_bad ? StTail1 : StRead;
      end
      StRead: begin
        aptr_d = aptr_q + AW'(A);
        if (cnt_q == ra_m1_q) begin
          cnt_d   = '0;
          state_d = StLand;
        end else begin
          cnt_d = cnt_q + KW'(1);
        end
      end
      StLand: state_d = StSeg;
      StSeg: begin
        cnt_d = cnt_q + KW'(1);
        if (wreq) cptr_d = cptr_q + tabw_q;
        if (sreq) sptr_d = sptr_q + AW'(SR);  // after the 4 rows: s_addr + (g+1)*C
        if (seg_end) begin
          cnt_d = '0;
          if (g_q != g_n_q - GW'(1)) begin     // the row's next segment
            g_d    = g_q + GW'(1);
            segt_d = segt_q + AW'(W);
            cptr_d = segt_q + AW'(W);
            optr_d = optr_q + AW'(W);
          end else begin
            g_d    = '0;
            segt_d = tbase_q;
            cptr_d = tbase_q;
            sptr_d = sbase_q;
            arow_d = arow_q + AW'(astride_q);
            aptr_d = arow_q + AW'(astride_q);
            orow_d = orow_q + AW'(ostride_q);
            optr_d = orow_q + AW'(ostride_q);
            if (rows_left_q == '0) begin
              state_d = StTail1;
            end else begin
              rows_left_d = rows_left_q - NW'(1);
              state_d     = StRead;
            end
          end
        end
      end
      StTail1: state_d = StTail2;
      StTail2: state_d = StIdle;
      default: state_d = StIdle;
    endcase
  end

  // ---------------------------------------------------------------------------------------------
  // Signs and indices
  // ---------------------------------------------------------------------------------------------
  logic               a_ld_q;           // abuf data arrives this cycle ...
  logic [LS-1:0]      a_ld_i_q;         // ... of read i: signs i*2R .. i*2R+2R-1
  logic [SgnN-1:0]    sgn_d, sgn_q;     // bit n: value n of the row >= 0 (no reset: written before use)
  logic [MaxK*8-1:0]  idx_all, idx_q;   // idx_k at [8k +: 8]
  logic [R2*7-1:0]    abuf_mag;         // the bits other than the signs
  logic               unused_abuf;

  always_comb begin
    sgn_d = sgn_q;
    for (int unsigned s = 0; s < NSl; s++) begin
      if (a_ld_q && a_ld_i_q == LS'(s)) begin
        for (int unsigned b = 0; b < R2; b++) sgn_d[s*R2 + b] = !abuf_rdata_i[8*b + 7];
      end
    end
  end

  always_comb begin
    for (int unsigned b = 0; b < R2; b++) abuf_mag[7*b +: 7] = abuf_rdata_i[8*b +: 7];
  end
  assign unused_abuf = ^abuf_mag;

  // idx_k bit tau-1-i = sign of value k*tau + i (constant positions for each tau)
  always_comb begin
    idx_all = '0;
    for (int unsigned t = 1; t <= MaxTau; t++) begin
      if (tau_q == TW'(t)) begin
        for (int unsigned k = 0; k < MaxK; k++) begin
          for (int unsigned b = 0; b < t; b++) idx_all[8*k + b] = sgn_d[k*t + t - 1 - b];
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    sgn_q <= sgn_d;
    if (state_q == StLand) idx_q <= idx_all;
  end

  // ---------------------------------------------------------------------------------------------
  // wbuf address: cptr + idx_j*G*W, port-aligned; the segment's offset in the port read
  // ---------------------------------------------------------------------------------------------
  logic [7:0]      idx_cur;
  logic [PW-1:0]   idx_g;
  logic [AW-1:0]   waddr;
  logic [OffW-1:0] woff;

  assign idx_cur = idx_q[8*cnt_q[5:0] +: 8];
  assign idx_g   = PW'(idx_cur) * PW'(g_n_q);
  assign waddr   = cptr_q + (AW'(idx_g) << LW);
  if (NOff > 1) begin : g_woff
    assign woff = waddr[LW +: OffW];
  end else begin : g_no_woff
    assign woff = '0;
  end

  assign abuf_req_o.req  = reading;
  assign abuf_req_o.we   = 1'b0;
  assign abuf_req_o.addr = reading ? aptr_q : '0;
  assign wbuf_req_o.req  = wreq;
  assign wbuf_req_o.we   = 1'b0;
  // aligned down by shifts (Yosys 0.23 evaluates a mask ~AW'(WbufPortWords - 1) wrongly)
  assign wbuf_req_o.addr = wreq ? ((waddr >> LWP) << LWP) : '0;
  assign sbuf_req_o.req  = sreq;
  assign sbuf_req_o.we   = 1'b0;
  assign sbuf_req_o.addr = sreq ? sptr_q : '0;

  // ---------------------------------------------------------------------------------------------
  // Accumulators, channel parameters, requantizers, write
  // ---------------------------------------------------------------------------------------------
  logic                w_ld_q, w_first_q;  // wbuf data arrives this cycle (of chunk 0: replaces the sums)
  logic [OffW-1:0]     w_off_q;            // ... its segment in the port read
  logic                s_ld_q;             // sbuf data arrives this cycle ...
  logic [1:0]          s_row_q;            // ... of parameter row j
  logic [C*8-1:0]      wsel;               // the table row segment read
  logic [C*AccW-1:0]   acc_d, acc_q;       // no reset: the first chunk replaces them
  logic [C*16-1:0]     blo_q, bhi_q, mult_q;
  logic [C*6-1:0]      shift_q;
  logic [C*8-1:0]      rq_res;             // the requantizers' INT8 results
  logic [C*8-1:0]      res_q;
  logic [C*24-1:0]     rq_high;            // the requantizers' sign extension of the INT8 results
  logic                unused_rq;

  if (NOff > 1) begin : g_wsel
    always_comb begin
      wsel = wbuf_rdata_i[C*8-1:0];
      for (int unsigned n = 1; n < NOff; n++) begin
        if (w_off_q == OffW'(n)) wsel = wbuf_rdata_i[n*C*8 +: C*8];
      end
    end
  end else begin : g_wsel_one
    logic unused_off;
    assign wsel       = wbuf_rdata_i;
    assign unused_off = ^w_off_q;
  end

  always_comb begin
    acc_d = acc_q;
    if (w_ld_q) begin
      for (int unsigned i = 0; i < C; i++) begin
        acc_d[AccW*i +: AccW] = (w_first_q ? {AccW{1'b0}} : acc_q[AccW*i +: AccW]) +
                                {{(AccW - 8){wsel[8*i + 7]}}, wsel[8*i +: 8]};
      end
    end
  end

  always_ff @(posedge clk_i) begin
    acc_q <= acc_d;
    if (s_ld_q) begin
      unique case (s_row_q)
        2'd0: blo_q <= sbuf_rdata_i;
        2'd1: bhi_q <= sbuf_rdata_i;
        2'd2: mult_q <= sbuf_rdata_i;
        2'd3: begin
          for (int unsigned i = 0; i < C; i++) shift_q[6*i +: 6] <= sbuf_rdata_i[16*i +: 6];
        end
        default: ;
      endcase
    end
    if (rq) res_q <= rq_res;
  end

  for (genvar i = 0; i < C; i++) begin : g_rq
    logic [31:0] res;
    bg_bitmac_requant u_requant (
      .acc_i  ({{(48 - AccW){acc_q[AccW*i + AccW - 1]}}, acc_q[AccW*i +: AccW]}),
      .bias_i ({bhi_q[16*i +: 16], blo_q[16*i +: 16]}),
      .mult_i (mult_q[16*i +: 16]),
      .shift_i(shift_q[6*i +: 6]),
      .out32_i(1'b0),
      .relu_i (relu_q),
      .res_o  (res)
    );
    assign rq_res[8*i +: 8]    = res[7:0];
    assign rq_high[24*i +: 24] = res[31:8];
  end
  assign unused_rq = ^rq_high;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      cnt_q       <= '0;
      tau_q       <= '0;
      k_q         <= '0;
      km_q        <= '0;
      ra_m1_q     <= '0;
      g_n_q       <= '0;
      g_q         <= '0;
      rows_left_q <= '0;
      relu_q      <= 1'b0;
      astride_q   <= '0;
      ostride_q   <= '0;
      arow_q      <= '0;
      aptr_q      <= '0;
      tbase_q     <= '0;
      tabw_q      <= '0;
      segt_q      <= '0;
      cptr_q      <= '0;
      sbase_q     <= '0;
      sptr_q      <= '0;
      orow_q      <= '0;
      optr_q      <= '0;
      a_ld_q      <= 1'b0;
      a_ld_i_q    <= '0;
      w_ld_q      <= 1'b0;
      w_first_q   <= 1'b0;
      w_off_q     <= '0;
      s_ld_q      <= 1'b0;
      s_row_q     <= '0;
    end else begin
      state_q     <= state_d;
      cnt_q       <= cnt_d;
      tau_q       <= tau_d;
      k_q         <= k_d;
      km_q        <= km_d;
      ra_m1_q     <= ra_m1_d;
      g_n_q       <= g_n_d;
      g_q         <= g_d;
      rows_left_q <= rows_left_d;
      relu_q      <= relu_d;
      astride_q   <= astride_d;
      ostride_q   <= ostride_d;
      arow_q      <= arow_d;
      aptr_q      <= aptr_d;
      tbase_q     <= tbase_d;
      tabw_q      <= tabw_d;
      segt_q      <= segt_d;
      cptr_q      <= cptr_d;
      sbase_q     <= sbase_d;
      sptr_q      <= sptr_d;
      orow_q      <= orow_d;
      optr_q      <= optr_d;
      a_ld_q      <= reading;
      a_ld_i_q    <= LS'(cnt_q);
      w_ld_q      <= wreq;
      w_first_q   <= (cnt_q == '0);
      w_off_q     <= woff;
      s_ld_q      <= sreq;
      s_row_q     <= cnt_q[1:0];
    end
  end

  assign last_o          = (state_q == StTail2);
  assign obuf_req_o.req  = wr;
  assign obuf_req_o.we   = wr;
  assign obuf_req_o.addr = wr ? optr_q : '0;
  assign obuf_wdata_o    = res_q;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_start_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                           !(start_i && state_q != StIdle))
    else $error("bg_tabacc: started while running");
`endif

endmodule : bg_tabacc
