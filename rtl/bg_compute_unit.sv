// Compute unit: the dispatcher in front of the compute engines (ARCHITECTURE.md §6), in the shape of
// VTA's Compute (a dispatcher owns the queue interface; TensorGemm/TensorAlu are engines started by
// instruction type) and Ibex's ex_block (interchangeable units behind one port list).
//
// Issue in cycle c (issue_i while idle_o): an engine instruction starts its engine (start_o[e] in cycle
// c, with insn_i), which raises last_i[e] in the instruction's last cycle c+E; nop is executed here with
// E = 1 (R5). complete_o is high in cycle c+E, the unit is idle again from c+E+1 (bg_exec_ctrl). The
// engines, their scratchpad ports and the request multiplexing are in the generated top.
//
// Faults of an instruction (faults_of): an opcode that is neither nop, finish nor an engine's, or is the
// opcode of an engine the machine does not have (EnginePresent, from the has_<engine> parameters), is
// fault unknown_opcode. fault_o gives them for dsp_insn_i, the instruction being dispatched to the
// compute queue (combinationally); the controller stores them beside it and does not issue it when it
// becomes the head. An absent engine's start_o bit stays 0 and its last_i is ignored.
module bg_compute_unit #(
  parameter int unsigned NumEngines = bitgrid_pkg::NumEngines,
  parameter logic [NumEngines-1:0] EnginePresent = {NumEngines{1'b1}},  // bit e: the machine has engine e
  localparam int unsigned InsnW     = bitgrid_pkg::InsnBits,
  localparam int unsigned NF        = bitgrid_pkg::NumFaults,
  localparam int unsigned EngW      = (NumEngines > 1) ? $clog2(NumEngines) : 1
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  issue_i,
  /* verilator lint_off UNUSEDSIGNAL */  // the dispatcher reads the opcode only
  input  logic [InsnW-1:0]      insn_i,
  /* verilator lint_on UNUSEDSIGNAL */
  output logic                  idle_o,
  output logic                  complete_o,
  output logic [NF-1:0]         fault_o,
  // dispatch: fault_o flags dsp_insn_i, the instruction entering this unit's queue (the controller stores
  // the bits beside it)
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic [InsnW-1:0]      dsp_insn_i,
  /* verilator lint_on UNUSEDSIGNAL */
  // engines
  output logic [NumEngines-1:0] start_o,
  input  logic [NumEngines-1:0] last_i
);

  if (NumEngines < 1) begin : g_no_engine
    $fatal(1, "bg_compute_unit: the machine needs at least one engine");
  end

  logic [3:0]      op;
  int unsigned     eng;
  logic            start, busy, last;
  logic            nop_q, nop_d;          // the running instruction is a nop
  logic [EngW-1:0] active_q, active_d;    // else the engine running it

  assign op  = insn_i[bitgrid_pkg::OpcodeLsb +: bitgrid_pkg::OpcodeW];
  assign eng = bitgrid_pkg::engine_of(op);

  /* verilator lint_off UNUSEDSIGNAL */  // the opcode only
  function automatic logic [NF-1:0] faults_of(logic [InsnW-1:0] insn);
  /* verilator lint_on UNUSEDSIGNAL */
    logic [3:0]  o;
    int unsigned e;
    faults_of = '0;
    o = insn[bitgrid_pkg::OpcodeLsb +: bitgrid_pkg::OpcodeW];
    e = bitgrid_pkg::engine_of(o);
    faults_of[bitgrid_pkg::FaultUnknownOpcode] = !bitgrid_pkg::op_known(o) ||
        (e != bitgrid_pkg::NoEngine && !EnginePresent[e[EngW-1:0]]);
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

  always_comb begin
    start_o  = '0;
    nop_d    = nop_q;
    active_d = active_q;
    if (start) begin
      nop_d = (eng == bitgrid_pkg::NoEngine);
      if (eng != bitgrid_pkg::NoEngine) begin
        start_o[eng[EngW-1:0]] = 1'b1;
        active_d               = eng[EngW-1:0];
      end
    end
  end

  assign last = nop_q || last_i[active_q];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      nop_q    <= 1'b0;
      active_q <= '0;
    end else begin
      nop_q    <= nop_d;
      active_q <= active_d;
    end
  end

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  // Only the running engine may finish, and only while it runs; nothing issues that faults.
  a_last_only_from_active: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                            (last_i & ~(busy && !nop_q ? NumEngines'(1) << active_q : '0)) == '0)
    else $error("bg_compute_unit: an engine signalled last while not running");
  a_no_illegal_issue: assert property (@(posedge clk_i) disable iff (!asserts_on) !(start && faults_of(insn_i) != '0))
    else $error("bg_compute_unit: issued an instruction it faults on");
`endif

endmodule : bg_compute_unit
