// Binary encoder (ARCHITECTURE.md §3.5, R13): one benc instruction at a time, behind the compute dispatcher
// (bg_compute_unit) with the engine port list of ARCHITECTURE.md §6.
//
// benc turns n_codes INT8 rows of obuf (a projection's outputs from the MAC array) into binary codes, bit t of
// a code = 1 iff output t >= 0 (the inverted sign bit), and writes each code's S*m words (padding words past
// code_words zero) into qbuf or dbuf at the layout's addresses (P = 2^p_log2 codes per group, m = 2^m_log2
// words per step, S = ceil(code_words/m)):
//   word w of code c at dst_addr + ((c/P)*S + w/m)*P*m + (c%P)*m + w%m,  c = c_first + i.
//
// Started in cycle c (start_i with insn_i), the instruction's last cycle c+E is flagged by last_o:
//   E = n_codes*S*m*RPW + 2, RPW = 64/MacCols (obuf reads of MacCols INT8 outputs per code word)
//     Slots (cycles c+1 .. c+N, N = n_codes*S*m*RPW): code by code, word by word, RPW slots per word; slot r of
//            a word w < code_words reads obuf at src_addr + i*src_stride + w*8 + r*W (W = MacCols/8 words);
//            a padding word's slots read nothing.
//     Pack  (the cycle after a slot): the read's MacCols sign bits enter the word at bits [r*MacCols +:
//            MacCols]; after the word's last slot the word is registered ...
//     Write (two cycles after the word's last slot): ... and written, one word per write.
// Its scratchpad ports carry one request each (bitgrid_pkg::spm_req_t) and are idle ('0) while the engine
// is; read data arrives the cycle after the request.
// (Yosys 0.23 does not parse package imports, so package items are referenced as bitgrid_pkg::X.)
module bg_binenc #(
  parameter int unsigned MacCols        = bitgrid_pkg::DefaultMacCols,
  parameter int unsigned ObufPortWords  = MacCols / 8,
  parameter int unsigned QbufPortWords  = 1,
  parameter int unsigned QbufWriteWords = 1,
  parameter int unsigned DbufPortWords  = 1,
  parameter int unsigned DbufWriteWords = 1,
  localparam int unsigned W             = MacCols / 8,   // obuf words per read
  localparam int unsigned RPW           = 64 / MacCols   // reads per code word
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             start_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             last_o,
  // obuf: read W words (MacCols INT8 outputs)
  output bitgrid_pkg::spm_req_t            obuf_req_o,
  input  logic [ObufPortWords*64-1:0]      obuf_rdata_i,
  // qbuf / dbuf: write one code word
  output bitgrid_pkg::spm_req_t            qbuf_req_o,
  output logic [QbufWriteWords*64-1:0]     qbuf_wdata_o,
  output bitgrid_pkg::spm_req_t            dbuf_req_o,
  output logic [DbufWriteWords*64-1:0]     dbuf_wdata_o
);

  if (MacCols < 8 || MacCols > 64 || (MacCols & (MacCols - 1)) != 0) begin : g_bad_cols
    $fatal(1, "bg_binenc: MacCols must be a power of two in 8..64");
  end
  if (ObufPortWords != W || QbufWriteWords != 1 || DbufWriteWords != 1 || QbufPortWords < 1 || DbufPortWords < 1)
  begin : g_bad_ports
    $fatal(1, "bg_binenc: buffer port widths differ from configs/isa/engines/binenc.yaml");
  end

  localparam int unsigned AW  = bitgrid_pkg::SpmAddrW;
  localparam int unsigned CWW = bitgrid_pkg::BencCodeWordsW;  // code_words
  localparam int unsigned NW  = bitgrid_pkg::BencNCodesW;     // n_codes, c_first
  localparam int unsigned PW  = bitgrid_pkg::BencPLog2W;      // p_log2
  localparam int unsigned MW  = bitgrid_pkg::BencMLog2W;      // m_log2
  localparam int unsigned WPW = CWW + 1;                       // S*m <= code_words + 7
  localparam int unsigned RW  = (RPW > 1) ? $clog2(RPW) : 1;

  // ---------------------------------------------------------------------------------------------
  // Instruction fields
  // ---------------------------------------------------------------------------------------------
  logic            insn_dst;
  logic [PW-1:0]   insn_p_log2;
  logic [MW-1:0]   insn_m_log2;
  logic [CWW-1:0]  insn_cw;
  logic [AW-1:0]   insn_src, insn_dst_addr;
  logic [15:0]     insn_stride;
  logic [NW-1:0]   insn_n, insn_c_first;
  logic [WPW-1:0]  insn_steps;     // S
  logic [WPW-1:0]  insn_wpc;       // S*m: words written per code
  logic [AW-1:0]   insn_group0;    // dst_addr + (c_first/P)*S*P*m
  logic [AW-1:0]   insn_pos0;      // c_first % P
  logic            unused_insn;

  assign insn_dst      = insn_i[bitgrid_pkg::BencDstLsb];
  assign insn_p_log2   = insn_i[bitgrid_pkg::BencPLog2Lsb +: PW];
  assign insn_m_log2   = insn_i[bitgrid_pkg::BencMLog2Lsb +: MW];
  assign insn_cw       = insn_i[bitgrid_pkg::BencCodeWordsLsb +: CWW];
  assign insn_src      = AW'(insn_i[bitgrid_pkg::BencSrcAddrLsb +: bitgrid_pkg::BencSrcAddrW]);
  assign insn_dst_addr = AW'(insn_i[bitgrid_pkg::BencDstAddrLsb +: bitgrid_pkg::BencDstAddrW]);
  assign insn_stride   = insn_i[bitgrid_pkg::BencSrcStrideLsb +: 16];
  assign insn_n        = insn_i[bitgrid_pkg::BencNCodesLsb +: NW];
  assign insn_c_first  = insn_i[bitgrid_pkg::BencCFirstLsb +: NW];
  // The opcode and the token flags are the dispatcher's and the controller's; no field uses bits 63:60 or
  // 127:112.
  assign unused_insn   = ^{insn_i[7:0], insn_i[63:60], insn_i[127:112]};

  assign insn_steps  = (WPW'(insn_cw) + (WPW'(1) << insn_m_log2) - WPW'(1)) >> insn_m_log2;
  assign insn_wpc    = insn_steps << insn_m_log2;
  assign insn_pos0   = AW'(insn_c_first) & ((AW'(1) << insn_p_log2) - AW'(1));
  assign insn_group0 = insn_dst_addr +
                       AW'((32'(insn_c_first) >> insn_p_log2) * 32'(insn_steps) << (4'(insn_p_log2) + 4'(insn_m_log2)));

  // ---------------------------------------------------------------------------------------------
  // Slot control (one slot per cycle while busy)
  // ---------------------------------------------------------------------------------------------
  logic            busy_d, busy_q;
  logic            dst_d, dst_q;
  logic [PW-1:0]   p_log2_d, p_log2_q;
  logic [MW-1:0]   m_log2_d, m_log2_q;
  logic [CWW-1:0]  cw_d, cw_q;
  logic [WPW-1:0]  wpc_d, wpc_q;         // S*m
  logic [15:0]     stride_d, stride_q;
  logic [NW-1:0]   left_d, left_q;       // codes left, minus one
  logic [RW-1:0]   r_d, r_q;             // slot of the word
  logic [WPW-1:0]  w_d, w_q;             // word of the code
  logic [AW-1:0]   row_d, row_q;         // obuf address of the code's row
  logic [AW-1:0]   rd_d, rd_q;           // obuf address of the next read
  logic [AW-1:0]   group_d, group_q;     // dst address of the code's group (code 0 of it)
  logic [AW-1:0]   pos_d, pos_q;         // the code's position in its group (c % P)
  logic [AW-1:0]   woff_d, woff_q;       // the word's offset in the code's layout: (w/m)*P*m + w%m
  logic            insn_empty;           // n_codes = 0 or code_words = 0 (illegal): E = 2 all the same
  logic            slot_read, slot_last_of_word, slot_final;
  logic [AW-1:0]   slot_addr;            // dst address of the slot's word
  logic [AW-1:0]   p_m;                  // P*m
  logic [AW-1:0]   m_words;              // m

  assign p_m      = AW'(1) << (4'(p_log2_q) + 4'(m_log2_q));
  assign m_words  = AW'(1) << m_log2_q;
  assign insn_empty        = (insn_n == '0) || (insn_wpc == '0);
  assign slot_read         = busy_q && (WPW'(w_q) < WPW'(cw_q));
  assign slot_last_of_word = (RW'(r_q) == RW'(RPW - 1));
  assign slot_final        = busy_q && slot_last_of_word && (w_q == wpc_q - 1'b1) && (left_q == '0);
  assign slot_addr         = group_q + (pos_q << m_log2_q) + woff_q;

  always_comb begin
    busy_d   = busy_q;
    dst_d    = dst_q;
    p_log2_d = p_log2_q;
    m_log2_d = m_log2_q;
    cw_d     = cw_q;
    wpc_d    = wpc_q;
    stride_d = stride_q;
    left_d   = left_q;
    r_d      = r_q;
    w_d      = w_q;
    row_d    = row_q;
    rd_d     = rd_q;
    group_d  = group_q;
    pos_d    = pos_q;
    woff_d   = woff_q;
    if (!busy_q) begin
      // Loaded in every idle cycle, so that start_i selects only busy_d.
      dst_d    = insn_dst;
      p_log2_d = insn_p_log2;
      m_log2_d = insn_m_log2;
      cw_d     = insn_cw;
      wpc_d    = insn_wpc;
      stride_d = insn_stride;
      left_d   = insn_n - 1'b1;
      r_d      = '0;
      w_d      = '0;
      row_d    = insn_src;
      rd_d     = insn_src;
      group_d  = insn_group0;
      pos_d    = insn_pos0;
      woff_d   = '0;
      busy_d   = start_i && !insn_empty;
    end else begin
      if (slot_read) rd_d = rd_q + AW'(W);
      if (!slot_last_of_word) begin
        r_d = r_q + 1'b1;
      end else begin
        r_d = '0;
        if (w_q != wpc_q - 1'b1) begin
          w_d    = w_q + 1'b1;
          // the next word: the next in the step, or the first of the next step (P*m words on)
          woff_d = ((AW'(w_q) & (m_words - 1'b1)) == m_words - 1'b1) ? woff_q + p_m - (m_words - 1'b1) : woff_q + 1'b1;
        end else begin
          // the next code: the next position of the group, or the first of the next group (S*P*m words on)
          w_d    = '0;
          woff_d = '0;
          left_d = left_q - 1'b1;
          row_d  = row_q + AW'(stride_q);
          rd_d   = row_q + AW'(stride_q);
          if (pos_q == (AW'(1) << p_log2_q) - 1'b1) begin
            pos_d   = '0;
            group_d = group_q + (AW'(wpc_q) << p_log2_q);
          end else begin
            pos_d = pos_q + 1'b1;
          end
          if (left_q == '0) busy_d = 1'b0;
        end
      end
    end
  end

  assign obuf_req_o.req  = slot_read;
  assign obuf_req_o.we   = 1'b0;
  assign obuf_req_o.addr = slot_read ? rd_q : '0;

  // ---------------------------------------------------------------------------------------------
  // Pack and write
  // ---------------------------------------------------------------------------------------------
  logic               s1_valid_q, s1_read_q, s1_last_q, s1_final_q, s1_dst_q;
  logic [RW-1:0]      s1_r_q;
  logic [AW-1:0]      s1_addr_q;
  logic [MacCols-1:0] chunk;           // the read's sign bits: bit j = 1 iff byte j >= 0
  logic [63:0]        acc_d, acc_q;    // the word's bits so far
  logic [63:0]        merged;
  logic               wr_valid_q, wr_final_q, wr_dst_q;
  logic [AW-1:0]      wr_addr_q;
  logic [63:0]        wr_data_q;
  logic               unused_rdata;

  always_comb begin
    for (int unsigned j = 0; j < MacCols; j++) chunk[j] = s1_read_q && !obuf_rdata_i[8*j+7];
  end
  // RPW = 1 has one chunk per word; the shift is then by zero
  assign merged = acc_q | (64'(chunk) << (32'(s1_r_q) * MacCols));
  assign acc_d  = (s1_valid_q && !s1_last_q) ? merged : '0;
  // the bytes' low seven bits (every bit is a byte's sign or below it)
  always_comb begin
    unused_rdata = 1'b0;
    for (int unsigned j = 0; j < MacCols; j++) unused_rdata ^= ^obuf_rdata_i[8*j +: 7];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q     <= 1'b0;
      dst_q      <= 1'b0;
      p_log2_q   <= '0;
      m_log2_q   <= '0;
      cw_q       <= '0;
      wpc_q      <= '0;
      stride_q   <= '0;
      left_q     <= '0;
      r_q        <= '0;
      w_q        <= '0;
      row_q      <= '0;
      rd_q       <= '0;
      group_q    <= '0;
      pos_q      <= '0;
      woff_q     <= '0;
      s1_valid_q <= 1'b0;
      s1_read_q  <= 1'b0;
      s1_last_q  <= 1'b0;
      s1_final_q <= 1'b0;
      s1_dst_q   <= 1'b0;
      s1_r_q     <= '0;
      s1_addr_q  <= '0;
      acc_q      <= '0;
      wr_valid_q <= 1'b0;
      wr_final_q <= 1'b0;
      wr_dst_q   <= 1'b0;
      wr_addr_q  <= '0;
      wr_data_q  <= '0;
    end else begin
      busy_q     <= busy_d;
      dst_q      <= dst_d;
      p_log2_q   <= p_log2_d;
      m_log2_q   <= m_log2_d;
      cw_q       <= cw_d;
      wpc_q      <= wpc_d;
      stride_q   <= stride_d;
      left_q     <= left_d;
      r_q        <= r_d;
      w_q        <= w_d;
      row_q      <= row_d;
      rd_q       <= rd_d;
      group_q    <= group_d;
      pos_q      <= pos_d;
      woff_q     <= woff_d;
      s1_valid_q <= busy_q;
      s1_read_q  <= slot_read;
      s1_last_q  <= busy_q && slot_last_of_word;
      s1_final_q <= slot_final || (!busy_q && start_i && insn_empty);
      s1_dst_q   <= dst_q;
      s1_r_q     <= r_q;
      s1_addr_q  <= slot_addr;
      acc_q      <= acc_d;
      wr_valid_q <= s1_valid_q && s1_last_q;
      wr_final_q <= s1_final_q;
      wr_dst_q   <= s1_dst_q;
      wr_addr_q  <= s1_addr_q;
      wr_data_q  <= merged;
    end
  end

  assign last_o = wr_final_q;

  assign qbuf_req_o.req  = wr_valid_q && !wr_dst_q;
  assign qbuf_req_o.we   = wr_valid_q && !wr_dst_q;
  assign qbuf_req_o.addr = (wr_valid_q && !wr_dst_q) ? wr_addr_q : '0;
  assign qbuf_wdata_o    = wr_data_q;
  assign dbuf_req_o.req  = wr_valid_q && wr_dst_q;
  assign dbuf_req_o.we   = wr_valid_q && wr_dst_q;
  assign dbuf_req_o.addr = (wr_valid_q && wr_dst_q) ? wr_addr_q : '0;
  assign dbuf_wdata_o    = wr_data_q;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_start_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                           !(start_i && (busy_q || s1_valid_q || wr_valid_q)))
    else $error("bg_binenc: started while running");
`endif

endmodule : bg_binenc
