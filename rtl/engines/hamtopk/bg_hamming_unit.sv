// Hamming engine: HamLanes lanes, each XORs M = HamBitsPerLane/64 words of its database code with the
// query and popcounts them in one cycle (one step), accumulating the per-lane distance over the S steps
// of a group. A group's distances are presented (valid_o) in the cycle after its last step.
//
//   cycle t   : valid_i & first_i          -> accumulator restarts with this step's counts
//   cycle t+i : valid_i                    -> accumulate
//   cycle t+S-1: valid_i & last_i          -> final step
//   cycle t+S : valid_o = 1, dist_o = distances of the group
//
// Steps may be back to back (a new group's first step in the cycle its predecessor's result is shown)
// and may have gaps (valid_i = 0 holds the accumulators).
module bg_hamming_unit #(
  parameter int unsigned HamLanes = bitgrid_pkg::DefaultHamLanes,
  parameter int unsigned HamBitsPerLane = bitgrid_pkg::DefaultHamBitsPerLane,
  parameter int unsigned MaxCodeBits = bitgrid_pkg::DefaultMaxCodeBits,
  localparam int unsigned M = HamBitsPerLane / 64,
  // A distance is at most the longest code (or one step's bits, if a config makes that longer).
  localparam int unsigned DistW = $clog2((MaxCodeBits > HamBitsPerLane ? MaxCodeBits : HamBitsPerLane) + 1)
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  logic                         valid_i,  // q_i/d_i hold one step of a group
  input  logic                         first_i,  // first step of a group: restart the accumulation
  input  logic                         last_i,   // last step of a group: show the distances next cycle
  input  logic [M*64-1:0]              q_i,      // query words of this step
  input  logic [HamLanes*M*64-1:0]     d_i,      // lane l's words at [l*M*64 +: M*64]
  output logic                         valid_o,  // dist_o holds a completed group
  output logic [HamLanes*DistW-1:0]    dist_o    // lane l's distance at [l*DistW +: DistW]
);

  localparam int unsigned StepW = $clog2(M * 64 + 1);  // width of one step's count

  logic [HamLanes*M*7-1:0]   word_count;  // popcount of each XORed word
  logic [HamLanes*StepW-1:0] step_count;  // per-lane sum over the step's M words
  logic [HamLanes*DistW-1:0] acc_d, acc_q;
  logic                      valid_d, valid_q;

  for (genvar l = 0; l < HamLanes; l++) begin : g_lane
    for (genvar j = 0; j < M; j++) begin : g_word
      bg_popcount64 u_popcount (
        .data_i (q_i[j*64 +: 64] ^ d_i[(l*M+j)*64 +: 64]),
        .count_o(word_count[(l*M+j)*7 +: 7])
      );
    end
  end

  always_comb begin
    step_count = '0;
    for (int unsigned l = 0; l < HamLanes; l++) begin
      for (int unsigned j = 0; j < M; j++) begin
        step_count[l*StepW +: StepW] = step_count[l*StepW +: StepW]
                                       + StepW'(word_count[(l*M+j)*7 +: 7]);
      end
    end
  end

  always_comb begin
    acc_d = acc_q;
    if (valid_i) begin
      for (int unsigned l = 0; l < HamLanes; l++) begin
        acc_d[l*DistW +: DistW] = (first_i ? '0 : acc_q[l*DistW +: DistW])
                                  + DistW'(step_count[l*StepW +: StepW]);
      end
    end
  end

  assign valid_d = valid_i & last_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q   <= '0;
      valid_q <= 1'b0;
    end else begin
      acc_q   <= acc_d;
      valid_q <= valid_d;
    end
  end

  assign valid_o = valid_q;
  assign dist_o  = acc_q;

endmodule : bg_hamming_unit
