// Store unit: DMA from rbuf to DRAM (ARCHITECTURE.md R5, R6, R8).
//
// Issued in cycle c0 (issue_i while idle_o): NB = nwords / BeatWords beats. Beat b is read from rbuf
// (port A, one beat) in cycle c0+1+b and presented as DRAM write beat b in cycle c0+2+b, b = 0 .. NB-1,
// without stalls. The DRAM acknowledges the beats in order; complete_o is high in the cycle of the last
// beat's acknowledgement, so E = (cycle of that acknowledgement) - c0. NB = 0: E = 1.
module store_unit #(
  parameter int unsigned BeatWords = 4,
  localparam int unsigned InsnW    = bitgrid_pkg::InsnBits,
  localparam int unsigned BeatBits = BeatWords * 64,
  localparam int unsigned LogBeat  = $clog2(BeatWords),
  localparam int unsigned LogBeatBytes = $clog2(BeatWords * 8)
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                issue_i,
  /* verilator lint_off UNUSEDSIGNAL */  // the unit reads only its own fields
  input  logic [InsnW-1:0]    insn_i,
  /* verilator lint_on UNUSEDSIGNAL */
  output logic                idle_o,
  output logic                complete_o,
  output logic                error_o,     // issue of a transfer from a buffer other than rbuf
  // rbuf read (port A, one beat, data next cycle)
  output logic                r_req_o,
  output logic [19:0]         r_addr_o,
  input  logic [BeatBits-1:0] r_rdata_i,
  // DRAM write beats
  output logic                wr_valid_o,
  output logic [31:0]         wr_addr_o,
  output logic [BeatBits-1:0] wr_data_o,
  input  logic                wr_ack_i
);

  localparam int unsigned NwW = bitgrid_pkg::StoreNwordsW;

  logic           busy_q, busy_d;
  logic           nz_q, nz_d;
  logic [NwW-1:0] nb_q, nb_d;        // beats to move
  logic [NwW-1:0] rd_q, rd_d;        // beats read from rbuf so far
  logic [NwW-1:0] ack_q, ack_d;      // beats acknowledged so far
  logic [19:0]    raddr_q, raddr_d;  // rbuf word address of the next read
  logic           pend_q, pend_d;    // a beat read last cycle is presented this cycle
  logic [31:0]    waddr_q, waddr_d;  // DRAM byte address of the presented beat

  logic [NwW-1:0] insn_nb;
  logic [3:0]     insn_buf;

  assign insn_nb  = insn_i[bitgrid_pkg::StoreNwordsLsb +: NwW] >> LogBeat;
  assign insn_buf = insn_i[bitgrid_pkg::StoreBufLsb +: 4];

  assign r_req_o    = busy_q && (rd_q != nb_q);
  assign r_addr_o   = raddr_q;
  assign wr_valid_o = pend_q;
  assign wr_addr_o  = waddr_q;
  assign wr_data_o  = r_rdata_i;

  assign idle_o     = !busy_q;
  assign complete_o = busy_q && (!nz_q || (wr_ack_i && (ack_q + 1'b1 == nb_q)));
  assign error_o    = issue_i && !busy_q && (insn_nb != '0) && (insn_buf != bitgrid_pkg::BufRbuf);

  always_comb begin
    busy_d  = busy_q;
    nz_d    = nz_q;
    nb_d    = nb_q;
    rd_d    = rd_q;
    ack_d   = ack_q;
    raddr_d = raddr_q;
    pend_d  = 1'b0;
    waddr_d = waddr_q;
    if (!busy_q) begin
      if (issue_i) begin
        busy_d  = 1'b1;
        nz_d    = (insn_nb != '0);
        nb_d    = insn_nb;
        rd_d    = '0;
        ack_d   = '0;
        raddr_d = insn_i[bitgrid_pkg::StoreSpmAddrLsb +: 20];
        waddr_d = insn_i[bitgrid_pkg::StoreDramAddrLsb +: 32];
      end
    end else begin
      if (r_req_o) begin
        rd_d    = rd_q + 1'b1;
        raddr_d = raddr_q + 20'(BeatWords);
        pend_d  = 1'b1;
      end
      if (pend_q) begin
        waddr_d = waddr_q + (32'd1 << LogBeatBytes);
      end
      if (wr_ack_i) begin
        ack_d = ack_q + 1'b1;
      end
      if (complete_o) begin
        busy_d = 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q  <= 1'b0;
      nz_q    <= 1'b0;
      nb_q    <= '0;
      rd_q    <= '0;
      ack_q   <= '0;
      raddr_q <= '0;
      pend_q  <= 1'b0;
      waddr_q <= '0;
    end else begin
      busy_q  <= busy_d;
      nz_q    <= nz_d;
      nb_q    <= nb_d;
      rd_q    <= rd_d;
      ack_q   <= ack_d;
      raddr_q <= raddr_d;
      pend_q  <= pend_d;
      waddr_q <= waddr_d;
    end
  end

endmodule
