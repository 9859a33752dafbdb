// The life cycle of one instruction in an execution unit (ARCHITECTURE.md R2), written once for the load,
// store and compute units (the RTL twin of sim/systemc_exec_unit.h).
//
// The unit issues an instruction in cycle c (issue_i, only while idle_o), is busy in cycles c+1 .. c+E
// and signals the last of them with last_i; complete_o is high in that cycle c+E (the controller applies
// the instruction's token pushes at its end), and the unit is idle again from c+E+1. E >= 1.
module bg_exec_ctrl (
  input  logic clk_i,
  input  logic rst_ni,
  input  logic issue_i,     // cycle c: the unit takes an instruction
  input  logic last_i,      // the running instruction's last cycle (read only while busy)
  output logic idle_o,      // no instruction running (may issue this cycle)
  output logic busy_o,      // cycles c+1 .. c+E
  output logic complete_o   // cycle c+E
);

  logic busy_q, busy_d;

  assign idle_o     = !busy_q;
  assign busy_o     = busy_q;
  assign complete_o = busy_q && last_i;

  always_comb begin
    busy_d = busy_q;
    if (issue_i && !busy_q) begin
      busy_d = 1'b1;
    end else if (complete_o) begin
      busy_d = 1'b0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
    end else begin
      busy_q <= busy_d;
    end
  end

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_issue_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on) !(issue_i && busy_q))
    else $error("bg_exec_ctrl: issue while an instruction is running");
`endif

endmodule : bg_exec_ctrl
