// Store unit: DMA from a buffer the store DMA may drain to DRAM (ARCHITECTURE.md R5, R6, R8).
//
// Issued in cycle c0 (issue_i while idle_o): NB = nwords / BeatWords beats. Beat b is read from the
// buffer (port A, one beat) in cycle c0+1+b and presented as DRAM write beat b in cycle c0+2+b,
// b = 0 .. NB-1, without stalls. The DRAM acknowledges the beats in order; complete_o is high in the cycle
// of the last beat's acknowledgement, so E = (cycle of that acknowledgement) - c0. NB = 0: E = 1.
//
// Faults of an instruction (faults_of): a transfer (NB > 0) from a buffer the store DMA may not drain
// (bitgrid_pkg::buf_storable) or the machine does not have (BufPresent, from the has_<engine> parameters)
// is fault bad_buffer. fault_o gives them for dsp_insn_i, the instruction being dispatched to the store
// queue (combinationally); the controller stores them beside it and does not issue it when it becomes
// the head.
// r_buf_o holds the source buffer for the whole instruction, so the read data mux may follow it.
module bg_store_unit #(
  parameter int unsigned BeatWords = 4,
  parameter logic [bitgrid_pkg::NumBufs-1:0] BufPresent = {bitgrid_pkg::NumBufs{1'b1}},  // bit b: the machine has buffer b
  localparam int unsigned InsnW    = bitgrid_pkg::InsnBits,
  localparam int unsigned NF       = bitgrid_pkg::NumFaults,
  localparam int unsigned AddrW    = bitgrid_pkg::SpmAddrW,
  localparam int unsigned BufW     = bitgrid_pkg::BufIdW,
  localparam int unsigned DramAddrW = bitgrid_pkg::StoreDramAddrW,
  localparam int unsigned BeatBits = BeatWords * 64,
  localparam int unsigned LogBeat  = $clog2(BeatWords),
  localparam int unsigned LogBeatBytes = $clog2(BeatWords * 8)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 issue_i,
  /* verilator lint_off UNUSEDSIGNAL */  // the unit reads only its own fields
  input  logic [InsnW-1:0]     insn_i,
  /* verilator lint_on UNUSEDSIGNAL */
  output logic                 idle_o,
  output logic                 complete_o,
  output logic [NF-1:0]        fault_o,
  // dispatch: fault_o flags dsp_insn_i, the instruction entering this unit's queue (the controller stores
  // the bits beside it)
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic [InsnW-1:0]     dsp_insn_i,
  /* verilator lint_on UNUSEDSIGNAL */
  // buffer read (port A, one beat, data next cycle)
  output logic                 r_req_o,
  output logic [BufW-1:0]      r_buf_o,
  output logic [AddrW-1:0]     r_addr_o,
  input  logic [BeatBits-1:0]  r_rdata_i,
  // DRAM write beats
  output logic                 wr_valid_o,
  output logic [DramAddrW-1:0] wr_addr_o,
  output logic [BeatBits-1:0]  wr_data_o,
  input  logic                 wr_ack_i
);

  if (BeatWords < 1 || (BeatWords & (BeatWords - 1)) != 0) begin : g_bad_beat
    $fatal(1, "bg_store_unit: BeatWords must be a power of two");
  end

  localparam int unsigned NwW = bitgrid_pkg::StoreNwordsW;

  logic            busy, start, last;
  logic            nz_q, nz_d;
  logic [BufW-1:0] buf_q, buf_d;
  logic [NwW-1:0]  nb_q, nb_d;        // beats to move
  logic [NwW-1:0]  rd_q, rd_d;        // beats read from the buffer so far
  logic [NwW-1:0]  ack_q, ack_d;      // beats acknowledged so far
  logic            one_q, one_d;      // one acknowledgement left (ack_q + 1 == nb_q, as a register)
  logic [AddrW-1:0] raddr_q, raddr_d; // buffer word address of the next read
  logic            pend_q, pend_d;    // a beat read last cycle is presented this cycle
  logic [DramAddrW-1:0] waddr_q, waddr_d;  // DRAM byte address of the presented beat

  logic [NwW-1:0]  insn_nb;
  localparam int unsigned BufIdxW = $clog2(bitgrid_pkg::NumBufs);  // buf_storable is 0 above

  assign insn_nb = insn_i[bitgrid_pkg::StoreNwordsLsb +: NwW] >> LogBeat;

  /* verilator lint_off UNUSEDSIGNAL */  // a store's buffer and length fields only
  function automatic logic [NF-1:0] faults_of(logic [InsnW-1:0] insn);
  /* verilator lint_on UNUSEDSIGNAL */
    logic [BufW-1:0] b;
    faults_of = '0;
    b = insn[bitgrid_pkg::StoreBufLsb +: BufW];
    faults_of[bitgrid_pkg::FaultBadBuffer] = ((insn[bitgrid_pkg::StoreNwordsLsb +: NwW] >> LogBeat) != '0) &&
        !(bitgrid_pkg::buf_storable(b) && BufPresent[b[BufIdxW-1:0]]);
  endfunction
  assign fault_o = faults_of(dsp_insn_i);

  bg_exec_ctrl u_exec (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .issue_i   (issue_i),
    .last_i    (last),
    .idle_o    (idle_o),
    .busy_o    (busy),
    .complete_o(complete_o)
  );
  assign start = issue_i && idle_o;
  assign last  = !nz_q || (wr_ack_i && one_q);

  assign r_req_o    = busy && (rd_q != nb_q);
  assign r_buf_o    = buf_q;
  assign r_addr_o   = raddr_q;
  assign wr_valid_o = pend_q;
  assign wr_addr_o  = waddr_q;
  assign wr_data_o  = r_rdata_i;

  always_comb begin
    nz_d    = nz_q;
    buf_d   = buf_q;
    nb_d    = nb_q;
    rd_d    = rd_q;
    ack_d   = ack_q;
    one_d   = one_q;
    raddr_d = raddr_q;
    pend_d  = 1'b0;
    waddr_d = waddr_q;
    if (start) begin
      nz_d    = (insn_nb != '0);
      buf_d   = insn_i[bitgrid_pkg::StoreBufLsb +: BufW];
      nb_d    = insn_nb;
      rd_d    = '0;
      ack_d   = '0;
      one_d   = (insn_nb == NwW'(1));
      raddr_d = insn_i[bitgrid_pkg::StoreSpmAddrLsb +: AddrW];
      waddr_d = insn_i[bitgrid_pkg::StoreDramAddrLsb +: DramAddrW];
    end else if (busy) begin
      if (r_req_o) begin
        rd_d    = rd_q + 1'b1;
        raddr_d = raddr_q + AddrW'(BeatWords);
        pend_d  = 1'b1;
      end
      if (pend_q) begin
        waddr_d = waddr_q + (DramAddrW'(1) << LogBeatBytes);
      end
      if (wr_ack_i) begin
        ack_d = ack_q + 1'b1;
        one_d = (ack_q + NwW'(2) == nb_q);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      nz_q    <= 1'b0;
      buf_q   <= '0;
      nb_q    <= '0;
      rd_q    <= '0;
      ack_q   <= '0;
      one_q   <= 1'b0;
      raddr_q <= '0;
      pend_q  <= 1'b0;
      waddr_q <= '0;
    end else begin
      nz_q    <= nz_d;
      buf_q   <= buf_d;
      nb_q    <= nb_d;
      rd_q    <= rd_d;
      ack_q   <= ack_d;
      one_q   <= one_d;
      raddr_q <= raddr_d;
      pend_q  <= pend_d;
      waddr_q <= waddr_d;
    end
  end

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_acks_only_when_written: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                             !(wr_ack_i && (!busy || ack_q == rd_q)))
    else $error("bg_store_unit: a write acknowledgement for no written beat");
  a_no_illegal_issue: assert property (@(posedge clk_i) disable iff (!asserts_on) !(start && faults_of(insn_i) != '0))
    else $error("bg_store_unit: issued an instruction it faults on");
`endif

endmodule : bg_store_unit
