// Controller (ARCHITECTURE.md §4): command-stream dispatch (R1), one instruction queue per unit, the
// dependency-token counters (R3), issue for every unit (R2), finish/done (R4) and machine faults.
// Queues, tokens and their routing come from the generated package (configs/isa/spine.yaml).
//
//   R1: insn_ready_o = occupancy register of the opcode's queue < QueueDepth (combinational from
//       insn_i's opcode); an accepted instruction is enqueued at the end of the cycle.
//   R2: unit q may issue its queue head in cycle c when idle_i[q], the queue is non-empty and every token
//       counter the head pops is non-zero (all registers, i.e. values at the start of c). The queue and
//       the tokens are popped at the end of c. The unit signals complete_i[q] in the last cycle c+E and the
//       instruction's push flags are applied at the end of that cycle.
//   R3: counter t is pushed by queue token_pusher(t) and popped by token_popper(t); pushes and pops of one
//       cycle net out.
//   R4: finish issues on the compute queue like any instruction but is not passed to the compute unit;
//       done_o is 1 from the next cycle on, and nothing issues after it.
//   Faults: a head that may issue but is illegal (a token flag towards a queue that does not exist, or
//       a fault its unit reports for it) does not issue; a counter above TokenMax after a cycle's pushes
//       is a fault too. The fault bits of the cycle are recorded in cause_o, error_o is 1 from the next
//       cycle on, and nothing issues after it. An instruction's fault bits depend on its fields and the
//       parameters only: they are found at dispatch (the units' fault_i for insn_i, and the token flags)
//       and queued beside it, so no decoding lies between a queue head and issue.
module bg_controller #(
  parameter int unsigned QueueDepth = 8,
  parameter int unsigned TokenMax   = 255,
  localparam int unsigned InsnW     = bitgrid_pkg::InsnBits,
  localparam int unsigned NQ        = bitgrid_pkg::NumQueues,
  localparam int unsigned NT        = bitgrid_pkg::NumTokens,
  localparam int unsigned NF        = bitgrid_pkg::NumFaults,
  localparam int unsigned TokW      = bitgrid_pkg::TokenW,
  localparam int unsigned CntW      = $clog2(QueueDepth) + 1
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // command stream
  input  logic              insn_valid_i,
  input  logic [InsnW-1:0]  insn_i,
  output logic              insn_ready_o,
  // units, indexed by queue (bitgrid_pkg::queue_e)
  output logic [NQ-1:0]       issue_o,     // the unit takes its head (compute: never for finish)
  output logic [NQ*InsnW-1:0] head_o,      // each queue's head instruction
  input  logic [NQ-1:0]       idle_i,
  input  logic [NQ-1:0]       complete_i,
  input  logic [NQ*NF-1:0]    fault_i,     // faults each unit reports for insn_i (were it its instruction)
  // status
  output logic              done_o,
  output logic              error_o,
  // observation (simulation harness, waveforms)
  output logic [NQ*CntW-1:0] occ_o,        // occupancy of each queue
  output logic [NT*TokW-1:0] tokens_o,     // token counters
  output logic [NQ-1:0]      issued_o,     // issue pulse of each queue (compute: including finish)
  output logic [NQ-1:0]      completed_o,  // completion pulse of each unit
  output logic [NQ*8-1:0]    heads_o,      // bits 7:0 (opcode, token flags) of each queue head
  output logic [NF-1:0]      cause_o       // fault bits of the cycle the machine stopped in
);

  if (QueueDepth < 2 || (QueueDepth & (QueueDepth - 1)) != 0) begin : g_bad_depth
    $fatal(1, "bg_controller: QueueDepth must be a power of two >= 2");
  end
  if (TokenMax < 1 || TokenMax > (1 << TokW) - 1) begin : g_bad_token_max
    $fatal(1, "bg_controller: TokenMax must be in 1..255");
  end

  localparam int unsigned OpLsb    = bitgrid_pkg::OpcodeLsb;
  localparam int unsigned OpW      = bitgrid_pkg::OpcodeW;
  localparam int unsigned PopPrev  = bitgrid_pkg::PopPrevLsb;
  localparam int unsigned PopNext  = bitgrid_pkg::PopNextLsb;
  localparam int unsigned PushPrev = bitgrid_pkg::PushPrevLsb;
  localparam int unsigned PushNext = bitgrid_pkg::PushNextLsb;
  localparam int unsigned Compute  = bitgrid_pkg::ComputeQueue;

  logic                  halt_q;  // done or error: nothing issues any more
  logic [NT*TokW-1:0]    tok_q, tok_d;
  logic [NQ-1:0]         q_full, q_empty, q_push, q_pop;
  logic [NQ*CntW-1:0]    q_cnt;
  logic [NQ-1:0]         ready, go;
  logic [NQ*NF-1:0]      head_fault;
  logic [NQ*2-1:0]       push_flags_q, push_flags_d;  // push_prev/push_next of each unit's instruction
  logic [1:0]            in_queue;

  // ------------------------------------------------------------------------------------------------
  // Dispatch (R1) and the queues
  assign in_queue     = bitgrid_pkg::queue_of(insn_i[OpLsb +: OpW]);
  assign insn_ready_o = !q_full[in_queue];

  for (genvar q = 0; q < NQ; q++) begin : g_queue
    logic [InsnW-1:0] head;
    logic [NF-1:0]    in_fault, hfault;  // faults of insn_i (were it queued here) and of the head
    logic             pops_ok;

    assign q_push[q] = insn_valid_i && insn_ready_o && (in_queue == 2'(q));

    // The unit's faults and a token flag towards a queue that does not exist.
    always_comb begin
      in_fault = fault_i[q*NF +: NF];
      if ((!bitgrid_pkg::queue_has(q, 0) && (insn_i[PopPrev] || insn_i[PushPrev])) ||
          (!bitgrid_pkg::queue_has(q, 1) && (insn_i[PopNext] || insn_i[PushNext]))) begin
        in_fault[bitgrid_pkg::FaultBadTokenFlag] = 1'b1;
      end
    end

    /* verilator lint_off PINCONNECTEMPTY */
    bg_fifo #(
      .Width(NF + InsnW),
      .Depth(QueueDepth)
    ) u_queue (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .push_i  (q_push[q]),
      .wdata_i ({in_fault, insn_i}),
      .pop_i   (q_pop[q]),
      .head_o  ({hfault, head}),
      .second_o(),
      .rptr_o  (),
      .wptr_o  (),
      .count_o (q_cnt[q*CntW +: CntW]),
      .full_o  (q_full[q]),
      .empty_o (q_empty[q])
    );
    /* verilator lint_on PINCONNECTEMPTY */
    assign head_o[q*InsnW +: InsnW] = head;

    // R2: every counter the head pops holds a token (flags towards a missing neighbour pop nothing).
    always_comb begin
      pops_ok = 1'b1;
      for (int unsigned t = 0; t < NT; t++) begin
        if (bitgrid_pkg::token_popper(t) == q) begin
          if (head[bitgrid_pkg::token_pop_dir(t) != 0 ? PopNext : PopPrev] &&
              tok_q[t*TokW +: TokW] == '0) begin
            pops_ok = 1'b0;
          end
        end
      end
    end
    assign ready[q]               = !halt_q && idle_i[q] && !q_empty[q] && pops_ok;
    assign head_fault[q*NF +: NF] = ready[q] ? hfault : '0;
    assign go[q]                  = ready[q] && (hfault == '0);
    assign q_pop[q] = go[q];
    // The compute unit never sees finish.
    if (q == Compute) begin : g_compute
      assign issue_o[q] = go[q] && (head[OpLsb +: OpW] != bitgrid_pkg::OpFinish);
    end else begin : g_other
      assign issue_o[q] = go[q];
    end
    assign push_flags_d[q*2 +: 2] = go[q] ? {head[PushNext], head[PushPrev]} : push_flags_q[q*2 +: 2];
    assign heads_o[q*8 +: 8]      = head[7:0];
  end

  // ------------------------------------------------------------------------------------------------
  // Tokens (R3) and faults
  logic [NT-1:0]   tok_push, tok_pop, tok_ovf;
  logic [NF-1:0]   fault_now;
  logic            done_q, done_d, error_q, error_d;
  logic [NF-1:0]   cause_q, cause_d;

  for (genvar t = 0; t < NT; t++) begin : g_token
    localparam int unsigned Pusher = bitgrid_pkg::token_pusher(t);
    localparam int unsigned PushDir = bitgrid_pkg::token_push_dir(t);
    localparam int unsigned Popper = bitgrid_pkg::token_popper(t);
    localparam int unsigned PopDir = bitgrid_pkg::token_pop_dir(t);
    logic [TokW-1:0] next;
    assign tok_push[t] = complete_i[Pusher] && push_flags_q[Pusher*2 + PushDir];
    assign tok_pop[t]  = go[Popper] && head_o[Popper*InsnW + (PopDir != 0 ? PopNext : PopPrev)];
    assign next        = tok_q[t*TokW +: TokW] + TokW'(tok_push[t]) - TokW'(tok_pop[t]);
    // Above TokenMax only from TokenMax by a push without a pop (counters stay <= TokenMax, an overflow
    // stops the machine): no adder on the path to error_o.
    assign tok_ovf[t]  = tok_push[t] && !tok_pop[t] && tok_q[t*TokW +: TokW] == TokW'(TokenMax);
    assign tok_d[t*TokW +: TokW] = next;
  end

  always_comb begin
    fault_now = '0;
    for (int unsigned q = 0; q < NQ; q++) begin
      fault_now = fault_now | head_fault[q*NF +: NF];
    end
    fault_now[bitgrid_pkg::FaultTokenOverflow] = fault_now[bitgrid_pkg::FaultTokenOverflow] || (tok_ovf != '0);
    done_d  = done_q || (go[Compute] && head_o[Compute*InsnW + OpLsb +: OpW] == bitgrid_pkg::OpFinish);
    error_d = error_q || (fault_now != '0);
    cause_d = error_q ? cause_q : fault_now;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tok_q        <= '0;
      push_flags_q <= '0;
      done_q       <= 1'b0;
      error_q      <= 1'b0;
      cause_q      <= '0;
    end else begin
      tok_q        <= tok_d;
      push_flags_q <= push_flags_d;
      done_q       <= done_d;
      error_q      <= error_d;
      cause_q      <= cause_d;
    end
  end

  assign halt_q      = done_q || error_q;
  assign done_o      = done_q;
  assign error_o     = error_q;
  assign occ_o       = q_cnt;
  assign tokens_o    = tok_q;
  assign issued_o    = go;
  assign completed_o = complete_i;
  assign cause_o     = cause_q;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  // Token counters stay within 0..TokenMax (an overflow stops the machine before it is stored), and a
  // pop never finds an empty counter.
  for (genvar t = 0; t < NT; t++) begin : g_tok_assert
    a_token_in_range: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                       error_q || tok_q[t*TokW +: TokW] <= TokW'(TokenMax))
      else $error("bg_controller: token counter %0d above TokenMax", t);
    a_no_pop_of_zero: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                       !(tok_pop[t] && tok_q[t*TokW +: TokW] == '0))
      else $error("bg_controller: token counter %0d popped at zero", t);
  end
  a_issue_only_idle: assert property (@(posedge clk_i) disable iff (!asserts_on) (go & ~idle_i) == '0)
    else $error("bg_controller: issue to a busy unit");
  a_complete_only_busy: assert property (@(posedge clk_i) disable iff (!asserts_on) (complete_i & idle_i) == '0)
    else $error("bg_controller: completion from an idle unit");
`endif

endmodule : bg_controller
