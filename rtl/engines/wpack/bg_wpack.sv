// Weight packer (ARCHITECTURE.md §3.8, R18): one wpack instruction at a time, behind the compute dispatcher
// (bg_compute_unit) with the engine port list of ARCHITECTURE.md §6.
//
// wpack turns INT8 rows of obuf into an int8 weight tile in wbuf's bit-plane layout (bitmac::pack_weights, §3.2):
// n_pairs pairs of k-tiles of weights W[c][k] (c < C = MacCols, k < 2R*n_pairs, R = MacRows). trans 1: source row
// r (at src_addr + r*src_stride) holds W[0..C-1][r]; trans 0: source row c holds W[c][0..K-1]. Rows past n_rows
// (trans 0: channels c >= n_rows) give zero weights. Pair p's 2R x C bytes are gathered in a transpose register
// bank (byte (kk, c) = W[c][2R*p + kk]), then written out one bit plane per cycle: plane i of pair p is the PW =
// R*C/32 words at dst_addr + p*8*PW + i*PW, bit kk*C + c = bit i of W[c][2R*p + kk] (the bank shifts right by one
// bit per plane; the plane is bit 0 of every byte).
//
// Started in cycle c (start_i with insn_i), the instruction's last cycle c+E is flagged by last_o:
//   E = n_pairs*(nr + 1 + 8) + 2, nr = 2R (trans 1) or C*J (trans 0), J = ceil(2R/C) (reads per channel row)
//   Pair p occupies the nr+9 cycles from c+1+p*(nr+9); with k counting them from 0:
//     k = 0 .. nr-1: obuf reads, one per cycle (W = C/8 words, port-aligned).
//            trans 1: read k is row r = 2R*p + k at src_addr + r*src_stride (its C bytes: bank row k).
//            trans 0: read k = c*J + j is channel row c at src_addr + c*src_stride + p*(2R/8) + j*W (bank rows
//            j*C .. j*C+C-1 of column c); when 2R < C the pair's 2R bytes lie in one port-aligned segment: the
//            read is at that address aligned down to a multiple of W and the bytes at (2R*p) mod C are taken.
//            An absent row (trans 1: r >= n_rows; trans 0: c >= n_rows) makes no request but takes its cycle;
//            its bank bytes are zeroed.
//     k = nr:          the last read's data lands in the bank (read data arrives the cycle after the request).
//     k = nr+1..nr+8:  plane i = k-nr-1 written: wbuf write at dst_addr + p*8*PW + i*PW.
//   Then two tail cycles, last_o in the second (c+E).
// Instructions the checker refuses (n_pairs = 0, n_rows = 0) never reach the engine; they do not hang it:
// n_pairs = 0 runs the two tail cycles only (E = 2, no request); n_rows = 0 runs the schedule above with no obuf
// request and writes zero planes (E as above).
// Its scratchpad ports carry one request each (bitgrid_pkg::spm_req_t) and are idle ('0) while the engine is.
// (Yosys 0.23 does not parse package imports, so package items are referenced as bitgrid_pkg::X.)
module bg_wpack #(
  parameter int unsigned MacRows        = bitgrid_pkg::DefaultMacRows,
  parameter int unsigned MacCols        = bitgrid_pkg::DefaultMacCols,
  parameter int unsigned ObufPortWords  = MacCols / 8,
  parameter int unsigned WbufPortWords  = MacRows * MacCols / 32,
  parameter int unsigned WbufWriteWords = MacRows * MacCols / 32
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             start_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             last_o,
  // obuf: read a segment of MacCols bytes
  output bitgrid_pkg::spm_req_t            obuf_req_o,
  input  logic [ObufPortWords*64-1:0]      obuf_rdata_i,
  // wbuf: write one bit plane of a pair (2*MacRows x MacCols bits)
  output bitgrid_pkg::spm_req_t            wbuf_req_o,
  output logic [WbufWriteWords*64-1:0]     wbuf_wdata_o
);

  if (MacRows < 8 || MacRows > 64 || (MacRows & (MacRows - 1)) != 0) begin : g_bad_rows
    $fatal(1, "bg_wpack: MacRows must be a power of two in 8..64");
  end
  if (MacCols < 8 || MacCols > 64 || (MacCols & (MacCols - 1)) != 0) begin : g_bad_cols
    $fatal(1, "bg_wpack: MacCols must be a power of two in 8..64");
  end
  if (ObufPortWords != MacCols / 8 || WbufWriteWords != MacRows * MacCols / 32 ||
      WbufPortWords < WbufWriteWords) begin : g_bad_ports
    $fatal(1, "bg_wpack: buffer port widths differ from configs/isa/engines/wpack.yaml");
  end

  localparam int unsigned AW    = bitgrid_pkg::SpmAddrW;
  localparam int unsigned NW    = bitgrid_pkg::WpackNRowsW;   // n_rows
  localparam int unsigned PPW   = bitgrid_pkg::WpackNPairsW;  // n_pairs
  localparam int unsigned SW    = bitgrid_pkg::WpackSrcStrideW;
  localparam int unsigned C     = MacCols;
  localparam int unsigned R2    = 2 * MacRows;                // weights of a pair along k
  localparam int unsigned W     = MacCols / 8;                // obuf words per read
  localparam int unsigned PW    = MacRows * MacCols / 32;     // wbuf words per plane
  localparam int unsigned CW    = $clog2(C);
  localparam int unsigned J     = (R2 > C) ? R2 / C : 1;      // reads per channel row (trans 0)
  localparam int unsigned LJ    = $clog2(J);
  localparam int unsigned Nr0   = C * J;                      // reads per pair, trans 0
  localparam int unsigned Nr1   = R2;                         // ... trans 1
  localparam int unsigned KW    = $clog2((Nr0 > Nr1) ? Nr0 : Nr1);  // read/plane counter (>= 3 bits)
  localparam int unsigned Bytes = R2 * C;                     // the bank

  // ---------------------------------------------------------------------------------------------
  // Instruction fields (loaded in every idle cycle, so that start_i selects only the next state)
  // ---------------------------------------------------------------------------------------------
  logic          insn_trans;
  logic [PPW-1:0] insn_n_pairs;
  logic [NW-1:0] insn_n_rows;
  logic [AW-1:0] insn_src, insn_dst;
  logic [SW-1:0] insn_src_stride;
  logic          unused_insn;

  assign insn_trans      = insn_i[bitgrid_pkg::WpackTransLsb];
  assign insn_n_pairs    = insn_i[bitgrid_pkg::WpackNPairsLsb +: PPW];
  assign insn_n_rows     = insn_i[bitgrid_pkg::WpackNRowsLsb +: NW];
  assign insn_src        = AW'(insn_i[bitgrid_pkg::WpackSrcAddrLsb +: bitgrid_pkg::WpackSrcAddrW]);
  assign insn_dst        = AW'(insn_i[bitgrid_pkg::WpackDstAddrLsb +: bitgrid_pkg::WpackDstAddrW]);
  assign insn_src_stride = insn_i[bitgrid_pkg::WpackSrcStrideLsb +: SW];
  // The opcode and the token flags are the dispatcher's and the controller's; the bits past the last field
  // are reserved (zero, the checker's).
  assign unused_insn     = ^{insn_i[7:0],
                             insn_i[bitgrid_pkg::InsnBits-1:bitgrid_pkg::WpackDstAddrLsb+bitgrid_pkg::WpackDstAddrW]};

  typedef enum logic [2:0] {
    StIdle,   // waiting for an instruction
    StRead,   // k = 0 .. nr-1: one obuf read per cycle
    StLand,   // k = nr: the last read's data lands in the bank
    StPlane,  // k = nr+1 .. nr+8: one bit plane written per cycle
    StTail1,  // the two tail cycles
    StTail2   // last_o
  } state_e;

  state_e          state_d, state_q;
  logic [KW-1:0]   cnt_d, cnt_q;              // k (StRead) or the plane i (StPlane)
  logic            trans_d, trans_q;
  logic [PPW-1:0]  pairs_left_d, pairs_left_q;  // pairs after the current one
  logic [NW-1:0]   nrows_d, nrows_q;
  logic [NW-1:0]   left_d, left_q;            // present rows not yet read (trans 0: of this pair's channels)
  logic [SW-1:0]   stride_d, stride_q;
  logic [AW-1:0]   src_d, src_q;
  logic [AW-1:0]   cptr_d, cptr_q;            // obuf: the current source row's start (of the pair's bytes)
  logic [AW-1:0]   rptr_d, rptr_q;            // obuf: the next read
  logic [AW-1:0]   pbyte_d, pbyte_q;          // trans 0: byte offset of the pair in a channel row, 2R*p
  logic [AW-1:0]   pnext;                     // ... of the next pair
  logic [AW-1:0]   dptr_d, dptr_q;            // wbuf: the next plane
  logic            reading, present, row_end, last_read, writing;
  logic [KW-1:0]   nr_m1;

  assign reading   = (state_q == StRead);
  assign writing   = (state_q == StPlane);
  assign present   = (left_q != '0);
  // trans 1: every read is a row; trans 0: a channel row is J reads
  assign row_end   = trans_q || ((cnt_q & KW'(J - 1)) == KW'(J - 1));
  assign nr_m1     = trans_q ? KW'(Nr1 - 1) : KW'(Nr0 - 1);
  assign last_read = (cnt_q == nr_m1);
  assign pnext     = pbyte_q + AW'(R2);

  always_comb begin
    state_d      = state_q;
    cnt_d        = cnt_q;
    trans_d      = trans_q;
    pairs_left_d = pairs_left_q;
    nrows_d      = nrows_q;
    left_d       = left_q;
    stride_d     = stride_q;
    src_d        = src_q;
    cptr_d       = cptr_q;
    rptr_d       = rptr_q;
    pbyte_d      = pbyte_q;
    dptr_d       = dptr_q;
    unique case (state_q)
      StIdle: begin
        cnt_d        = '0;
        trans_d      = insn_trans;
        pairs_left_d = insn_n_pairs - 1'b1;
        nrows_d      = insn_n_rows;
        left_d       = insn_n_rows;
        stride_d     = insn_src_stride;
        src_d        = insn_src;
        cptr_d       = insn_src;
        rptr_d       = insn_src;
        pbyte_d      = '0;
        dptr_d       = insn_dst;
        if (start_i) state_d = (insn_n_pairs == '0) ? StTail1 : StRead;
      end
      StRead: begin
        if (row_end) begin
          cptr_d = cptr_q + AW'(stride_q);
          rptr_d = cptr_q + AW'(stride_q);
          if (present) left_d = left_q - 1'b1;
        end else begin
          rptr_d = rptr_q + AW'(W);
        end
        if (last_read) begin
          cnt_d   = '0;
          state_d = StLand;
        end else begin
          cnt_d = cnt_q + 1'b1;
        end
      end
      StLand: begin
        // trans 0: the next pair starts again at channel 0, (2R*(p+1)/C)*W words into the rows; trans 1 goes on
        // with the next row
        if (!trans_q) begin
          pbyte_d = pnext;
          cptr_d  = src_q + ((pnext >> CW) << (CW - 3));
          rptr_d  = src_q + ((pnext >> CW) << (CW - 3));
          left_d  = nrows_q;
        end
        state_d = StPlane;
      end
      StPlane: begin
        dptr_d = dptr_q + AW'(PW);
        cnt_d  = cnt_q + 1'b1;
        if (cnt_q == KW'(7)) begin
          cnt_d = '0;
          if (pairs_left_q == '0) begin
            state_d = StTail1;
          end else begin
            pairs_left_d = pairs_left_q - 1'b1;
            state_d      = StRead;
          end
        end
      end
      StTail1: state_d = StTail2;
      StTail2: state_d = StIdle;
      default: state_d = StIdle;
    endcase
  end

  assign obuf_req_o.req  = reading && present;
  assign obuf_req_o.we   = 1'b0;
  assign obuf_req_o.addr = (reading && present) ? rptr_q : '0;

  // ---------------------------------------------------------------------------------------------
  // The transpose bank: byte (kk, c) at [8*(kk*C + c) +: 8], so bit 0 of the bytes is the plane
  // ---------------------------------------------------------------------------------------------
  logic [Bytes*8-1:0]   bank_d, bank_q;   // flat (Yosys 0.23 has no packed 2-D arrays); no reset: loaded before use
  logic                 ld_q;             // read data arrives this cycle ...
  logic [KW-1:0]        ld_k_q;           // ... of read k
  logic                 ld_zero_q;        // ... of an absent row (no request: zeros)
  logic [CW-1:0]        ld_off_q;         // ... trans 0, 2R < C: byte of the segment where the pair's bytes start
  logic [KW-1:0]        ld_c, ld_j;       // trans 0: channel and segment of the read
  logic [C*8-1:0]       sel;              // the read's bytes from ld_off_q on

  assign ld_c = ld_k_q >> LJ;
  assign ld_j = ld_k_q & KW'(J - 1);
  assign sel  = obuf_rdata_i >> {ld_off_q, 3'b000};

  always_comb begin
    bank_d = bank_q;
    for (int unsigned kk = 0; kk < R2; kk++) begin
      for (int unsigned c = 0; c < C; c++) begin
        if (writing) begin
          bank_d[8*(kk*C + c) +: 8] = {1'b0, bank_q[8*(kk*C + c) + 1 +: 7]};
        end else if (ld_q) begin
          if (trans_q) begin
            if (ld_k_q == KW'(kk)) bank_d[8*(kk*C + c) +: 8] = ld_zero_q ? 8'h00 : obuf_rdata_i[8*c +: 8];
          end else if (ld_c == KW'(c) && ld_j == KW'(kk / C)) begin
            bank_d[8*(kk*C + c) +: 8] = ld_zero_q ? 8'h00 : sel[8*(kk % C) +: 8];
          end
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    bank_q <= bank_d;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      cnt_q        <= '0;
      trans_q      <= 1'b0;
      pairs_left_q <= '0;
      nrows_q      <= '0;
      left_q       <= '0;
      stride_q     <= '0;
      src_q        <= '0;
      cptr_q       <= '0;
      rptr_q       <= '0;
      pbyte_q      <= '0;
      dptr_q       <= '0;
      ld_q         <= 1'b0;
      ld_k_q       <= '0;
      ld_zero_q    <= 1'b0;
      ld_off_q     <= '0;
    end else begin
      state_q      <= state_d;
      cnt_q        <= cnt_d;
      trans_q      <= trans_d;
      pairs_left_q <= pairs_left_d;
      nrows_q      <= nrows_d;
      left_q       <= left_d;
      stride_q     <= stride_d;
      src_q        <= src_d;
      cptr_q       <= cptr_d;
      rptr_q       <= rptr_d;
      pbyte_q      <= pbyte_d;
      dptr_q       <= dptr_d;
      ld_q         <= reading;
      ld_k_q       <= cnt_q;
      ld_zero_q    <= !present;
      // 2R >= C: a pair's bytes start a segment
      ld_off_q     <= (R2 < C) ? pbyte_q[CW-1:0] : '0;
    end
  end

  assign last_o          = (state_q == StTail2);
  assign wbuf_req_o.req  = writing;
  assign wbuf_req_o.we   = writing;
  assign wbuf_req_o.addr = writing ? dptr_q : '0;
  always_comb begin
    for (int unsigned n = 0; n < Bytes; n++) wbuf_wdata_o[n] = bank_q[8*n];
  end

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_start_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                           !(start_i && state_q != StIdle))
    else $error("bg_wpack: started while running");
`endif

endmodule : bg_wpack
