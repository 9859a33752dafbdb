// bitgrid top (ARCHITECTURE.md §1, §5): controller with the three instruction queues and token
// counters, load / compute / store units, and the qbuf / dbuf / rbuf scratchpads.
//
// Every hardware parameter of configs/isa.yaml is a parameter here (CamelCase, as HwConfig::rtl_overrides()
// emits them); DramLatency only matters to the DRAM model outside the RTL and is accepted for uniformity.
// The parameters are marked public so the simulation harness can check them against its config.
//
// DRAM beats are little-endian: byte j of a beat is rd_data_i / wr_data_o[8j+7:8j], so 64-bit word w of
// a beat is bits [64w+63:64w]. busy_o[0] = load, busy_o[1] = compute, busy_o[2] = store (isa::Queue order).
module bitgrid_top #(
  parameter int unsigned DramBytesPerCycle /*verilator public*/ = bitgrid_pkg::DefaultDramBytesPerCycle,
  /* verilator lint_off UNUSEDPARAM */
  parameter int unsigned DramLatency       /*verilator public*/ = bitgrid_pkg::DefaultDramLatency,
  /* verilator lint_on UNUSEDPARAM */
  parameter int unsigned DramBurstBytes    /*verilator public*/ = bitgrid_pkg::DefaultDramBurstBytes,
  parameter int unsigned DmaMaxOutstanding /*verilator public*/ = bitgrid_pkg::DefaultDmaMaxOutstanding,
  parameter int unsigned HamLanes          /*verilator public*/ = bitgrid_pkg::DefaultHamLanes,
  parameter int unsigned HamBitsPerLane    /*verilator public*/ = bitgrid_pkg::DefaultHamBitsPerLane,
  parameter int unsigned MaxCodeBits       /*verilator public*/ = bitgrid_pkg::DefaultMaxCodeBits,
  parameter int unsigned TopkMax           /*verilator public*/ = bitgrid_pkg::DefaultTopkMax,
  parameter int unsigned QbufKib           /*verilator public*/ = bitgrid_pkg::DefaultQbufKib,
  parameter int unsigned DbufKib           /*verilator public*/ = bitgrid_pkg::DefaultDbufKib,
  parameter int unsigned RbufKib           /*verilator public*/ = bitgrid_pkg::DefaultRbufKib,
  parameter int unsigned QueueDepth        /*verilator public*/ = bitgrid_pkg::DefaultQueueDepth,
  parameter int unsigned TokenMax          /*verilator public*/ = bitgrid_pkg::DefaultTokenMax,
  localparam int unsigned BeatBits = DramBytesPerCycle * 8
) (
  input  logic                               clk_i,
  input  logic                               rst_ni,
  // command stream (R1)
  input  logic                               insn_valid_i,
  input  logic [bitgrid_pkg::InsnBits-1:0]   insn_i,
  output logic                               insn_ready_o,
  // DRAM read (R6, R7)
  output logic                               rd_req_valid_o,
  output logic [31:0]                        rd_req_addr_o,
  output logic [15:0]                        rd_req_beats_o,
  input  logic                               rd_valid_i,
  input  logic [BeatBits-1:0]                rd_data_i,
  // DRAM write (R6, R8)
  output logic                               wr_valid_o,
  output logic [31:0]                        wr_addr_o,
  output logic [BeatBits-1:0]                wr_data_o,
  input  logic                               wr_ack_i,
  // status
  output logic                               done_o,
  output logic [2:0]                         busy_o,
  output logic                               error_o
);

  localparam int unsigned InsnW = bitgrid_pkg::InsnBits;
  localparam int unsigned Wb    = DramBytesPerCycle / 8;      // words per DRAM beat
  localparam int unsigned M     = HamBitsPerLane / 64;        // words per lane per step
  localparam int unsigned LM    = HamLanes * M;               // words of one dbuf engine read
  localparam int unsigned Rq    = (M > Wb) ? M : Wb;          // row widths (§2)
  localparam int unsigned Rd    = (LM > Wb) ? LM : Wb;
  localparam int unsigned Rr    = Wb;
  localparam int unsigned BB    = DramBurstBytes / DramBytesPerCycle;
  localparam int unsigned CntW  = $clog2(QueueDepth) + 1;

  // ------------------------------------------------------------------------------------------------
  // Controller
  logic             ld_issue, cu_issue, st_issue;
  logic [InsnW-1:0] ld_insn, cu_insn, st_insn;
  logic             ld_idle, cu_idle, st_idle;
  logic             ld_complete, cu_complete, st_complete;
  logic             ld_error, st_error;

  // Observation signals for the simulation harness (sim/rtl_harness.cpp) and waveforms; unused in
  // hardware (synthesis removes them).
  /* verilator lint_off UNUSEDSIGNAL */
  logic [3*CntW-1:0] dbg_occ      /*verilator public_flat_rd*/;
  logic [31:0]       dbg_tokens   /*verilator public_flat_rd*/;
  logic [2:0]        dbg_issue    /*verilator public_flat_rd*/;
  logic [2:0]        dbg_complete /*verilator public_flat_rd*/;
  logic [23:0]       dbg_heads    /*verilator public_flat_rd*/;
  logic [3:0]        dbg_err      /*verilator public_flat_rd*/;
  // fixed-width copies for configs/bitgrid.gtkw (same names and widths in every config)
  logic [6:0]        dbg_occ_load, dbg_occ_compute, dbg_occ_store;
  /* verilator lint_on UNUSEDSIGNAL */
  assign dbg_occ_load    = 7'(dbg_occ[0*CntW +: CntW]);
  assign dbg_occ_compute = 7'(dbg_occ[1*CntW +: CntW]);
  assign dbg_occ_store   = 7'(dbg_occ[2*CntW +: CntW]);

  controller #(
    .QueueDepth(QueueDepth),
    .TokenMax  (TokenMax)
  ) u_controller (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .insn_valid_i (insn_valid_i),
    .insn_i       (insn_i),
    .insn_ready_o (insn_ready_o),
    .ld_issue_o   (ld_issue),
    .ld_insn_o    (ld_insn),
    .ld_idle_i    (ld_idle),
    .ld_complete_i(ld_complete),
    .ld_error_i   (ld_error),
    .cu_issue_o   (cu_issue),
    .cu_insn_o    (cu_insn),
    .cu_idle_i    (cu_idle),
    .cu_complete_i(cu_complete),
    .st_issue_o   (st_issue),
    .st_insn_o    (st_insn),
    .st_idle_i    (st_idle),
    .st_complete_i(st_complete),
    .st_error_i   (st_error),
    .done_o       (done_o),
    .error_o      (error_o),
    .occ_o        (dbg_occ),
    .tokens_o     (dbg_tokens),
    .issue_o      (dbg_issue),
    .complete_o   (dbg_complete),
    .heads_o      (dbg_heads),
    .err_cause_o  (dbg_err)
  );

  assign busy_o = {!st_idle, !cu_idle, !ld_idle};

  // ------------------------------------------------------------------------------------------------
  // Load unit -> qbuf / dbuf port A
  logic                ld_qbuf_we, ld_dbuf_we;
  logic [19:0]         ld_spm_addr;
  logic [Wb*64-1:0]    ld_spm_wdata;

  load_unit #(
    .BeatWords     (Wb),
    .BurstBeats    (BB),
    .MaxOutstanding(DmaMaxOutstanding)
  ) u_load_unit (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .issue_i       (ld_issue),
    .insn_i        (ld_insn),
    .idle_o        (ld_idle),
    .complete_o    (ld_complete),
    .error_o       (ld_error),
    .rd_req_valid_o(rd_req_valid_o),
    .rd_req_addr_o (rd_req_addr_o),
    .rd_req_beats_o(rd_req_beats_o),
    .rd_valid_i    (rd_valid_i),
    .rd_data_i     (rd_data_i),
    .qbuf_we_o     (ld_qbuf_we),
    .dbuf_we_o     (ld_dbuf_we),
    .spm_addr_o    (ld_spm_addr),
    .spm_wdata_o   (ld_spm_wdata)
  );

  // ------------------------------------------------------------------------------------------------
  // Compute unit <- qbuf / dbuf port B, <-> rbuf port B
  logic              cu_q_req, cu_d_req, cu_r_req, cu_r_we;
  logic [19:0]       cu_q_addr, cu_d_addr;
  logic [15:0]       cu_r_addr;
  logic [63:0]       cu_r_wdata, cu_r_rdata;
  logic [M*64-1:0]   cu_q_rdata;
  logic [LM*64-1:0]  cu_d_rdata;

  compute_unit #(
    .HamLanes      (HamLanes),
    .HamBitsPerLane(HamBitsPerLane),
    .TopkMax       (TopkMax),
    .MaxCodeBits   (MaxCodeBits)
  ) u_compute_unit (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .issue_i   (cu_issue),
    .insn_i    (cu_insn),
    .idle_o    (cu_idle),
    .complete_o(cu_complete),
    .q_req_o   (cu_q_req),
    .q_addr_o  (cu_q_addr),
    .q_rdata_i (cu_q_rdata),
    .d_req_o   (cu_d_req),
    .d_addr_o  (cu_d_addr),
    .d_rdata_i (cu_d_rdata),
    .r_req_o   (cu_r_req),
    .r_we_o    (cu_r_we),
    .r_addr_o  (cu_r_addr),
    .r_wdata_o (cu_r_wdata),
    .r_rdata_i (cu_r_rdata)
  );

  // ------------------------------------------------------------------------------------------------
  // Store unit <- rbuf port A
  logic              st_r_req;
  logic [19:0]       st_r_addr;
  logic [Wb*64-1:0]  st_r_rdata;

  store_unit #(
    .BeatWords(Wb)
  ) u_store_unit (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .issue_i   (st_issue),
    .insn_i    (st_insn),
    .idle_o    (st_idle),
    .complete_o(st_complete),
    .error_o   (st_error),
    .r_req_o   (st_r_req),
    .r_addr_o  (st_r_addr),
    .r_rdata_i (st_r_rdata),
    .wr_valid_o(wr_valid_o),
    .wr_addr_o (wr_addr_o),
    .wr_data_o (wr_data_o),
    .wr_ack_i  (wr_ack_i)
  );

  // ------------------------------------------------------------------------------------------------
  // Scratchpads
  /* verilator lint_off PINCONNECTEMPTY */
  scratchpad #(
    .Words   (QbufKib * 128),
    .RowWords(Rq),
    .AWords  (Wb),
    .BWords  (M),
    .AWrite  (1),
    .ARead   (0),
    .BWrite  (0),
    .BRead   (1)
  ) u_qbuf (
    .clk_i    (clk_i),
    .a_req_i  (ld_qbuf_we),
    .a_we_i   (1'b1),
    .a_addr_i (ld_spm_addr),
    .a_wdata_i(ld_spm_wdata),
    .a_rdata_o(),
    .b_req_i  (cu_q_req),
    .b_we_i   (1'b0),
    .b_addr_i (cu_q_addr),
    .b_wdata_i(64'd0),
    .b_rdata_o(cu_q_rdata)
  );

  scratchpad #(
    .Words   (DbufKib * 128),
    .RowWords(Rd),
    .AWords  (Wb),
    .BWords  (LM),
    .AWrite  (1),
    .ARead   (0),
    .BWrite  (0),
    .BRead   (1)
  ) u_dbuf (
    .clk_i    (clk_i),
    .a_req_i  (ld_dbuf_we),
    .a_we_i   (1'b1),
    .a_addr_i (ld_spm_addr),
    .a_wdata_i(ld_spm_wdata),
    .a_rdata_o(),
    .b_req_i  (cu_d_req),
    .b_we_i   (1'b0),
    .b_addr_i (cu_d_addr),
    .b_wdata_i(64'd0),
    .b_rdata_o(cu_d_rdata)
  );

  scratchpad #(
    .Words   (RbufKib * 128),
    .RowWords(Rr),
    .AWords  (Wb),
    .BWords  (1),
    .AWrite  (0),
    .ARead   (1),
    .BWrite  (1),
    .BRead   (1)
  ) u_rbuf (
    .clk_i    (clk_i),
    .a_req_i  (st_r_req),
    .a_we_i   (1'b0),
    .a_addr_i (st_r_addr),
    .a_wdata_i('0),
    .a_rdata_o(st_r_rdata),
    .b_req_i  (cu_r_req),
    .b_we_i   (cu_r_we),
    .b_addr_i ({4'd0, cu_r_addr}),
    .b_wdata_i(cu_r_wdata),
    .b_rdata_o(cu_r_rdata)
  );
  /* verilator lint_on PINCONNECTEMPTY */

endmodule
