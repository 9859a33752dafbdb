// Table unit (ARCHITECTURE.md §3.6, R14): one lut instruction at a time, behind the compute dispatcher
// (bg_compute_unit) with the engine port list of ARCHITECTURE.md §6.
//
// lut maps n_rows INT8 rows of obuf, row_segs segments of MacCols bytes each, through one 256-entry INT8 table
// into abuf: byte v of a row becomes entry v (the value's byte as an unsigned index) of the table at tbuf t_addr.
//
// Started in cycle c (start_i with insn_i), the instruction's last cycle c+E is flagged by last_o:
//   E = 8 + N + 2, N = n_rows*row_segs
//     Table (cycles c+1 .. c+8): tbuf reads of 4 words at t_addr + 4i; the words (data the cycle after each
//            read) fill the table registers, complete at the end of c+9.
//     Slots (cycles c+9 .. c+8+N): segment s of row r: obuf read at src_addr + r*src_stride + s*W (W = MacCols/8
//            words); the cycle after, its MacCols bytes are looked up and registered; the cycle after that they
//            are written to abuf at dst_addr + r*dst_stride + s*W.
// Its scratchpad ports carry one request each (bitgrid_pkg::spm_req_t) and are idle ('0) while the engine
// is; read data arrives the cycle after the request.
// (Yosys 0.23 does not parse package imports, so package items are referenced as bitgrid_pkg::X.)
module bg_lut #(
  parameter int unsigned MacCols        = bitgrid_pkg::DefaultMacCols,
  parameter int unsigned TbufPortWords  = 4,
  parameter int unsigned ObufPortWords  = MacCols / 8,
  parameter int unsigned AbufPortWords  = bitgrid_pkg::DefaultMacRows / 4,
  parameter int unsigned AbufWriteWords = MacCols / 8,
  localparam int unsigned W             = MacCols / 8  // obuf/abuf words per segment
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             start_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             last_o,
  // tbuf: read 4 words of a table
  output bitgrid_pkg::spm_req_t            tbuf_req_o,
  input  logic [TbufPortWords*64-1:0]      tbuf_rdata_i,
  // obuf: read a segment
  output bitgrid_pkg::spm_req_t            obuf_req_o,
  input  logic [ObufPortWords*64-1:0]      obuf_rdata_i,
  // abuf: write a segment
  output bitgrid_pkg::spm_req_t            abuf_req_o,
  output logic [AbufWriteWords*64-1:0]     abuf_wdata_o
);

  if (MacCols < 8 || MacCols > 64 || (MacCols & (MacCols - 1)) != 0) begin : g_bad_cols
    $fatal(1, "bg_lut: MacCols must be a power of two in 8..64");
  end
  if (TbufPortWords != 4 || ObufPortWords != W || AbufWriteWords != W || AbufPortWords < 1) begin : g_bad_ports
    $fatal(1, "bg_lut: buffer port widths differ from configs/isa/engines/lut.yaml");
  end

  localparam int unsigned AW = bitgrid_pkg::SpmAddrW;
  localparam int unsigned NW = bitgrid_pkg::LutNRowsW;    // n_rows
  localparam int unsigned GW = bitgrid_pkg::LutRowSegsW;  // row_segs

  // ---------------------------------------------------------------------------------------------
  // Instruction fields (loaded in every idle cycle, so that start_i selects only the next state)
  // ---------------------------------------------------------------------------------------------
  logic [AW-1:0] insn_t_addr, insn_src, insn_dst;
  logic [NW-1:0] insn_n_rows;
  logic [GW-1:0] insn_segs;
  logic [15:0]   insn_src_stride, insn_dst_stride;
  logic          unused_insn;

  assign insn_t_addr     = AW'(insn_i[bitgrid_pkg::LutTAddrLsb +: bitgrid_pkg::LutTAddrW]);
  assign insn_src        = AW'(insn_i[bitgrid_pkg::LutSrcAddrLsb +: bitgrid_pkg::LutSrcAddrW]);
  assign insn_dst        = AW'(insn_i[bitgrid_pkg::LutDstAddrLsb +: bitgrid_pkg::LutDstAddrW]);
  assign insn_n_rows     = insn_i[bitgrid_pkg::LutNRowsLsb +: NW];
  assign insn_segs       = insn_i[bitgrid_pkg::LutRowSegsLsb +: GW];
  assign insn_src_stride = insn_i[bitgrid_pkg::LutSrcStrideLsb +: 16];
  assign insn_dst_stride = insn_i[bitgrid_pkg::LutDstStrideLsb +: 16];
  // The opcode and the token flags are the dispatcher's and the controller's.
  assign unused_insn     = ^insn_i[7:0];

  typedef enum logic [1:0] {
    StIdle,   // waiting for an instruction
    StTable,  // reading the table
    StSlots   // one segment per cycle
  } state_e;

  state_e         state_d, state_q;
  logic [2:0]     tcnt_d, tcnt_q;       // table reads issued
  logic [AW-1:0]  taddr_d, taddr_q;
  logic [NW-1:0]  rows_left_d, rows_left_q;  // rows left, minus one
  logic [GW-1:0]  segs_d, segs_q;       // row_segs - 1
  logic [GW-1:0]  seg_d, seg_q;         // segment of the row
  logic [15:0]    sstride_d, sstride_q, dstride_d, dstride_q;
  logic [AW-1:0]  srow_d, srow_q, sptr_d, sptr_q;  // obuf: the row's start, the next read
  logic [AW-1:0]  drow_d, drow_q, dptr_d, dptr_q;  // abuf: the row's start, the next write
  logic           empty;                 // n_rows = 0 or row_segs = 0 (illegal): no slots, E = 8 + 2
  logic           empty_d, empty_q;      // ... of the running instruction (its table is read all the same)
  logic           slot, slot_final;

  assign empty      = (insn_n_rows == '0) || (insn_segs == '0);
  assign empty_d    = (state_q == StIdle) ? empty : empty_q;
  assign slot       = (state_q == StSlots);
  assign slot_final = slot && (seg_q == segs_q) && (rows_left_q == '0);

  always_comb begin
    state_d     = state_q;
    tcnt_d      = tcnt_q;
    taddr_d     = taddr_q;
    rows_left_d = rows_left_q;
    segs_d      = segs_q;
    seg_d       = seg_q;
    sstride_d   = sstride_q;
    dstride_d   = dstride_q;
    srow_d      = srow_q;
    sptr_d      = sptr_q;
    drow_d      = drow_q;
    dptr_d      = dptr_q;
    unique case (state_q)
      StIdle: begin
        tcnt_d      = '0;
        taddr_d     = insn_t_addr;
        rows_left_d = insn_n_rows - 1'b1;
        segs_d      = insn_segs - 1'b1;
        seg_d       = '0;
        sstride_d   = insn_src_stride;
        dstride_d   = insn_dst_stride;
        srow_d      = insn_src;
        sptr_d      = insn_src;
        drow_d      = insn_dst;
        dptr_d      = insn_dst;
        if (start_i) state_d = StTable;
      end
      StTable: begin
        tcnt_d  = tcnt_q + 1'b1;
        taddr_d = taddr_q + AW'(4);
        if (tcnt_q == 3'd7) state_d = empty_q ? StIdle : StSlots;
      end
      StSlots: begin
        if (seg_q != segs_q) begin
          seg_d  = seg_q + 1'b1;
          sptr_d = sptr_q + AW'(W);
          dptr_d = dptr_q + AW'(W);
        end else begin
          seg_d       = '0;
          rows_left_d = rows_left_q - 1'b1;
          srow_d      = srow_q + AW'(sstride_q);
          sptr_d      = srow_q + AW'(sstride_q);
          drow_d      = drow_q + AW'(dstride_q);
          dptr_d      = drow_q + AW'(dstride_q);
          if (rows_left_q == '0) state_d = StIdle;
        end
      end
      default: state_d = StIdle;
    endcase
  end


  assign tbuf_req_o.req  = (state_q == StTable);
  assign tbuf_req_o.we   = 1'b0;
  assign tbuf_req_o.addr = (state_q == StTable) ? taddr_q : '0;
  assign obuf_req_o.req  = slot;
  assign obuf_req_o.we   = 1'b0;
  assign obuf_req_o.addr = slot ? sptr_q : '0;

  // ---------------------------------------------------------------------------------------------
  // Table registers, lookup, write
  // ---------------------------------------------------------------------------------------------
  logic [2047:0]      table_q;            // entry e at [8e +: 8] (flat: Yosys 0.23 has no packed 2-D arrays)
  logic               tload_q;            // tbuf data arrives this cycle ...
  logic [2:0]         tword_q;            // ... for entries 32*tword_q .. +31
  logic               s1_valid_q, s1_final_q, s2_valid_q, s2_final_q;
  logic [AW-1:0]      s1_addr_q, s2_addr_q;
  logic [MacCols*8-1:0] looked, s2_data_q;

  always_ff @(posedge clk_i) begin
    if (tload_q) begin
      table_q[256*tword_q +: 256] <= tbuf_rdata_i[255:0];  // entries 32*tword_q .. +31
    end
  end

  always_comb begin
    for (int unsigned j = 0; j < MacCols; j++) looked[8*j +: 8] = table_q[{obuf_rdata_i[8*j +: 8], 3'b000} +: 8];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q          <= StIdle;
      tcnt_q           <= '0;
      taddr_q          <= '0;
      rows_left_q      <= '0;
      segs_q           <= '0;
      seg_q            <= '0;
      sstride_q        <= '0;
      dstride_q        <= '0;
      srow_q           <= '0;
      sptr_q           <= '0;
      drow_q           <= '0;
      dptr_q           <= '0;
      empty_q          <= 1'b0;
      tload_q          <= 1'b0;
      tword_q          <= '0;
      s1_valid_q       <= 1'b0;
      s1_final_q       <= 1'b0;
      s1_addr_q        <= '0;
      s2_valid_q       <= 1'b0;
      s2_final_q       <= 1'b0;
      s2_addr_q        <= '0;
      s2_data_q        <= '0;
    end else begin
      state_q          <= state_d;
      tcnt_q           <= tcnt_d;
      taddr_q          <= taddr_d;
      rows_left_q      <= rows_left_d;
      segs_q           <= segs_d;
      seg_q            <= seg_d;
      sstride_q        <= sstride_d;
      dstride_q        <= dstride_d;
      srow_q           <= srow_d;
      sptr_q           <= sptr_d;
      drow_q           <= drow_d;
      dptr_q           <= dptr_d;
      empty_q          <= empty_d;
      tload_q          <= (state_q == StTable);
      tword_q          <= tcnt_q;
      s1_valid_q       <= slot;
      // an empty instruction (no slots) ends two cycles after its last table read, as R14 with N = 0
      s1_final_q       <= slot_final || ((state_q == StTable) && (tcnt_q == 3'd7) && empty_q);
      s1_addr_q        <= dptr_q;
      s2_valid_q       <= s1_valid_q;
      s2_final_q       <= s1_final_q;
      s2_addr_q        <= s1_addr_q;
      s2_data_q        <= looked;
    end
  end

  assign last_o           = s2_final_q;
  assign abuf_req_o.req   = s2_valid_q;
  assign abuf_req_o.we    = s2_valid_q;
  assign abuf_req_o.addr  = s2_valid_q ? s2_addr_q : '0;
  assign abuf_wdata_o     = s2_data_q;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_start_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                           !(start_i && (state_q != StIdle || s1_valid_q || s2_valid_q)))
    else $error("bg_lut: started while running");
`endif

endmodule : bg_lut
