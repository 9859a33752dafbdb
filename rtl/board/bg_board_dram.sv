// DRAM stand-in of the FPGA board: bitgrid_top's DRAM pins served with rule R6 (docs/ARCHITECTURE.md,
// sim/dram_model.h) exactly, cycle for cycle, from a single-port on-chip memory, so that a program's
// cycle count on the board equals the rtl and systemc backends'.
//
// Timing (R6). `now` counts cycles. A request seen in cycle t (the store's write beat first, then the
// load's read burst) gets start = max(t + Latency, bus_free) and sets bus_free = start + beats (a write:
// 1 beat). The bus is kept as ahead = max(bus_free - now, 0), so only differences are stored. A read's beat
// i is delivered (rd_valid_o, rd_data_o) in cycle start + i; a write is acknowledged (wr_ack_o) in cycle
// start. Each request thus owns the bus slots start .. start+beats-1; slots of different requests are
// disjoint and increase in request order.
//
// Memory. One read-or-write port with a registered read (the iCE40 UP5K's SB_SPRAM256KA; synth_ice40
// -spram infers them from `mem`). The access of bus slot k is made in cycle k-1: a read beat's data is
// read in k-1 and is on rd_data_o (the read register) in k; a write is written in k-1 and acknowledged in
// k. A request of cycle t has its first slot at t + Latency >= t + 2, so its access cycle comes after the
// cycle it was queued in (hence Latency >= 2). Pending requests wait in two FIFOs, writes {start, beat
// address, data} and read bursts {start, beat address, beats}; each FIFO is in slot order, so the access of
// slot now+1 is always one of the two heads. The read FIFO and the writes' start cycles are flip-flops (the
// heads are compared with now+1 every cycle; with Latency >= 3 that compare is made a cycle ahead, on the
// heads of the next cycle, into two "due" registers); the writes' {beat address, data}, needed only in
// the access cycle, are in a small memory (a block RAM on an FPGA) read one cycle ahead: every cycle it
// reads the entry that is the head in the next cycle. Only a write queued into an empty FIFO in cycle c
// and due in c+1 (Latency 2) is not there in time; with Latency 2 a bypass register holds it.
//
// Why this gives DramModel's data. DramModel moves the data when the request is taken: a read copies the
// memory of cycle t, a write updates it in cycle t (a read of the same cycle sees it). Here the data moves
// at the access cycle k-1 of the request's slot instead. Both orders are the request order: slots are
// handed out in request order (write before read within a cycle), disjoint, and every access happens in
// its own cycle, so the sequence of memory operations is the same sequence of reads and writes, in the same
// order; only the cycles in which they happen move. Each read therefore returns what the last write
// before it in request order left, exactly as in DramModel. (The host port below only runs while both
// FIFOs are empty, so it sees the final image.)
//
// FIFO depths. A read burst is queued from its request to its last access, one cycle less than the load
// unit counts it outstanding (R7), so ReadQDepth >= dma_max_outstanding suffices. A write waits at most
// until the bus slots booked ahead of it pass: Latency cycles plus the reads booked ahead
// (dma_max_outstanding * burst_beats) plus one, hence WriteQDepth >= Latency + MaxOutstanding *
// BurstBeats + 1 (a store overlapping a long load on a saturated bus can still book further ahead: a
// request that finds its FIFO full is dropped, and overflow_o, sticky, tells; the SVA assertion flags it in
// simulation). Both FIFOs are bg_fifo, so each depth is rounded up to a power of two.
//
// Addresses are byte addresses; the memory holds MemBytes (a power of two). A request outside it, not
// beat-aligned, or a read burst of more than BurstBeats beats sets range_err_o (sticky, two cycles after
// the request: the checks are registered halfway, off the requests' paths); the address is masked to the
// memory (a too-long burst is dropped). Statistics count as DramModel::Stats does, at the
// request (the counters add a request's figures in the cycle after it, from registers): read bytes,
// write bytes, read requests, write beats, bus busy cycles, from three counters: read beats
// (stat_read_beats_o), write beats, read requests; bytes are beats x BeatBytes and busy cycles read +
// write beats. While stat_shift_i the three counters shift right by a byte as one chain in that order (a
// byte of each moves into the one before it, zeros come into the last): the board sends them out of
// stat_read_beats_o[7:0] that way, without a multiplexer (StatW a multiple of 8; no request comes while
// shifting, asserted).
//
// Host port: one beat per access (host_addr_i is a beat index), read data on host_rdata_o in the next
// cycle. Only while idle_o (no request pending; asserted).
module bg_board_dram #(
  parameter int unsigned BeatBytes      = 8,
  parameter int unsigned MemBytes       = 128 * 1024,
  parameter int unsigned Latency        = 20,
  parameter int unsigned BurstBeats     = 4,  // longest read burst (dram_burst_bytes / beat bytes)
  parameter int unsigned MaxOutstanding = 2,  // read bursts the load unit keeps in flight
  parameter int unsigned ReadQDepth     = 1 << $clog2(MaxOutstanding),
  parameter int unsigned WriteQDepth    = 1 << $clog2(Latency + MaxOutstanding * BurstBeats + 1),
  parameter int unsigned StatW          = 64,  // width of the statistics counters (they wrap)
  localparam int unsigned BeatBits = BeatBytes * 8,
  localparam int unsigned MemBeats = MemBytes / BeatBytes,
  localparam int unsigned MemAW    = $clog2(MemBeats)
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // bitgrid_top's DRAM pins (R6)
  input  logic                rd_req_valid_i,
  input  logic [31:0]         rd_req_addr_i,
  input  logic [15:0]         rd_req_beats_i,
  output logic                rd_valid_o,
  output logic [BeatBits-1:0] rd_data_o,
  input  logic                wr_valid_i,
  input  logic [31:0]         wr_addr_i,
  input  logic [BeatBits-1:0] wr_data_i,
  output logic                wr_ack_o,
  // host port (idle only)
  output logic                idle_o,
  input  logic                host_req_i,
  input  logic                host_we_i,
  input  logic [MemAW-1:0]    host_addr_i,
  input  logic [BeatBits-1:0] host_wdata_i,
  output logic [BeatBits-1:0] host_rdata_o,
  // DramModel::Stats (shifted out a byte at a time while stat_shift_i) and sticky error flags
  input  logic                stat_shift_i,
  output logic [StatW-1:0]    stat_read_beats_o,
  output logic [StatW-1:0]    stat_read_bytes_o,
  output logic [StatW-1:0]    stat_write_bytes_o,
  output logic [StatW-1:0]    stat_read_requests_o,
  output logic [StatW-1:0]    stat_write_beats_o,
  output logic [StatW-1:0]    stat_bus_busy_o,
  output logic                overflow_o,
  output logic                range_err_o
);

  localparam int unsigned LogBeat = $clog2(BeatBytes);
  localparam int unsigned LogMem  = $clog2(MemBytes);
  localparam int unsigned BeatsW  = $clog2(BurstBeats + 1);
  // Bus slots booked beyond `now` (see the header): at most Latency plus what both FIFOs can hold.
  localparam int unsigned MaxAhead = Latency + WriteQDepth + ReadQDepth * BurstBeats + 2;
  localparam int unsigned AheadW   = $clog2(MaxAhead + 1);
  localparam int unsigned TimeW    = AheadW + 1;  // `now` and start cycles, modulo 2^TimeW
  localparam int unsigned WPayW    = MemAW + BeatBits;  // a pending write's {beat address, data}
  localparam int unsigned WPtrW    = $clog2(WriteQDepth);
  localparam int unsigned REntryW  = TimeW + MemAW + BeatsW;

  if (BeatBytes < 8 || (BeatBytes & (BeatBytes - 1)) != 0) begin : g_bad_beat
    $fatal(1, "bg_board_dram: BeatBytes must be a power of two >= 8");
  end
  if ((MemBytes & (MemBytes - 1)) != 0 || MemBytes < 2 * BeatBytes || LogMem > 32) begin : g_bad_mem
    $fatal(1, "bg_board_dram: MemBytes must be a power of two of at least two beats");
  end
  if (StatW < 8 || StatW % 8 != 0) begin : g_bad_statw
    $fatal(1, "bg_board_dram: StatW must be a multiple of 8");
  end
  if (Latency < 2) begin : g_bad_latency
    $fatal(1, "bg_board_dram: Latency must be at least 2 (a slot's access is made in the cycle before it)");
  end
  if (BurstBeats < 1 || BurstBeats > 65535 || MaxOutstanding < 1) begin : g_bad_burst
    $fatal(1, "bg_board_dram: BurstBeats and MaxOutstanding must be at least 1");
  end
  if (ReadQDepth < MaxOutstanding) begin : g_bad_rq
    $fatal(1, "bg_board_dram: ReadQDepth must be at least MaxOutstanding");
  end
  if (WriteQDepth < Latency + MaxOutstanding * BurstBeats + 1) begin : g_bad_wq
    $fatal(1, "bg_board_dram: WriteQDepth must be at least Latency + MaxOutstanding * BurstBeats + 1");
  end

  // ------------------------------------------------------------------------------------------------
  // Requests: bus booking, range checks, statistics
  logic [TimeW-1:0]  now_q;
  logic [AheadW-1:0] ahead_q, ahead_d;
  logic [AheadW-1:0] m0, m0m1, am1;
  logic              w_range_err, r_range_err, r_too_long;
  logic              w_push, r_push, r_book, overflow_now;
  logic              wq_full, rq_full, wq_empty, rq_empty;
  logic [MemAW-1:0]  w_beat_addr, r_beat_addr;
  logic [BeatsW-1:0] r_beats;
  // r_range_err's end check, addr + beats * BeatBytes > MemBytes, without a 33-bit adder and comparator
  // (the board's slowest path): the low LogMem address bits plus the burst (beats <= BurstBeats; longer
  // bursts are r_too_long) in LoW bits, the high bits only tested for 0, 1 or more.
  localparam int unsigned LoW = ((LogMem > BeatsW + LogBeat) ? LogMem : BeatsW + LogBeat) + 1;
  logic [LoW-1:0]    r_lo_end;
  logic              r_hi_zero, r_hi_one, r_end_err;


  assign w_beat_addr = wr_addr_i[LogBeat +: MemAW];
  assign r_beat_addr = rd_req_addr_i[LogBeat +: MemAW];
  assign r_beats     = BeatsW'(rd_req_beats_i);
  assign r_lo_end    = LoW'(rd_req_addr_i[LogMem-1:0]) + (LoW'(r_beats) << LogBeat);
  if (LogMem < 32) begin : g_hi
    assign r_hi_zero = (rd_req_addr_i >> LogMem) == '0;
    assign r_hi_one  = (rd_req_addr_i >> LogMem) == 32'd1;
  end else begin : g_no_hi
    assign r_hi_zero = 1'b1;
    assign r_hi_one  = 1'b0;
  end
  assign r_too_long  = rd_req_beats_i > 16'(BurstBeats);

  // The checks are finished a cycle later from registers (a request's range error does not change what
  // this cycle does with it): the read's low end, its high-part class and its other errors, the write's.
  logic [LoW-1:0] r_lo_end_q;
  logic           r_chk_q, r_hi_zero_q, r_hi_one_q, r_bad_q, w_bad_q;
  always_comb begin
    w_range_err = (wr_addr_i[LogBeat-1:0] != '0);
    if (LogMem < 32) begin
      w_range_err = w_range_err || (wr_addr_i >> LogMem) != '0;
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      r_chk_q     <= 1'b0;
      r_lo_end_q  <= '0;
      r_hi_zero_q <= 1'b0;
      r_hi_one_q  <= 1'b0;
      r_bad_q     <= 1'b0;
      w_bad_q     <= 1'b0;
    end else begin
      r_chk_q     <= rd_req_valid_i;
      r_lo_end_q  <= r_lo_end;
      r_hi_zero_q <= r_hi_zero;
      r_hi_one_q  <= r_hi_one;
      r_bad_q     <= (rd_req_addr_i[LogBeat-1:0] != '0) || r_too_long;
      w_bad_q     <= wr_valid_i && w_range_err;
    end
  end
  // high part 0: the low end above MemBytes; 1: anything beyond MemBytes itself; more: always
  assign r_end_err = r_hi_zero_q ? ((r_lo_end_q >> (LogMem + 1)) != '0 ||
                                    (r_lo_end_q[LogMem] && r_lo_end_q[LogMem-1:0] != '0)) :
                     r_hi_one_q  ? (r_lo_end_q != '0) : 1'b1;
  assign r_range_err = r_chk_q && (r_bad_q || r_end_err);

  assign w_push = wr_valid_i && !wq_full;
  // A burst of 0 beats books the bus (start = max(t + Latency, bus_free), no slot) but queues nothing.
  assign r_book = rd_req_valid_i && !r_too_long && (rd_req_beats_i == '0 || !rq_full);
  assign r_push = r_book && (rd_req_beats_i != '0);
  // a request dropped because its FIFO is full
  assign overflow_now = (wr_valid_i && wq_full) || (rd_req_valid_i && !r_too_long && rd_req_beats_i != '0 && rq_full);

  // start - now = m0 = max(Latency, ahead) for the write; for the read of the cycle max(Latency, ahead
  // after the write) = m0 + w_push (a write leaves m0 + 1 > Latency). The next ahead (one cycle less, not
  // below 0) is then m0 + w_push + beats - 1 after a read (m0 >= Latency >= 2), m0 after a write alone,
  // max(ahead - 1, 0) after neither. m0, m0 - 1 and ahead - 1 come from the register alone, so the
  // requests pass one multiplexer and one adder.
  always_comb begin
    m0      = (ahead_q > AheadW'(Latency)) ? ahead_q : AheadW'(Latency);
    m0m1    = m0 - 1'b1;
    am1     = (ahead_q == '0) ? '0 : ahead_q - 1'b1;
    ahead_d = r_book ? (w_push ? m0 : m0m1) + AheadW'(r_beats) : (w_push ? m0 : am1);
  end

  logic [StatW-1:0] st_rbeats_q, st_wbeats_q, st_rreq_q;
  logic             st_w_q, st_r_q;  // the previous cycle's write and read requests ...
  localparam int unsigned RbW = (StatW < 16) ? StatW : 16;
  logic [RbW-1:0]   st_rb_q;         // ... and the read's beats (mod 2^StatW)
  logic             overflow_q, range_err_q;

  // A counter shifted right by a byte, b entering at the top (any StatW, 8 included).
  function automatic logic [StatW-1:0] stat_shift_in(logic [StatW-1:0] c, logic [7:0] b);
    stat_shift_in = StatW'({b, c} >> 8);
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      now_q       <= '0;
      ahead_q     <= '0;
      st_rbeats_q <= '0;
      st_wbeats_q <= '0;
      st_rreq_q   <= '0;
      st_w_q      <= 1'b0;
      st_r_q      <= 1'b0;
      st_rb_q     <= '0;
      overflow_q  <= 1'b0;
      range_err_q <= 1'b0;
    end else begin
      now_q   <= now_q + 1'b1;
      ahead_q <= ahead_d;
      st_w_q  <= wr_valid_i;
      st_r_q  <= rd_req_valid_i;
      st_rb_q <= RbW'(rd_req_beats_i);
      if (stat_shift_i) begin
        st_rbeats_q <= stat_shift_in(st_rbeats_q, st_wbeats_q[7:0]);
        st_wbeats_q <= stat_shift_in(st_wbeats_q, st_rreq_q[7:0]);
        st_rreq_q   <= stat_shift_in(st_rreq_q, 8'b0);
      end else begin
        if (st_w_q) begin
          st_wbeats_q <= st_wbeats_q + 1'b1;
        end
        if (st_r_q) begin
          st_rbeats_q <= st_rbeats_q + StatW'(st_rb_q);
          st_rreq_q   <= st_rreq_q + 1'b1;
        end
      end
      if (overflow_now) begin
        overflow_q <= 1'b1;
      end
      if (w_bad_q || r_range_err) begin
        range_err_q <= 1'b1;
      end
    end
  end

  assign stat_read_beats_o    = st_rbeats_q;
  assign stat_read_bytes_o    = st_rbeats_q << LogBeat;
  assign stat_write_bytes_o   = st_wbeats_q << LogBeat;
  assign stat_read_requests_o = st_rreq_q;
  assign stat_write_beats_o   = st_wbeats_q;
  assign stat_bus_busy_o      = st_rbeats_q + st_wbeats_q;
  assign overflow_o           = overflow_q;
  assign range_err_o          = range_err_q;

  // ------------------------------------------------------------------------------------------------
  // Pending requests
  logic [REntryW-1:0] rq_head;
  logic               wq_pop, rq_pop;
  logic [TimeW-1:0]   w_start, r_start;

  assign w_start = now_q + TimeW'(m0);
  assign r_start = w_start + TimeW'(w_push);

  localparam int unsigned RQD = ReadQDepth < 2 ? 2 : ReadQDepth;
  logic [TimeW-1:0]   wh_start, wh2_start;
  logic [REntryW-1:0] rq_second;
  logic [WPtrW-1:0]   wq_rptr, wq_wptr;
  logic [$clog2(WriteQDepth):0] wq_cnt;
  logic [$clog2(RQD):0]         rq_cnt;

  /* verilator lint_off PINCONNECTEMPTY */
  bg_fifo #(
    .Width(TimeW),
    .Depth(WriteQDepth)
  ) u_wq (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .push_i  (w_push),
    .wdata_i (w_start),
    .pop_i   (wq_pop),
    .head_o  (wh_start),
    .second_o(wh2_start),
    .rptr_o  (wq_rptr),
    .wptr_o  (wq_wptr),
    .count_o (wq_cnt),
    .full_o  (wq_full),
    .empty_o (wq_empty)
  );

  bg_fifo #(
    .Width(REntryW),
    .Depth(RQD)
  ) u_rq (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .push_i  (r_push),
    .wdata_i ({r_start, r_beat_addr, r_beats}),
    .pop_i   (rq_pop),
    .head_o  (rq_head),
    .second_o(rq_second),
    .rptr_o  (),
    .wptr_o  (),
    .count_o (rq_cnt),
    .full_o  (rq_full),
    .empty_o (rq_empty)
  );
  /* verilator lint_on PINCONNECTEMPTY */

  // The pending writes' payload, in the order of u_wq (indexed with its slots); wp_rdata_q is the entry
  // at u_wq's head in this cycle (see the header).
  logic [WPtrW-1:0] wp_raddr;
  logic [WPayW-1:0] wp_rdata_q, wh_pay;
  (* ram_style = "block", no_rw_check *) logic [WPayW-1:0] wpay_mem [WriteQDepth];

  assign wp_raddr = wq_rptr + WPtrW'(wq_pop);

  always_ff @(posedge clk_i) begin
    if (w_push) begin
      wpay_mem[wq_wptr] <= {w_beat_addr, wr_data_i};
    end
    wp_rdata_q <= wpay_mem[wp_raddr];
  end

  if (Latency < 3) begin : g_wbypass
    // A write pushed in cycle c to the entry read in c (the FIFO's next head) may be due in c+1.
    logic             byp_q;
    logic [WPayW-1:0] byp_pay_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        byp_q <= 1'b0;
      end else begin
        byp_q <= w_push && (wq_wptr == wp_raddr);
      end
    end
    always_ff @(posedge clk_i) begin
      if (w_push) begin
        byp_pay_q <= {w_beat_addr, wr_data_i};
      end
    end
    assign wh_pay = byp_q ? byp_pay_q : wp_rdata_q;
  end else begin : g_no_wbypass
    assign wh_pay = wp_rdata_q;
  end

  logic [TimeW-1:0]    rh_start, slot;
  logic [MemAW-1:0]    wh_addr, rh_addr;
  logic [BeatBits-1:0] wh_data;
  logic [BeatsW-1:0]   rh_beats;
  logic [BeatsW-1:0]   rbeat_q, rbeat_d;  // beats of the head burst already accessed
  logic                w_due, r_due;

  assign {wh_addr, wh_data}            = wh_pay;
  assign {rh_start, rh_addr, rh_beats} = rq_head;
  assign slot  = now_q + 1'b1;  // the bus slot whose access is made in this cycle
  if (Latency < 3) begin : g_due_now
    // the heads compared with the slot in the cycle itself
    assign w_due = !wq_empty && (wh_start == slot);
    assign r_due = !rq_empty && (rh_start + TimeW'(rbeat_q) == slot);
    logic unused_ahead;
    assign unused_ahead = ^{wh2_start, rq_second, wq_cnt, rq_cnt};
  end else begin : g_due_ahead
    // The same, decided a cycle ahead from registers (the heads' compare was the board's slowest path):
    // next cycle's write head is the entry behind the head after a pop, else the head; a request queued
    // now starts at now + Latency >= now + 3 and cannot be due next cycle (slot now + 2). A read burst
    // due now stays due for its next beat (its slots are consecutive) unless this is its last; after
    // it, the entry behind it; a burst not due yet has rbeat_q = 0.
    logic             w_due_q, r_due_q, w_due_d, r_due_d;
    logic [TimeW-1:0] slot2, rh2_start;
    assign slot2     = now_q + TimeW'(2);
    assign rh2_start = rq_second[REntryW-1 -: TimeW];
    logic unused_second;
    assign unused_second = ^rq_second[REntryW-TimeW-1:0];
    assign w_due_d = w_due_q ? (wq_cnt >= 2 && wh2_start == slot2) : (!wq_empty && wh_start == slot2);
    assign r_due_d = r_due_q ? (!rq_pop || (rq_cnt >= 2 && rh2_start == slot2))
                             : (!rq_empty && rh_start == slot2);
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        w_due_q <= 1'b0;
        r_due_q <= 1'b0;
      end else begin
        w_due_q <= w_due_d;
        r_due_q <= r_due_d;
      end
    end
    assign w_due = w_due_q;
    assign r_due = r_due_q;
  end
  assign wq_pop = w_due;
  // One-beat bursts (BurstBeats 1; bursts longer than BurstBeats are never queued): every access ends its
  // burst and rbeat_q stays 0, said here so that no adder or compare is built (iCE40 Fmax).
  assign rq_pop = r_due && (BurstBeats == 1 || rbeat_q + 1'b1 == rh_beats);
  assign rbeat_d = !r_due ? rbeat_q : rq_pop ? '0 : rbeat_q + 1'b1;
  assign idle_o  = wq_empty && rq_empty;

  // ------------------------------------------------------------------------------------------------
  // Memory: one port, registered read
  logic                mem_en, mem_we;
  logic [MemAW-1:0]    mem_addr;
  logic [BeatBits-1:0] mem_wdata, mem_rdata_q;
  logic [BeatBits-1:0] mem [MemBeats];
  logic                rvalid_q, wack_q;

  always_comb begin
    mem_en    = 1'b0;
    mem_we    = 1'b0;
    mem_addr  = host_addr_i;
    mem_wdata = host_wdata_i;
    if (host_req_i) begin
      mem_en = 1'b1;
      mem_we = host_we_i;
    end else if (w_due) begin
      mem_en    = 1'b1;
      mem_we    = 1'b1;
      mem_addr  = wh_addr;
      mem_wdata = wh_data;
    end else if (r_due) begin
      mem_en   = 1'b1;
      mem_addr = (BurstBeats == 1) ? rh_addr : rh_addr + MemAW'(rbeat_q);
    end
  end

  always_ff @(posedge clk_i) begin
    if (mem_en) begin
      if (mem_we) begin
        mem[mem_addr] <= mem_wdata;
      end else begin
        mem_rdata_q <= mem[mem_addr];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rbeat_q  <= '0;
      rvalid_q <= 1'b0;
      wack_q   <= 1'b0;
    end else begin
      rbeat_q  <= rbeat_d;
      rvalid_q <= r_due;
      wack_q   <= w_due;
    end
  end

  assign rd_valid_o   = rvalid_q;
  assign rd_data_o    = mem_rdata_q;
  assign wr_ack_o     = wack_q;
  assign host_rdata_o = mem_rdata_q;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_no_overflow: assert property (@(posedge clk_i) disable iff (!asserts_on) !overflow_now)
    else $error("bg_board_dram: a request found its FIFO full (WriteQDepth/ReadQDepth too small)");
  // the due flags (registered a cycle ahead when Latency >= 3) are the heads' compare with the slot
  a_w_due: assert property (@(posedge clk_i) disable iff (!asserts_on) w_due == (!wq_empty && wh_start == slot))
    else $error("bg_board_dram: write due flag differs from the head compare");
  a_r_due: assert property (@(posedge clk_i) disable iff (!asserts_on)
                            r_due == (!rq_empty && rh_start + TimeW'(rbeat_q) == slot))
    else $error("bg_board_dram: read due flag differs from the head compare");
  a_one_slot: assert property (@(posedge clk_i) disable iff (!asserts_on) !(w_due && r_due))
    else $error("bg_board_dram: a write and a read own the same bus slot");
  a_no_request_when_shifting: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                               stat_shift_i |-> !(wr_valid_i || rd_req_valid_i || st_w_q || st_r_q))
    else $error("bg_board_dram: a request while the statistics shift out");
  a_host_idle: assert property (@(posedge clk_i) disable iff (!asserts_on) host_req_i |-> idle_o)
    else $error("bg_board_dram: host access while requests are pending");
  a_no_request_in_host_cycle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                               host_req_i |-> !(wr_valid_i || rd_req_valid_i))
    else $error("bg_board_dram: host access in a cycle with an accelerator request");
`endif

endmodule : bg_board_dram
