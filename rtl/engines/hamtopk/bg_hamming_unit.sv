// Hamming engine: HamLanes lanes, each XORs M = HamBitsPerLane/64 words of its database code with the
// query and popcounts them (one step per cycle), accumulating the per-lane distance over the S steps of a
// group. Two stages: in a step's cycle the popcounts of the words' 16-bit quarters are registered; in the
// next cycle each lane adds its 4M counts to its accumulator. A group's distances are presented (valid_o)
// in the cycle of its last step's accumulation, the cycle after its last step, as the sums that the
// accumulators take at the end of that cycle (the engine registers them as its top-k candidates).
//
//   cycle t    : valid_i & first_i  -> popcounts of the first step (the accumulator restarts with them at t+1)
//   cycle t+i  : valid_i            -> popcounts (accumulated at t+i+1)
//   cycle t+S-1: valid_i & last_i   -> final step
//   cycle t+S  : valid_o = 1, dist_o = distances of the group (combinational from the stage-2 registers)
//
// Steps may be back to back (a new group's first step in the cycle after its predecessor's last) and may
// have gaps (valid_i = 0 holds the accumulators).
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

  localparam int unsigned NQ = HamLanes * M * 4;  // 16-bit quarters of a step's words
  logic [NQ*5-1:0]           quarter_count;  // popcount of each quarter of each XORed word
  logic [NQ*5-1:0]           qc_q;           // ... registered (stage 2)
  logic                      v_q, first_q, last_q;  // the flags of the step in qc_q
  logic [HamLanes*StepW-1:0] step_count;  // per-lane sum over the step's M words
  logic [2*4*M*StepW-1:0]    tree;        // one lane's balanced adder tree: node i at [i*StepW], leaves
                                          // 4M .. 8M-1, node i = node 2i + node 2i+1, the sum at node 1
  logic [HamLanes*DistW-1:0] acc_d, acc_q;

  for (genvar l = 0; l < HamLanes; l++) begin : g_lane
    for (genvar j = 0; j < M; j++) begin : g_word
      bg_popcount64 u_popcount (
        .data_i   (q_i[j*64 +: 64] ^ d_i[(l*M+j)*64 +: 64]),
        .count16_o(quarter_count[(l*M+j)*20 +: 20])
      );
    end
  end

  always_comb begin
    step_count = '0;
    tree       = '0;
    for (int unsigned l = 0; l < HamLanes; l++) begin
      for (int unsigned j = 0; j < 4 * M; j++) begin
        tree[(4*M+j)*StepW +: StepW] = StepW'(qc_q[(l*M*4+j)*5 +: 5]);
      end
      for (int unsigned i = 4 * M - 1; i >= 1; i--) begin
        tree[i*StepW +: StepW] = tree[2*i*StepW +: StepW] + tree[(2*i+1)*StepW +: StepW];
      end
      step_count[l*StepW +: StepW] = tree[StepW +: StepW];
    end
  end

  always_comb begin
    acc_d = acc_q;
    if (v_q) begin
      for (int unsigned l = 0; l < HamLanes; l++) begin
        acc_d[l*DistW +: DistW] = (first_q ? '0 : acc_q[l*DistW +: DistW])
                                  + DistW'(step_count[l*StepW +: StepW]);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    qc_q <= quarter_count;  // used only under v_q
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q     <= 1'b0;
      first_q <= 1'b0;
      last_q  <= 1'b0;
      acc_q   <= '0;
    end else begin
      v_q     <= valid_i;
      first_q <= first_i;
      last_q  <= last_i;
      acc_q   <= acc_d;
    end
  end

  assign valid_o = v_q & last_q;
  assign dist_o  = acc_d;

endmodule : bg_hamming_unit
