// Out-of-context timing shell for bitgrid_top (docs/FPGA.md, "The core alone"): place and route the
// accelerator without a board around it, on a part with few pins, to measure its own Fmax and resources.
// Every input of bitgrid_top comes from one long shift register fed by a single pin (scan_i); every output
// is registered and the registers are XOR-reduced into one pin (scan_o), so no logic is optimized away and
// every path of the core starts and ends at a flip-flop. The shell adds InW flip-flops (the scan chain),
// OutW output registers and an XOR tree (about OutW / 3 LUT4) to the core's figures.
//
// bitgrid_top is instantiated without parameter overrides: the build compiles the configured package
// (scripts/rtl_files.sh bitgrid_configured_pkg), as for the board.
module bg_core_shell (
  input  logic clk_i,
  input  logic rst_ni,
  input  logic scan_i,
  output logic scan_o
);

  localparam int unsigned InsnW    = bitgrid_pkg::InsnBits;
  localparam int unsigned BeatBits = bitgrid_pkg::DefaultDramBytesPerCycle * 8;
  localparam int unsigned RdAddrW  = bitgrid_pkg::LoadDramAddrW;
  localparam int unsigned WrAddrW  = bitgrid_pkg::StoreDramAddrW;
  localparam int unsigned NQ       = bitgrid_pkg::NumQueues;
  localparam int unsigned NF       = bitgrid_pkg::NumFaults;
  // inputs: insn_valid, insn, rd_valid, rd_data, wr_ack
  localparam int unsigned InW      = 1 + InsnW + 1 + BeatBits + 1;
  // outputs: insn_ready, rd_req_valid, rd_req_addr, rd_req_beats, wr_valid, wr_addr, wr_data, done, busy,
  // error, cause
  localparam int unsigned OutW     = 1 + 1 + RdAddrW + 16 + 1 + WrAddrW + BeatBits + 1 + NQ + 1 + NF;

  logic [InW-1:0]  in_q;
  logic [OutW-1:0] out_d, out_q;
  logic            scan_q;

  always_ff @(posedge clk_i) begin
    in_q <= {in_q[InW-2:0], scan_i};
  end

  bitgrid_top u_top (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .insn_valid_i  (in_q[0]),
    .insn_i        (in_q[1 +: InsnW]),
    .insn_ready_o  (out_d[0]),
    .rd_req_valid_o(out_d[1]),
    .rd_req_addr_o (out_d[2 +: RdAddrW]),
    .rd_req_beats_o(out_d[2 + RdAddrW +: 16]),
    .rd_valid_i    (in_q[1 + InsnW]),
    .rd_data_i     (in_q[2 + InsnW +: BeatBits]),
    .wr_valid_o    (out_d[18 + RdAddrW]),
    .wr_addr_o     (out_d[19 + RdAddrW +: WrAddrW]),
    .wr_data_o     (out_d[19 + RdAddrW + WrAddrW +: BeatBits]),
    .wr_ack_i      (in_q[2 + InsnW + BeatBits]),
    .done_o        (out_d[19 + RdAddrW + WrAddrW + BeatBits]),
    .busy_o        (out_d[20 + RdAddrW + WrAddrW + BeatBits +: NQ]),
    .error_o       (out_d[20 + RdAddrW + WrAddrW + BeatBits + NQ]),
    .cause_o       (out_d[21 + RdAddrW + WrAddrW + BeatBits + NQ +: NF])
  );

  always_ff @(posedge clk_i) begin
    out_q  <= out_d;
    scan_q <= ^out_q;
  end
  assign scan_o = scan_q;

endmodule : bg_core_shell
