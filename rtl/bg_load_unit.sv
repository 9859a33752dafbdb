// Load unit: DMA from DRAM into a buffer the load DMA may fill (ARCHITECTURE.md R5, R6, R7).
//
// Issued in cycle c0 (issue_i while idle_o): NB = nwords / BeatWords beats are read in bursts of
// BurstBeats beats (the last one may be shorter). Burst 0 is requested in c0+1, burst j+1 in the first
// cycle after burst j's request in which fewer than MaxOutstanding bursts are outstanding (a burst is
// outstanding from its request cycle up to and including the cycle of its last beat). Every beat is
// written into the buffer in the cycle it arrives; complete_o is high in the cycle of the last beat,
// so E = (cycle of the last beat) - c0. NB = 0 (nwords < BeatWords, normally nwords = 0): E = 1.
//
// fault_o flags the head instruction insn_i (combinationally, whether or not it issues): a transfer
// (NB > 0) into a buffer the load DMA may not fill (bitgrid_pkg::buf_loadable) or the machine does not
// have (BufPresent, from the has_<engine> parameters) is fault bad_buffer; the controller then does not
// issue it.
//
// The request outputs depend on registers only; rd_valid_i (one beat per cycle, in request order)
// drives the buffer write and complete_o combinationally.
module bg_load_unit #(
  parameter int unsigned BeatWords      = 4,   // Wb, 64-bit words per DRAM beat
  parameter int unsigned BurstBeats     = 8,   // BB = dram_burst_bytes / dram_bytes_per_cycle
  parameter int unsigned MaxOutstanding = 16,  // dma_max_outstanding
  parameter logic [bitgrid_pkg::NumBufs-1:0] BufPresent = {bitgrid_pkg::NumBufs{1'b1}},  // bit b: the machine has buffer b
  localparam int unsigned InsnW         = bitgrid_pkg::InsnBits,
  localparam int unsigned NF            = bitgrid_pkg::NumFaults,
  localparam int unsigned AddrW         = bitgrid_pkg::SpmAddrW,
  localparam int unsigned BufW          = bitgrid_pkg::BufIdW,
  localparam int unsigned DramAddrW     = bitgrid_pkg::LoadDramAddrW,
  localparam int unsigned BeatBits      = BeatWords * 64,
  localparam int unsigned BeatBytes     = BeatWords * 8,
  localparam int unsigned OutW          = $clog2(MaxOutstanding + 1),
  localparam int unsigned LogBeat       = $clog2(BeatWords),
  localparam int unsigned LogBeatBytes  = $clog2(BeatBytes)
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
  // DRAM read requests and beats
  output logic                 rd_req_valid_o,
  output logic [DramAddrW-1:0] rd_req_addr_o,
  output logic [15:0]          rd_req_beats_o,
  input  logic                 rd_valid_i,
  input  logic [BeatBits-1:0]  rd_data_i,
  // buffer write (port A of the buffer spm_buf_o)
  output logic                 spm_we_o,
  output logic [BufW-1:0]      spm_buf_o,
  output logic [AddrW-1:0]     spm_addr_o,
  output logic [BeatBits-1:0]  spm_wdata_o
);

  if (BeatWords < 1 || (BeatWords & (BeatWords - 1)) != 0) begin : g_bad_beat
    $fatal(1, "bg_load_unit: BeatWords must be a power of two");
  end
  if (BurstBeats < 1 || (BurstBeats & (BurstBeats - 1)) != 0 || BurstBeats > 65535) begin : g_bad_burst
    $fatal(1, "bg_load_unit: BurstBeats must be a power of two below 2^16");
  end
  if (MaxOutstanding < 1) begin : g_bad_outstanding
    $fatal(1, "bg_load_unit: MaxOutstanding must be at least 1");
  end

  localparam int unsigned NwW = bitgrid_pkg::LoadNwordsW;
  localparam int unsigned LogBurst = $clog2(BurstBeats);

  logic            busy, start, last;
  logic            nz_q, nz_d;          // NB > 0
  logic [BufW-1:0] buf_q, buf_d;
  logic [NwW-1:0]  nb_q, nb_d;          // beats to move
  logic [NwW-1:0]  rem_q, rem_d;        // beats not requested yet (a register: no subtractor before
                                        // the burst size, the request and the DRAM's range check)
  logic [NwW-1:0]  rcv_q, rcv_d;        // beats received so far
  logic            one_q, one_d;        // one beat left to receive (rcv_q + 1 == nb_q, as a register)
  logic [OutW-1:0] out_q, out_d;        // bursts outstanding
  logic [DramAddrW-1:0] raddr_q, raddr_d;  // DRAM byte address of the next request
  logic [AddrW-1:0] waddr_q, waddr_d;   // buffer word address of the next beat

  logic [NwW-1:0]  insn_nb, rcv_next;
  localparam int unsigned BufIdxW = $clog2(bitgrid_pkg::NumBufs);  // buf_loadable is 0 above
  logic [BufW-1:0] insn_buf;
  logic            req_fire, last_beat, burst_done;

  assign insn_nb  = insn_i[bitgrid_pkg::LoadNwordsLsb +: NwW] >> LogBeat;
  assign insn_buf = insn_i[bitgrid_pkg::LoadBufLsb +: BufW];

  always_comb begin
    fault_o = '0;
    fault_o[bitgrid_pkg::FaultBadBuffer] = (insn_nb != '0) &&
        !(bitgrid_pkg::buf_loadable(insn_buf) && BufPresent[insn_buf[BufIdxW-1:0]]);
  end

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

  assign rd_req_valid_o = busy && (rem_q != '0) && (out_q < OutW'(MaxOutstanding));
  // rem_q >= BurstBeats (a power of two) as an OR of the high bits, not a comparator's carry chain.
  assign rd_req_beats_o = (rem_q >> LogBurst) != '0 ? 16'(BurstBeats) : 16'(rem_q);
  assign rd_req_addr_o  = raddr_q;
  assign req_fire       = rd_req_valid_o;

  assign rcv_next   = rcv_q + 1'b1;
  assign last_beat  = one_q;
  // the beat ends a burst: the transfer's last, or the last of BurstBeats (rcv_q's low bits all ones)
  assign burst_done = rd_valid_i && (last_beat || ((rcv_q & NwW'(BurstBeats - 1)) == NwW'(BurstBeats - 1)));
  assign last       = !nz_q || (rd_valid_i && last_beat);

  assign spm_we_o    = busy && rd_valid_i;
  assign spm_buf_o   = buf_q;
  assign spm_addr_o  = waddr_q;
  assign spm_wdata_o = rd_data_i;

  always_comb begin
    nz_d    = nz_q;
    buf_d   = buf_q;
    nb_d    = nb_q;
    rem_d   = rem_q;
    rcv_d   = rcv_q;
    one_d   = one_q;
    out_d   = out_q;
    raddr_d = raddr_q;
    waddr_d = waddr_q;
    if (start) begin
      nz_d    = (insn_nb != '0);
      buf_d   = insn_buf;
      nb_d    = insn_nb;
      rem_d   = insn_nb;
      rcv_d   = '0;
      one_d   = (insn_nb == NwW'(1));
      out_d   = '0;
      raddr_d = insn_i[bitgrid_pkg::LoadDramAddrLsb +: DramAddrW];
      waddr_d = insn_i[bitgrid_pkg::LoadSpmAddrLsb +: AddrW];
    end else if (busy) begin
      if (req_fire) begin
        rem_d   = rem_q - NwW'(rd_req_beats_o);
        raddr_d = raddr_q + (DramAddrW'(rd_req_beats_o) << LogBeatBytes);
      end
      if (rd_valid_i) begin
        rcv_d   = rcv_next;
        one_d   = (rcv_next + 1'b1 == nb_q);
        waddr_d = waddr_q + AddrW'(BeatWords);
      end
      out_d = out_q + OutW'(req_fire) - OutW'(burst_done);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      nz_q    <= 1'b0;
      buf_q   <= '0;
      nb_q    <= '0;
      rem_q   <= '0;
      rcv_q   <= '0;
      one_q   <= 1'b0;
      out_q   <= '0;
      raddr_q <= '0;
      waddr_q <= '0;
    end else begin
      nz_q    <= nz_d;
      buf_q   <= buf_d;
      nb_q    <= nb_d;
      rem_q   <= rem_d;
      rcv_q   <= rcv_d;
      one_q   <= one_d;
      out_q   <= out_d;
      raddr_q <= raddr_d;
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
  a_beats_only_when_requested: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                                !(rd_valid_i && (!busy || rcv_q == nb_q - rem_q)))
    else $error("bg_load_unit: a read beat arrived that was not requested");
  a_outstanding_in_range: assert property (@(posedge clk_i) disable iff (!asserts_on) out_q <= OutW'(MaxOutstanding))
    else $error("bg_load_unit: more bursts outstanding than MaxOutstanding");
  a_no_illegal_issue: assert property (@(posedge clk_i) disable iff (!asserts_on) !(start && fault_o != '0))
    else $error("bg_load_unit: issued an instruction it faults on");
`endif

endmodule : bg_load_unit
