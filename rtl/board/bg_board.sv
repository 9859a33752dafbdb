// The FPGA board, vendor-neutral (docs/BOARD.md): bitgrid_top, its DRAM stand-in (bg_board_dram), a
// program memory and a UART host link running the board protocol of docs/BOARD.md.
//
// bitgrid_top is instantiated without parameter overrides: the build compiles a configured package
// (scripts/rtl_files.sh bitgrid_configured_pkg) in place of rtl/gen/bitgrid_pkg.sv, whose Default*
// values are the hardware config's; the DRAM parameters below come from the same values.
//
// A run ('S') presents the program exactly as the rtl backend's harness (sim/rtl_harness.cpp) does:
// the accelerator is held in reset for 2 cycles, then released; cycle 0 is the first cycle after the
// release; instruction 0 is presented in cycle 0 and, after each cycle that accepts the presented
// instruction (insn_valid && insn_ready, R1), the next one in the next cycle, until the program ends.
// The run ends in the first cycle c with error_o (status 1, causes = cause_o), else with done_o (status
// 0), else with c = max_cycles (status 2; max_cycles 0, no limit, and values above 2^CountW - 1 mean
// 2^CountW - 1); cycles = c. Busy cycles (busy_o) and DRAM requests are counted in cycles 0 .. c-1
// (requests of cycle c are not made, as in the harness, R4).
// The accelerator is held in reset from c+1 on; the DRAM finishes the requests it has accepted (their
// writes land, as in DramModel, where they landed at the request) before the reply is sent.
//
// Unlike the simulators, the scratchpads are not cleared between runs (the RTL has no clear): a program
// must not read scratchpad words it has not written in the same run.
module bg_board #(
  parameter int unsigned ClksPerBit = 104,         // clock / baud (12 MHz / 115200 = 104)
  parameter int unsigned ProgInsns  = 256,         // program memory (instructions)
  parameter int unsigned MemBytes   = 128 * 1024,  // DRAM stand-in (a power of two)
  parameter logic [31:0] ConfigHash = 32'h0,       // reported by 'I' (the build's config hash)
  // Width of the cycle, busy and DRAM counters and of max_cycles (the reply sends them as u64): 32 bits
  // count 2^32 cycles, 143 s at 30 MHz (the DRAM stand-in's 128 KiB are read in well under a second); a
  // max_cycles of 0 (no limit) or above 2^CountW - 1 means 2^CountW - 1. (40 bits cost the UP5K about 100
  // more cells and about 2 MHz.)
  parameter int unsigned CountW     = 32,
  localparam int unsigned InsnW     = bitgrid_pkg::InsnBits
) (
  input  logic clk_i,
  input  logic rst_ni,
  input  logic uart_rx_i,
  output logic uart_tx_o,
  output logic running_o,    // a run is in progress
  output logic last_fail_o   // the last run did not end with done, or the DRAM flagged an error
);

  localparam int unsigned BeatBytes  = bitgrid_pkg::DefaultDramBytesPerCycle;
  localparam int unsigned Latency    = bitgrid_pkg::DefaultDramLatency;
  localparam int unsigned BurstBeats = bitgrid_pkg::DefaultDramBurstBytes / BeatBytes;
  localparam int unsigned MaxOut     = bitgrid_pkg::DefaultDmaMaxOutstanding;
  localparam int unsigned NQ         = bitgrid_pkg::NumQueues;
  localparam int unsigned NF         = bitgrid_pkg::NumFaults;
  localparam int unsigned BeatBits   = BeatBytes * 8;
  localparam int unsigned LogBeat    = $clog2(BeatBytes);
  localparam int unsigned MemAW      = $clog2(MemBytes / BeatBytes);
  localparam int unsigned ProgAW     = $clog2(ProgInsns);
  localparam int unsigned InsnBytes  = InsnW / 8;
  localparam int unsigned IdentLen   = 18;                   // 'I' .. 'K'
  localparam int unsigned FinalLen   = 3 + 8 + 8 * NQ + 24 + 2;  // 'F' .. 'K'
  localparam logic [7:0]  ProtocolVersion = 8'd2;

  if (ProgInsns < 2 || (ProgInsns & (ProgInsns - 1)) != 0) begin : g_bad_prog
    $fatal(1, "bg_board: ProgInsns must be a power of two >= 2");
  end
  if (NF > 8 || FinalLen > 255 || InsnW != 128) begin : g_bad_pkg
    $fatal(1, "bg_board: the protocol needs NumFaults <= 8, NumQueues <= 25 and 128-bit instructions");
  end
  if (CountW < 8 || CountW > 56 || CountW % 8 != 0) begin : g_bad_count
    $fatal(1, "bg_board: CountW must be a multiple of 8 from 8 to 56");
  end
  if (MemBytes > 32'h8000_0000) begin : g_bad_mem
    $fatal(1, "bg_board: MemBytes must be at most 2 GiB");
  end

  // ------------------------------------------------------------------------------------------------
  // UART
  logic       rx_valid, rx_ready, tx_valid, tx_ready;
  logic [7:0] rx_data, tx_data;

  /* verilator lint_off PINCONNECTEMPTY */
  bg_uart_rx #(
    .ClksPerBit(ClksPerBit)
  ) u_rx (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .rx_i       (uart_rx_i),
    .valid_o    (rx_valid),
    .data_o     (rx_data),
    .ready_i    (rx_ready),
    .frame_err_o(),
    .overrun_o  ()
  );
  /* verilator lint_on PINCONNECTEMPTY */

  bg_uart_tx #(
    .ClksPerBit(ClksPerBit)
  ) u_tx (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(tx_valid),
    .data_i (tx_data),
    .ready_o(tx_ready),
    .tx_o   (uart_tx_o)
  );

  // ------------------------------------------------------------------------------------------------
  // Command FSM state
  typedef enum logic [3:0] {
    StCmd,      // wait for a command byte
    StArgs,     // collect the command's argument bytes
    StChk,      // compare the arguments with the limits (registered: the adder and compares end there)
    StExec,     // act on the checked arguments, start the command
    StWData,    // 'W': data bytes
    StWWrite,   // 'W': write an assembled beat
    StRdReq,    // 'R': read a beat
    StRdWait,   // 'R': capture it
    StRdNext,   // 'R': after its bytes went out
    StPData,    // 'P': instruction bytes (each pair written as it completes)
    StPWrite,   // 'P': after an instruction's last pair
    StRunRst,   // 'S': accelerator and DRAM timing in reset (2 cycles)
    StRun,      // 'S': cycles 0 .. end
    StDrain,    // 'S': wait until the DRAM has served its accepted requests
    StSend      // send a reply (kind_q), then go to after_q
  } state_e;

  // The state is one-hot (st_q[s] for state s): each state's conditions then start at one flip-flop
  // (the binary encoding's decode was on the board's longest paths; Yosys does not recode this FSM).
  localparam int unsigned NumSt = 32'(StSend) + 1;  // StSend is the last state
  function automatic logic [NumSt-1:0] oh(state_e s);
    oh    = '0;
    oh[s] = 1'b1;
  endfunction

  typedef enum logic [2:0] {
    RpOk,     // 'K'
    RpErr,    // 'E', code
    RpIdent,  // the 'I' reply
    RpData,   // 'D'
    RpBeat,   // the BeatBytes bytes of beat_q, LSB first
    RpFinal   // the 'F' reply
  } reply_e;

  localparam logic [7:0] ErrUnknown = 8'd1, ErrRange = 8'd2, ErrProgLen = 8'd3, ErrNoProg = 8'd4;

  logic [NumSt-1:0]    st_q, st_d;            // one-hot
  state_e              after_q, after_d;      // a reply's next state (binary; Yosys recodes it)
  reply_e              kind_q, kind_d;
  logic [7:0]          idx_q, idx_d;          // byte index (arguments, reply, beat, instruction)
  logic                idx_clr, idx_inc;      // the FSM clears / steps it (clearing wins)
  logic [7:0]          cmd_q, cmd_d;
  logic [7:0]          err_q, err_d;
  logic [63:0]         args_q, args_d;
  logic                ok_q, ok_d;            // the W/P request is legal
  logic [31:0]         rem_q, rem_d;          // W/R: bytes left; P: instructions left
  logic                rem_one_q, rem_zero_q; // rem_q == 1, rem_q == 0 (registers: no compare before the FSM)
  logic                rem_load, rem_step;    // the FSM loads rem from the arguments / counts it down
  logic [MemAW-1:0]    maddr_q, maddr_d;      // W/R: beat address
  logic [ProgAW:0]     paddr_q, paddr_d;      // P: next instruction
  logic [ProgAW:0]     plen_q, plen_d;        // instructions loaded
  logic [BeatBits-1:0] beat_q, beat_d;
  logic [7:0]          plo_q, plo_d;          // P: the first byte of the pair being received
  logic                rcnt_q, rcnt_d;        // reset cycles
  logic                acc_rst_nq, dram_rst_nq;
  logic [CountW-1:0]   cyc_q, cyc_d;
  logic [CountW-1:0]   busy_cnt_q [NQ];
  logic [ProgAW:0]     next_q, next_d;        // next instruction to present
  logic [1:0]          status_q, status_d;
  logic [7:0]          causes_q, causes_d;

  // ------------------------------------------------------------------------------------------------
  // Accelerator, program memory, DRAM
  logic                            insn_valid, insn_ready, acc_done, acc_error;
  logic [NQ-1:0]                   acc_busy;
  logic [NF-1:0]                   acc_cause;
  logic [InsnW-1:0]                prog_rdata_q;
  logic                            acc_rd_req, acc_wr;
  logic [bitgrid_pkg::LoadDramAddrW-1:0]  acc_rd_addr;
  logic [bitgrid_pkg::StoreDramAddrW-1:0] acc_wr_addr;
  logic [15:0]                     acc_rd_beats;
  logic [BeatBits-1:0]             acc_wr_data, dram_rd_data;
  logic                            dram_rd_valid, dram_wr_ack, dram_idle;
  logic                            run_end, live;
  logic                            host_req, host_we;
  logic [BeatBits-1:0]             host_rdata;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [CountW-1:0]               st_rbeats;  // the DRAM counters' chain out: bits 7:0 only
  /* verilator lint_on UNUSEDSIGNAL */
  logic                            dram_overflow, dram_range_err;

  bitgrid_top u_top (
    .clk_i         (clk_i),
    .rst_ni        (acc_rst_nq),
    .insn_valid_i  (insn_valid),
    .insn_i        (prog_rdata_q),
    .insn_ready_o  (insn_ready),
    .rd_req_valid_o(acc_rd_req),
    .rd_req_addr_o (acc_rd_addr),
    .rd_req_beats_o(acc_rd_beats),
    .rd_valid_i    (dram_rd_valid),
    .rd_data_i     (dram_rd_data),
    .wr_valid_o    (acc_wr),
    .wr_addr_o     (acc_wr_addr),
    .wr_data_o     (acc_wr_data),
    .wr_ack_i      (dram_wr_ack),
    .done_o        (acc_done),
    .busy_o        (acc_busy),
    .error_o       (acc_error),
    .cause_o       (acc_cause)
  );

  // The run ends in this cycle (see the header); its requests are not made. max_cycles is the 'S'
  // argument, which args_q holds for the whole run; 0 (no limit) and values above 2^CountW - 1 mean
  // 2^CountW - 1, so the counters never wrap. max_hit_q is the compare of the cycle count with that
  // limit, made a cycle ahead and without an adder (the cycle counter's carry chain and a CountW-bit
  // compare were on the path to the DRAM requests): a cycle in StRun follows StRunRst (cycle 0, which
  // never ends the run: the limit is at least 1) or a StRun cycle c = cyc_q that did not end the run,
  // and cycle c + 1 reaches the limit when cyc_q == limit - 1. lim_m1_q follows args_q a cycle later;
  // args_q holds the 'S' argument from StExec on, two cycles before the run starts.
  logic                max_hit_q, max_hit_d;
  logic [CountW-1:0]   lim_m1_q;   // the run's cycle limit - 1
  assign max_hit_d = !st_q[StRunRst] && (cyc_q == lim_m1_q);
  assign run_end = st_q[StRun] && (acc_error || acc_done || max_hit_q);
  assign live    = st_q[StRun] && !run_end;
  assign insn_valid = st_q[StRun] && (next_q < plen_q);
  assign next_d     = st_q[StRunRst] ? '0 : next_q + (ProgAW + 1)'(insn_valid && insn_ready);

  // Program memory: one write port (the host, 16 bits = one received byte pair at a time), one registered
  // read port (the instruction presented in the next cycle, R1), so its read address is next_d. A block
  // RAM per 16-bit slice; writes and runs never overlap, so a read of the word being written may return
  // anything (no_rw_check: no collision logic).
  logic                      prog_we;
  logic [$clog2(InsnW/16)-1:0] prog_slice;
  assign prog_slice = idx_q[$clog2(InsnBytes)-1:1];
  for (genvar j = 0; j < InsnW / 16; j++) begin : g_prog
    (* ram_style = "block", no_rw_check *) logic [15:0] mem [ProgInsns];
    always_ff @(posedge clk_i) begin
      if (prog_we && prog_slice == j) begin
        mem[paddr_q[ProgAW-1:0]] <= {rx_data, plo_q};
      end
      prog_rdata_q[16*j +: 16] <= mem[next_d[ProgAW-1:0]];
    end
  end

  /* verilator lint_off PINCONNECTEMPTY */
  bg_board_dram #(
    .BeatBytes     (BeatBytes),
    .MemBytes      (MemBytes),
    .Latency       (Latency),
    .BurstBeats    (BurstBeats),
    .MaxOutstanding(MaxOut),
    .StatW         (CountW)
  ) u_dram (
    .clk_i               (clk_i),
    .rst_ni              (dram_rst_nq),
    .rd_req_valid_i      (acc_rd_req && live),
    .rd_req_addr_i       (32'(acc_rd_addr)),
    .rd_req_beats_i      (acc_rd_beats),
    .rd_valid_o          (dram_rd_valid),
    .rd_data_o           (dram_rd_data),
    .wr_valid_i          (acc_wr && live),
    .wr_addr_i           (32'(acc_wr_addr)),
    .wr_data_i           (acc_wr_data),
    .wr_ack_o            (dram_wr_ack),
    .idle_o              (dram_idle),
    .host_req_i          (host_req),
    .host_we_i           (host_we),
    .host_addr_i         (maddr_q),
    .host_wdata_i        (beat_q),
    .host_rdata_o        (host_rdata),
    .stat_shift_i        (fin_shift),
    .stat_read_beats_o   (st_rbeats),
    .stat_read_bytes_o   (),
    .stat_write_bytes_o  (),
    .stat_read_requests_o(),
    .stat_write_beats_o  (),
    .stat_bus_busy_o     (),
    .overflow_o          (dram_overflow),
    .range_err_o         (dram_range_err)
  );
  /* verilator lint_on PINCONNECTEMPTY */

  // ------------------------------------------------------------------------------------------------
  // Replies
  logic [7:0] ident_bytes [IdentLen];
  logic [7:0] reply_last;  // the index of the reply's last byte

  always_comb begin
    ident_bytes[0] = "I";
    ident_bytes[1] = ProtocolVersion;
    ident_bytes[2] = 8'(BeatBytes);  // 256 reads as 0
    ident_bytes[3] = 8'(InsnBytes);
    ident_bytes[4] = 8'(NQ);
    for (int unsigned i = 0; i < 4; i++) begin
      ident_bytes[5 + i]  = 8'(MemBytes >> (8 * i));
      ident_bytes[9 + i]  = 8'(ProgInsns >> (8 * i));
      ident_bytes[13 + i] = ConfigHash[8*i +: 8];
    end
    ident_bytes[17] = "K";
  end

  // The 'F' reply: 'F', status, causes, NCnt counters as u64, the DRAM flags, 'K'. The counters leave
  // without a multiplexer: cycles, busy per queue and the DRAM's three counters form one chain that
  // shifts right by a byte for each of a counter's CountW/8 bytes sent (fin_shift; each counter takes the
  // low byte of the next, the DRAM's last takes zeros), so the byte to send is always cyc_q[7:0]; a
  // counter's bytes CountW/8 .. 7 are zeros. The reply consumes the counters; a run starts them from zero.
  localparam int unsigned NCnt     = 1 + NQ + 3;  // cycles, busy per queue, DRAM read beats, write beats, read requests
  localparam int unsigned CntBytes = CountW / 8;
  logic [2:0] fin_b;                // byte idx_q within its counter's 8
  logic       fin_ok_d, fin_ok_q;    // in the 'F' reply, idx_q is a counter byte that holds counter bits (a
                                     // register, decided a cycle ahead: the chain's enable hangs off it)
  logic       fin_shift;             // ... being taken by the UART
  logic [7:0] fin_byte;

  // A counter shifted right by a byte, b entering at the top (any CountW, 8 included).
  function automatic logic [CountW-1:0] cnt_shift_in(logic [CountW-1:0] c, logic [7:0] b);
    cnt_shift_in = CountW'({b, c} >> 8);
  endfunction

  // Byte idx of the 'F' reply holds counter bits: a counter byte (3 .. 3+8*NCnt-1) below CntBytes in its
  // counter ((idx - 3) mod 8 < CntBytes).
  function automatic logic fin_counter_byte(logic [7:0] idx);
    logic [2:0] b;
    b = idx[2:0] + 3'd5;
    fin_counter_byte = idx >= 8'd3 && idx < 8'(3 + 8 * NCnt) && 32'(b) < CntBytes;
  endfunction

  assign fin_b     = idx_q[2:0] + 3'd5;  // (idx_q - 3) mod 8
  // The 'F' reply starts at byte 0 (not a counter byte) and steps by one byte per tx_ready.
  assign fin_ok_d  = (st_q[StSend] && kind_q == RpFinal) ? (tx_ready ? fin_counter_byte(idx_q + 1'b1) : fin_ok_q)
                                                           : 1'b0;
  assign fin_shift = st_q[StSend] && (kind_q == RpFinal) && tx_ready && fin_ok_q;

  always_comb begin
    unique case (idx_q)
      8'd0:              fin_byte = "F";
      8'd1:              fin_byte = 8'(status_q);
      8'd2:              fin_byte = causes_q;
      8'(FinalLen - 2):  fin_byte = {6'b0, dram_range_err, dram_overflow};
      8'(FinalLen - 1):  fin_byte = "K";
      default:           fin_byte = (32'(fin_b) < CntBytes) ? cyc_q[7:0] : 8'd0;
    endcase
  end

  always_comb begin
    unique case (kind_q)
      RpOk:    begin tx_data = "K";                          reply_last = 8'd0;              end
      RpErr:   begin tx_data = (idx_q == '0) ? "E" : err_q;  reply_last = 8'd1;              end
      RpIdent: begin tx_data = ident_bytes[idx_q[4:0]];      reply_last = 8'(IdentLen - 1);  end
      RpData:  begin tx_data = "D";                          reply_last = 8'd0;              end
      RpBeat:  begin tx_data = beat_q[7:0];                  reply_last = 8'(BeatBytes - 1); end
      RpFinal: begin tx_data = fin_byte;                     reply_last = 8'(FinalLen - 1);  end
      default: begin tx_data = "E";                          reply_last = 8'd0;              end
    endcase
  end
  assign tx_valid = st_q[StSend];

  // ------------------------------------------------------------------------------------------------
  // Command FSM
  logic        range_ok;    // W/R: address and count beat-aligned and inside the memory
  logic        range_ok_q, plen_ok_q;  // range_ok and the 'P' count's limit, a cycle later (in StExec)
  logic [32:0] range_end;
  logic        rx_take;

  assign range_end = {1'b0, args_q[31:0]} + {1'b0, args_q[63:32]};
  // W counts bytes, P instructions, R beats of BeatBytes bytes: one subtractor
  logic [31:0] rem_dec;
  assign rem_dec = rem_q - (st_q[StRdNext] ? 32'(BeatBytes) : 32'd1);
  // rem's next value and its == 1 / == 0 flags, each from registers through one multiplexer
  logic        rem_one_d, rem_zero_d;
  assign rem_d      = rem_load ? args_q[63:32] : rem_step ? rem_dec : rem_q;
  assign rem_one_d  = rem_load ? (args_q[63:32] == 32'd1) :
                      rem_step ? (rem_q == (st_q[StRdNext] ? 32'(BeatBytes + 1) : 32'd2)) : rem_one_q;
  assign rem_zero_d = rem_load ? (args_q[63:32] == '0) :
                      rem_step ? (rem_q == (st_q[StRdNext] ? 32'(BeatBytes) : 32'd1)) : rem_zero_q;
  assign range_ok  = (args_q[LogBeat-1:0] == '0) && (args_q[32 +: LogBeat] == '0) &&
                     (range_end <= 33'(MemBytes));
  assign rx_ready  = st_q[StCmd] || st_q[StArgs] || st_q[StWData] || st_q[StPData];
  assign rx_take   = rx_valid && rx_ready;
  assign host_req  = st_q[StWWrite] || st_q[StRdReq];
  assign host_we   = st_q[StWWrite];
  assign prog_we   = st_q[StPData] && rx_take && idx_q[0] && ok_q;

  always_comb begin
    st_d     = st_q;
    after_d  = after_q;
    kind_d   = kind_q;
    idx_clr  = 1'b0;
    idx_inc  = 1'b0;
    cmd_d    = cmd_q;
    err_d    = err_q;
    args_d   = args_q;
    ok_d     = ok_q;
    rem_load = 1'b0;
    rem_step = 1'b0;
    maddr_d  = maddr_q;
    paddr_d  = paddr_q;
    plen_d   = plen_q;
    beat_d   = beat_q;
    plo_d    = plo_q;
    rcnt_d   = rcnt_q;
    cyc_d    = cyc_q;
    status_d = status_q;
    causes_d = causes_q;
    unique case (1'b1)
      st_q[StCmd]: begin
        if (rx_take) begin
          cmd_d  = rx_data;
          idx_clr = 1'b1;
          unique case (rx_data)
            "I": begin
              kind_d  = RpIdent;
              after_d = StCmd;
              st_d    = oh(StSend);
            end
            "W", "R", "P", "S": st_d = oh(StArgs);
            default: begin
              kind_d  = RpErr;
              err_d   = ErrUnknown;
              after_d = StCmd;
              st_d    = oh(StSend);
            end
          endcase
        end
      end
      st_q[StArgs]: begin
        if (rx_take) begin
          args_d = {rx_data, args_q[63:8]};  // 'P' (4 bytes) ends in args_q[63:32]
          idx_inc = 1'b1;
          if (idx_q == ((cmd_q == "P") ? 8'd3 : 8'd7)) begin
            st_d    = oh(StChk);
          end
        end
      end
      st_q[StChk]: begin
        st_d    = oh(StExec);
      end
      st_q[StExec]: begin
        idx_clr = 1'b1;
        after_d = StCmd;
        maddr_d = args_q[LogBeat +: MemAW];
        unique case (cmd_q)
          "W": begin
            ok_d  = range_ok_q;
            rem_load = 1'b1;
            if (args_q[63:32] == '0) begin
              kind_d  = range_ok_q ? RpOk : RpErr;
              err_d   = ErrRange;
              st_d    = oh(StSend);
            end else begin
              st_d    = oh(StWData);
            end
          end
          "R": begin
            rem_load = 1'b1;
            if (!range_ok_q) begin
              kind_d = RpErr;
              err_d  = ErrRange;
            end else begin
              kind_d  = RpData;
              after_d = (args_q[63:32] == '0) ? StRdNext : StRdReq;
            end
            st_d    = oh(StSend);
          end
          "P": begin
            ok_d    = plen_ok_q;
            rem_load = 1'b1;
            paddr_d = '0;
            if (args_q[63:32] == '0) begin
              plen_d  = '0;
              kind_d  = RpOk;
              st_d    = oh(StSend);
            end else begin
              st_d    = oh(StPData);
            end
          end
          default: begin  // "S"
            if (plen_q == '0) begin
              kind_d  = RpErr;
              err_d   = ErrNoProg;
              st_d    = oh(StSend);
            end else begin
              rcnt_d  = 1'b0;
              st_d    = oh(StRunRst);
            end
          end
        endcase
      end
      st_q[StWData]: begin
        if (rx_take) begin
          beat_d = {rx_data, beat_q[BeatBits-1:8]};
          idx_inc = 1'b1;
          rem_step = 1'b1;
          if (ok_q && idx_q == 8'(BeatBytes - 1)) begin
            idx_clr = 1'b1;
            st_d    = oh(StWWrite);
          end else if (rem_one_q) begin  // the last byte of a bad request
            idx_clr = 1'b1;
            kind_d  = RpErr;
            err_d   = ErrRange;
            after_d = StCmd;
            st_d    = oh(StSend);
          end
        end
      end
      st_q[StWWrite]: begin
        maddr_d = maddr_q + 1'b1;
        if (rem_zero_q) begin
          kind_d  = RpOk;
          after_d = StCmd;
          st_d    = oh(StSend);
        end else begin
          st_d    = oh(StWData);
        end
      end
      st_q[StRdReq]: st_d = oh(StRdWait);
      st_q[StRdWait]: begin
        beat_d  = host_rdata;
        kind_d  = RpBeat;
        after_d = StRdNext;
        st_d    = oh(StSend);
      end
      st_q[StRdNext]: begin
        maddr_d = maddr_q + 1'b1;
        rem_step = 1'b1;
        if (rem_q[31:LogBeat+1] == '0) begin  // rem_q <= BeatBytes (a multiple of BeatBytes)
          kind_d  = RpOk;
          after_d = StCmd;
          st_d    = oh(StSend);
        end else begin
          st_d    = oh(StRdReq);
        end
      end
      st_q[StPData]: begin
        if (rx_take) begin
          plo_d = rx_data;
          idx_inc = 1'b1;
          if (idx_q == 8'(InsnBytes - 1)) begin
            idx_clr = 1'b1;
            rem_step = 1'b1;
            if (ok_q) begin
              st_d    = oh(StPWrite);
            end else if (rem_one_q) begin
              kind_d  = RpErr;
              err_d   = ErrProgLen;
              after_d = StCmd;
              st_d    = oh(StSend);
            end
          end
        end
      end
      st_q[StPWrite]: begin
        paddr_d = paddr_q + 1'b1;
        if (rem_zero_q) begin
          plen_d  = paddr_q + 1'b1;
          kind_d  = RpOk;
          after_d = StCmd;
          st_d    = oh(StSend);
        end else begin
          st_d    = oh(StPData);
        end
      end
      st_q[StRunRst]: begin
        cyc_d  = '0;
        rcnt_d = 1'b1;
        if (rcnt_q) begin
          st_d    = oh(StRun);
        end
      end
      st_q[StRun]: begin
        if (run_end) begin
          status_d = acc_error ? 2'd1 : acc_done ? 2'd0 : 2'd2;
          causes_d = acc_error ? 8'(acc_cause) : 8'd0;
          st_d     = oh(StDrain);
        end else begin
          cyc_d = cyc_q + 1'b1;
        end
      end
      st_q[StDrain]: begin
        if (dram_idle) begin
          kind_d  = RpFinal;
          idx_clr = 1'b1;
          after_d = StCmd;
          st_d    = oh(StSend);
        end
      end
      st_q[StSend]: begin
        if (fin_shift) begin
          cyc_d = cnt_shift_in(cyc_q, busy_cnt_q[0][7:0]);
        end
        if (tx_ready) begin
          idx_inc = 1'b1;
          if (kind_q == RpBeat) begin
            beat_d = beat_q >> 8;
          end
          if (idx_q == reply_last) begin  // (no adder before the compare: iCE40 Fmax)
            idx_clr = 1'b1;
            // the next state as constants, not from after_q: Yosys then recodes after_q (one-hot);
            // after_q is one of these three (asserted)
            unique case (after_q)
              StRdReq:  st_d = oh(StRdReq);
              StRdNext: st_d = oh(StRdNext);
              default:  st_d = oh(StCmd);
            endcase
            // 'E' and 'K' end every reply; 'D' and the beats are followed by more
          end
        end
      end
      default: st_d = oh(StCmd);
    endcase
    // Every reply starts with its byte 0: each way into StSend leaves idx at 0 (asserted below; not
    // forced here, which would put st_d before idx_d).
  end

  // The byte index is cleared, stepped or kept: two flags from the FSM, then one adder and multiplexer
  // (not an 8-bit value through the state case's multiplexers: the iCE40's deepest path).
  assign idx_d = idx_clr ? '0 : idx_inc ? idx_q + 1'b1 : idx_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q        <= oh(StCmd);
      after_q     <= StCmd;
      kind_q      <= RpOk;
      idx_q       <= '0;
      fin_ok_q    <= 1'b0;
      cmd_q       <= '0;
      err_q       <= '0;
      args_q      <= '0;
      ok_q        <= 1'b0;
      rem_q       <= '0;
      rem_one_q   <= 1'b0;
      rem_zero_q  <= 1'b1;
      maddr_q     <= '0;
      paddr_q     <= '0;
      plen_q      <= '0;
      beat_q      <= '0;
      plo_q       <= '0;
      rcnt_q      <= 1'b0;
      cyc_q       <= '0;
      next_q      <= '0;
      status_q    <= '0;
      causes_q    <= '0;
      range_ok_q  <= 1'b0;
      plen_ok_q   <= 1'b0;
      max_hit_q   <= 1'b0;
      lim_m1_q    <= '0;
      acc_rst_nq  <= 1'b0;
      dram_rst_nq <= 1'b0;
    end else begin
      st_q        <= st_d;
      after_q     <= after_d;
      kind_q      <= kind_d;
      idx_q       <= idx_d;
      fin_ok_q    <= fin_ok_d;
      cmd_q       <= cmd_d;
      err_q       <= err_d;
      args_q      <= args_d;
      ok_q        <= ok_d;
      rem_q       <= rem_d;
      rem_one_q   <= rem_one_d;
      rem_zero_q  <= rem_zero_d;
      maddr_q     <= maddr_d;
      paddr_q     <= paddr_d;
      plen_q      <= plen_d;
      beat_q      <= beat_d;
      plo_q       <= plo_d;
      rcnt_q      <= rcnt_d;
      cyc_q       <= cyc_d;
      next_q      <= next_d;
      status_q    <= status_d;
      causes_q    <= causes_d;
      range_ok_q  <= range_ok;
      plen_ok_q   <= args_q[63:32] <= 32'(ProgInsns);
      max_hit_q   <= max_hit_d;
      lim_m1_q    <= (args_q == '0 || args_q[63:CountW] != '0) ? {{(CountW - 1){1'b1}}, 1'b0}
                                                             : args_q[CountW-1:0] - 1'b1;
      // the accelerator runs in StRun only; the DRAM timing is reset with it at the start of a run
      acc_rst_nq  <= st_d[StRun];
      dram_rst_nq <= !st_d[StRunRst];
    end
  end

  // Busy cycles per queue, over cycles 0 .. end-1.
  for (genvar q = 0; q < NQ; q++) begin : g_busy
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        busy_cnt_q[q] <= '0;
      end else if (st_q[StRunRst]) begin
        busy_cnt_q[q] <= '0;
      end else if (fin_shift) begin
        busy_cnt_q[q] <= cnt_shift_in(busy_cnt_q[q], (q + 1 < NQ) ? busy_cnt_q[(q+1)%NQ][7:0] : st_rbeats[7:0]);
      end else if (live && acc_busy[q]) begin
        busy_cnt_q[q] <= busy_cnt_q[q] + 1'b1;
      end
    end
  end

  assign running_o   = st_q[StRun];
  assign last_fail_o = (status_q != 2'd0) || dram_overflow || dram_range_err;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_host_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on) host_req |-> dram_idle)
    else $error("bg_board: host memory access while the DRAM has pending requests");
  a_rem_flags: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                rem_one_q == (rem_q == 32'd1) && rem_zero_q == (rem_q == '0))
    else $error("bg_board: rem_one_q/rem_zero_q disagree with rem_q = %0d", rem_q);
  a_reply_from_byte0: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                       (st_d[StSend] && !st_q[StSend]) |-> idx_d == '0)
    else $error("bg_board: a reply starts at byte %0d", idx_d);
  a_state_onehot: assert property (@(posedge clk_i) disable iff (!asserts_on) $onehot(st_q))
    else $error("bg_board: the state %b is not one-hot", st_q);
  a_after: assert property (@(posedge clk_i) disable iff (!asserts_on)
                            after_q inside {StCmd, StRdReq, StRdNext})
    else $error("bg_board: after_q = %0d is not a state a reply returns to", after_q);
  a_fin_ok: assert property (@(posedge clk_i) disable iff (!asserts_on)
                             (st_q[StSend] && kind_q == RpFinal) |-> fin_ok_q == fin_counter_byte(idx_q))
    else $error("bg_board: fin_ok_q disagrees with byte %0d", idx_q);
`endif

endmodule : bg_board
