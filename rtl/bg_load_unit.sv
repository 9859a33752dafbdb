// Load unit: DMA from DRAM into a buffer the load DMA may fill (ARCHITECTURE.md R5, R6, R7).
//
// Issued in cycle c0 (issue_i while idle_o): NB = nwords / BeatWords beats are read in bursts of
// BurstBeats beats (the last one may be shorter). Burst 0 is requested in c0+1, burst j+1 in the first
// cycle after burst j's request in which fewer than MaxOutstanding bursts are outstanding (a burst is
// outstanding from its request cycle up to and including the cycle of its last beat). Every beat is
// written into the buffer in the cycle it arrives; complete_o is high in the cycle of the last beat,
// so E = (cycle of the last beat) - c0. NB = 0 (nwords < BeatWords, normally nwords = 0): E = 1.
//
// Faults of an instruction (faults_of): a transfer (NB > 0) into a buffer the load DMA may not fill
// (bitgrid_pkg::buf_loadable) or the machine does not have (BufPresent, from the has_<engine> parameters)
// is fault bad_buffer. fault_o gives them for dsp_insn_i, the instruction being dispatched to the load
// queue (combinationally); the controller stores them beside it and does not issue it when it becomes
// the head (no decoding between the queue head and issue).
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
  // dispatch: fault_o flags dsp_insn_i, the instruction entering this unit's queue (the controller stores
  // the bits beside it)
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic [InsnW-1:0]     dsp_insn_i,
  /* verilator lint_on UNUSEDSIGNAL */
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
  logic [NwW-1:0]  rem_q, rem_d;        // beats not requested yet (a register: no subtractor before
                                        // the burst size, the request and the DRAM's range check)
  localparam int unsigned BeatsW = $clog2(BurstBeats + 1);
  logic [BeatsW-1:0] nxt_q, nxt_d;      // beats of the next request, min(rem_q, BurstBeats) (a register:
                                        // no comparator before the request and the address adder)
  localparam int unsigned RloW = (LogBurst > 0) ? LogBurst : 1;
  logic [NwW-1:0]  left_q, left_d;      // beats not received yet (counted down: no adder before one_d)
  logic [RloW-1:0] rlo_q, rlo_d;        // beats received so far, modulo BurstBeats
  logic            one_q, one_d;        // one beat left to receive (left_q == 1, as a register)
  logic [OutW-1:0] out_q, out_d;        // bursts outstanding
  logic [DramAddrW-1:0] raddr_q, raddr_d;  // DRAM byte address of the next request
  logic [AddrW-1:0] waddr_q, waddr_d;   // buffer word address of the next beat

  logic [NwW-1:0]  insn_nb;
  localparam int unsigned BufIdxW = $clog2(bitgrid_pkg::NumBufs);  // buf_loadable is 0 above
  logic            req_fire, last_beat, burst_done;

  assign insn_nb = insn_i[bitgrid_pkg::LoadNwordsLsb +: NwW] >> LogBeat;

  /* verilator lint_off UNUSEDSIGNAL */  // a load's buffer and length fields only
  function automatic logic [NF-1:0] faults_of(logic [InsnW-1:0] insn);
  /* verilator lint_on UNUSEDSIGNAL */
    logic [BufW-1:0] b;
    faults_of = '0;
    b = insn[bitgrid_pkg::LoadBufLsb +: BufW];
    faults_of[bitgrid_pkg::FaultBadBuffer] = ((insn[bitgrid_pkg::LoadNwordsLsb +: NwW] >> LogBeat) != '0) &&
        !(bitgrid_pkg::buf_loadable(b) && BufPresent[b[BufIdxW-1:0]]);
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

  assign rd_req_valid_o = busy && (nxt_q != '0) && (out_q < OutW'(MaxOutstanding));
  assign rd_req_beats_o = 16'(nxt_q);
  assign rd_req_addr_o  = raddr_q;
  assign req_fire       = rd_req_valid_o;

  // min(n, BurstBeats), with n >= BurstBeats (a power of two) as an OR of the high bits
  function automatic logic [BeatsW-1:0] burst_of(logic [NwW-1:0] n);
    burst_of = (n >> LogBurst) != '0 ? BeatsW'(BurstBeats) : BeatsW'(n);
  endfunction

  assign last_beat  = one_q;
  // the beat ends a burst: the transfer's last, or the last of BurstBeats (received modulo BurstBeats all ones)
  assign burst_done = rd_valid_i && (last_beat || LogBurst == 0 || rlo_q == '1);
  assign last       = !nz_q || (rd_valid_i && last_beat);

  assign spm_we_o    = busy && rd_valid_i;
  assign spm_buf_o   = buf_q;
  assign spm_addr_o  = waddr_q;
  assign spm_wdata_o = rd_data_i;

  always_comb begin
    nz_d    = nz_q;
    buf_d   = buf_q;
    rem_d   = rem_q;
    nxt_d   = nxt_q;
    left_d  = left_q;
    rlo_d   = rlo_q;
    one_d   = one_q;
    out_d   = out_q;
    raddr_d = raddr_q;
    waddr_d = waddr_q;
    if (start) begin
      nz_d    = (insn_nb != '0);
      buf_d   = insn_i[bitgrid_pkg::LoadBufLsb +: BufW];
      rem_d   = insn_nb;
      nxt_d   = burst_of(insn_nb);
      left_d  = insn_nb;
      rlo_d   = '0;
      one_d   = (insn_nb == NwW'(1));
      out_d   = '0;
      raddr_d = insn_i[bitgrid_pkg::LoadDramAddrLsb +: DramAddrW];
      waddr_d = insn_i[bitgrid_pkg::LoadSpmAddrLsb +: AddrW];
    end else if (busy) begin
      if (req_fire) begin
        rem_d   = rem_q - NwW'(nxt_q);
        nxt_d   = burst_of(rem_d);
        raddr_d = raddr_q + (DramAddrW'(rd_req_beats_o) << LogBeatBytes);
      end
      if (rd_valid_i) begin
        left_d  = left_q - 1'b1;
        rlo_d   = rlo_q + 1'b1;
        one_d   = (left_q == NwW'(2));
        waddr_d = waddr_q + AddrW'(BeatWords);
      end
      out_d = out_q + OutW'(req_fire) - OutW'(burst_done);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      nz_q    <= 1'b0;
      buf_q   <= '0;
      rem_q   <= '0;
      nxt_q   <= '0;
      left_q  <= '0;
      rlo_q   <= '0;
      one_q   <= 1'b0;
      out_q   <= '0;
      raddr_q <= '0;
      waddr_q <= '0;
    end else begin
      nz_q    <= nz_d;
      buf_q   <= buf_d;
      rem_q   <= rem_d;
      nxt_q   <= nxt_d;
      left_q  <= left_d;
      rlo_q   <= rlo_d;
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
                                                !(rd_valid_i && (!busy || left_q == rem_q)))
    else $error("bg_load_unit: a read beat arrived that was not requested");
  a_outstanding_in_range: assert property (@(posedge clk_i) disable iff (!asserts_on) out_q <= OutW'(MaxOutstanding))
    else $error("bg_load_unit: more bursts outstanding than MaxOutstanding");
  a_no_illegal_issue: assert property (@(posedge clk_i) disable iff (!asserts_on) !(start && faults_of(insn_i) != '0))
    else $error("bg_load_unit: issued an instruction it faults on");
`endif

endmodule : bg_load_unit
