// Load unit: DMA from DRAM into qbuf or dbuf (ARCHITECTURE.md R5, R6, R7).
//
// Issued in cycle c0 (issue_i while idle_o): NB = nwords / BeatWords beats are read in bursts of
// BurstBeats beats (the last one may be shorter). Burst 0 is requested in c0+1, burst j+1 in the first
// cycle after burst j's request in which fewer than MaxOutstanding bursts are outstanding (a burst is
// outstanding from its request cycle up to and including the cycle of its last beat). Every beat is
// written into the buffer in the cycle it arrives; complete_o is high in the cycle of the last beat,
// so E = (cycle of the last beat) - c0. NB = 0 (nwords < BeatWords, normally nwords = 0): E = 1.
//
// The request outputs depend on registers only; rd_valid_i (one beat per cycle, in request order)
// drives the buffer write and complete_o combinationally.
module load_unit #(
  parameter int unsigned BeatWords      = 4,   // Wb, 64-bit words per DRAM beat
  parameter int unsigned BurstBeats     = 8,   // BB = dram_burst_bytes / dram_bytes_per_cycle
  parameter int unsigned MaxOutstanding = 16,  // dma_max_outstanding
  localparam int unsigned InsnW         = bitgrid_pkg::InsnBits,
  localparam int unsigned BeatBits      = BeatWords * 64,
  localparam int unsigned BeatBytes     = BeatWords * 8,
  localparam int unsigned OutW          = $clog2(MaxOutstanding + 1),
  localparam int unsigned LogBeat       = $clog2(BeatWords),
  localparam int unsigned LogBeatBytes  = $clog2(BeatBytes)
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                issue_i,
  /* verilator lint_off UNUSEDSIGNAL */  // the unit reads only its own fields
  input  logic [InsnW-1:0]    insn_i,
  /* verilator lint_on UNUSEDSIGNAL */
  output logic                idle_o,
  output logic                complete_o,
  output logic                error_o,      // issue of a transfer into a buffer other than qbuf/dbuf
  // DRAM read requests and beats
  output logic                rd_req_valid_o,
  output logic [31:0]         rd_req_addr_o,
  output logic [15:0]         rd_req_beats_o,
  input  logic                rd_valid_i,
  input  logic [BeatBits-1:0] rd_data_i,
  // buffer write (port A of qbuf / dbuf)
  output logic                qbuf_we_o,
  output logic                dbuf_we_o,
  output logic [19:0]         spm_addr_o,
  output logic [BeatBits-1:0] spm_wdata_o
);

  localparam int unsigned NwW = bitgrid_pkg::LoadNwordsW;

  logic            busy_q, busy_d;
  logic            nz_q, nz_d;          // NB > 0
  logic            to_dbuf_q, to_dbuf_d;
  logic            to_qbuf_q, to_qbuf_d;
  logic [NwW-1:0]  nb_q, nb_d;          // beats to move
  logic [NwW-1:0]  req_q, req_d;        // beats requested so far
  logic [NwW-1:0]  rcv_q, rcv_d;        // beats received so far
  logic [OutW-1:0] out_q, out_d;        // bursts outstanding
  logic [31:0]     raddr_q, raddr_d;    // DRAM byte address of the next request
  logic [19:0]     waddr_q, waddr_d;    // buffer word address of the next beat

  logic [NwW-1:0]  insn_nwords, insn_nb, remaining, rcv_next;
  logic [3:0]      insn_buf;
  logic            req_fire, last_beat, burst_done;

  assign insn_nwords = insn_i[bitgrid_pkg::LoadNwordsLsb +: NwW];
  assign insn_nb     = insn_nwords >> LogBeat;
  assign insn_buf    = insn_i[bitgrid_pkg::LoadBufLsb +: 4];

  assign remaining      = nb_q - req_q;
  assign rd_req_valid_o = busy_q && (req_q != nb_q) && (out_q < OutW'(MaxOutstanding));
  assign rd_req_beats_o = (remaining >= NwW'(BurstBeats)) ? 16'(BurstBeats) : 16'(remaining);
  assign rd_req_addr_o  = raddr_q;
  assign req_fire       = rd_req_valid_o;

  assign rcv_next   = rcv_q + 1'b1;
  assign last_beat  = (rcv_next == nb_q);
  assign burst_done = rd_valid_i && (last_beat || ((rcv_next & NwW'(BurstBeats - 1)) == '0));

  assign qbuf_we_o   = busy_q && rd_valid_i && to_qbuf_q;
  assign dbuf_we_o   = busy_q && rd_valid_i && to_dbuf_q;
  assign spm_addr_o  = waddr_q;
  assign spm_wdata_o = rd_data_i;

  assign idle_o     = !busy_q;
  assign complete_o = busy_q && (!nz_q || (rd_valid_i && last_beat));
  assign error_o    = issue_i && !busy_q && (insn_nb != '0) && (insn_buf != bitgrid_pkg::BufQbuf) &&
                      (insn_buf != bitgrid_pkg::BufDbuf);

  always_comb begin
    busy_d    = busy_q;
    nz_d      = nz_q;
    to_dbuf_d = to_dbuf_q;
    to_qbuf_d = to_qbuf_q;
    nb_d      = nb_q;
    req_d     = req_q;
    rcv_d     = rcv_q;
    out_d     = out_q;
    raddr_d   = raddr_q;
    waddr_d   = waddr_q;
    if (!busy_q) begin
      if (issue_i) begin
        busy_d    = 1'b1;
        nz_d      = (insn_nb != '0);
        to_qbuf_d = (insn_buf == bitgrid_pkg::BufQbuf);
        to_dbuf_d = (insn_buf == bitgrid_pkg::BufDbuf);
        nb_d      = insn_nb;
        req_d     = '0;
        rcv_d     = '0;
        out_d     = '0;
        raddr_d   = insn_i[bitgrid_pkg::LoadDramAddrLsb +: 32];
        waddr_d   = insn_i[bitgrid_pkg::LoadSpmAddrLsb +: 20];
      end
    end else begin
      if (req_fire) begin
        req_d   = req_q + NwW'(rd_req_beats_o);
        raddr_d = raddr_q + (32'(rd_req_beats_o) << LogBeatBytes);
      end
      if (rd_valid_i) begin
        rcv_d   = rcv_next;
        waddr_d = waddr_q + 20'(BeatWords);
      end
      out_d = out_q + OutW'(req_fire) - OutW'(burst_done);
      if (complete_o) begin
        busy_d = 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q    <= 1'b0;
      nz_q      <= 1'b0;
      to_dbuf_q <= 1'b0;
      to_qbuf_q <= 1'b0;
      nb_q      <= '0;
      req_q     <= '0;
      rcv_q     <= '0;
      out_q     <= '0;
      raddr_q   <= '0;
      waddr_q   <= '0;
    end else begin
      busy_q    <= busy_d;
      nz_q      <= nz_d;
      to_dbuf_q <= to_dbuf_d;
      to_qbuf_q <= to_qbuf_d;
      nb_q      <= nb_d;
      req_q     <= req_d;
      rcv_q     <= rcv_d;
      out_q     <= out_d;
      raddr_q   <= raddr_d;
      waddr_q   <= waddr_d;
    end
  end

endmodule
