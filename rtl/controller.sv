// Controller (ARCHITECTURE.md §4): command-stream dispatch (R1), the load/compute/store instruction
// queues, the four dependency-token counters (R3), issue for all three units (R2) and finish/done (R4).
//
//   R1: insn_ready_o = occupancy register of the opcode's queue < QueueDepth (combinational from
//       insn_i's opcode); an accepted instruction is enqueued at the end of the cycle.
//   R2: a unit whose idle_i is 1 issues its queue head in cycle c when the queue is non-empty and every
//       token counter the head pops is non-zero (all registers, i.e. values at the start of c); the
//       queue and the tokens are popped at the end of c. The unit signals complete_i in the last cycle
//       c+E of the instruction and the instruction's push flags are applied at the end of that cycle.
//   R3: l2c (load push_next -> compute pop_prev), c2l (compute push_prev -> load pop_next),
//       c2s (compute push_next -> store pop_prev), s2c (store push_prev -> compute pop_next).
//       Pushes and pops of one cycle net out; a result above TokenMax raises error_o.
//   R4: finish issues like any compute instruction but is not passed to the compute unit; done_o is 1
//       from the next cycle on, and nothing issues after it.
//
// error_o (sticky) also flags a load/store with a token flag that has no counter (load pop_prev /
// push_prev, store pop_next / push_next), a compute opcode that is not nop/hamtopk/finish, and a unit's
// own error (bad buffer id). err_cause_o says which.
module controller #(
  parameter int unsigned QueueDepth = 8,
  parameter int unsigned TokenMax   = 255,
  localparam int unsigned InsnW     = bitgrid_pkg::InsnBits,
  localparam int unsigned CntW      = $clog2(QueueDepth) + 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // command stream
  input  logic             insn_valid_i,
  input  logic [InsnW-1:0] insn_i,
  output logic             insn_ready_o,
  // load unit
  output logic             ld_issue_o,
  output logic [InsnW-1:0] ld_insn_o,
  input  logic             ld_idle_i,
  input  logic             ld_complete_i,
  input  logic             ld_error_i,
  // compute unit
  output logic             cu_issue_o,
  output logic [InsnW-1:0] cu_insn_o,
  input  logic             cu_idle_i,
  input  logic             cu_complete_i,
  // store unit
  output logic             st_issue_o,
  output logic [InsnW-1:0] st_insn_o,
  input  logic             st_idle_i,
  input  logic             st_complete_i,
  input  logic             st_error_i,
  // status
  output logic             done_o,
  output logic             error_o,
  // observation (simulation harness, waveforms)
  output logic [3*CntW-1:0] occ_o,       // occupancy of load, compute, store queue
  output logic [31:0]       tokens_o,    // {s2c, c2s, c2l, l2c}
  output logic [2:0]        issue_o,     // issue pulse of load, compute (incl. finish), store
  output logic [2:0]        complete_o,  // completion pulse of load, compute, store
  output logic [23:0]       heads_o,     // bits 7:0 (opcode, token flags) of each queue head
  output logic [3:0]        err_cause_o  // {unit error, bad compute opcode, bad token flag, token overflow}
);

  localparam int unsigned OpLsb = bitgrid_pkg::OpcodeLsb;
  localparam int unsigned PopPrev = bitgrid_pkg::PopPrevLsb;
  localparam int unsigned PopNext = bitgrid_pkg::PopNextLsb;
  localparam int unsigned PushPrev = bitgrid_pkg::PushPrevLsb;
  localparam int unsigned PushNext = bitgrid_pkg::PushNextLsb;

  // ------------------------------------------------------------------------------------------------
  // Dispatch (R1)
  logic [3:0] in_op;
  logic       in_to_ld, in_to_cu, in_to_st;
  logic       lq_push, cq_push, sq_push;
  logic       lq_pop, cq_pop, sq_pop;
  logic       lq_full, cq_full, sq_full;
  logic       lq_empty, cq_empty, sq_empty;
  logic [CntW-1:0]  lq_cnt, cq_cnt, sq_cnt;
  logic [InsnW-1:0] lq_head, cq_head, sq_head;

  assign in_op    = insn_i[OpLsb +: 4];
  assign in_to_ld = (in_op == bitgrid_pkg::OpLoad);
  assign in_to_st = (in_op == bitgrid_pkg::OpStore);
  assign in_to_cu = !in_to_ld && !in_to_st;

  always_comb begin
    if (in_to_ld) begin
      insn_ready_o = !lq_full;
    end else if (in_to_st) begin
      insn_ready_o = !sq_full;
    end else begin
      insn_ready_o = !cq_full;
    end
  end

  assign lq_push = insn_valid_i && insn_ready_o && in_to_ld;
  assign cq_push = insn_valid_i && insn_ready_o && in_to_cu;
  assign sq_push = insn_valid_i && insn_ready_o && in_to_st;

  fifo #(
    .Width(InsnW),
    .Depth(QueueDepth)
  ) u_load_queue (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (lq_push),
    .wdata_i(insn_i),
    .pop_i  (lq_pop),
    .head_o (lq_head),
    .count_o(lq_cnt),
    .full_o (lq_full),
    .empty_o(lq_empty)
  );

  fifo #(
    .Width(InsnW),
    .Depth(QueueDepth)
  ) u_compute_queue (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (cq_push),
    .wdata_i(insn_i),
    .pop_i  (cq_pop),
    .head_o (cq_head),
    .count_o(cq_cnt),
    .full_o (cq_full),
    .empty_o(cq_empty)
  );

  fifo #(
    .Width(InsnW),
    .Depth(QueueDepth)
  ) u_store_queue (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (sq_push),
    .wdata_i(insn_i),
    .pop_i  (sq_pop),
    .head_o (sq_head),
    .count_o(sq_cnt),
    .full_o (sq_full),
    .empty_o(sq_empty)
  );

  // ------------------------------------------------------------------------------------------------
  // Tokens and issue (R2, R3, R4)
  logic [7:0] l2c_q, c2l_q, c2s_q, s2c_q;
  logic [7:0] l2c_d, c2l_d, c2s_d, s2c_d;
  logic       done_q, done_d;
  logic       error_q, error_d;
  logic [3:0] cause_q, cause_d;
  // push flags of the instruction each unit is executing
  logic       ld_push_next_q, cu_push_prev_q, cu_push_next_q, st_push_prev_q;
  logic       ld_push_next_d, cu_push_prev_d, cu_push_next_d, st_push_prev_d;

  logic       ld_go, cu_go, st_go;  // issue (for compute: including finish)
  logic       cu_is_finish;
  logic [3:0] cu_op;

  assign cu_op        = cq_head[OpLsb +: 4];
  assign cu_is_finish = (cu_op == bitgrid_pkg::OpFinish);

  assign ld_go = !done_q && ld_idle_i && !lq_empty && (!lq_head[PopNext] || (c2l_q != '0));
  assign cu_go = !done_q && cu_idle_i && !cq_empty && (!cq_head[PopPrev] || (l2c_q != '0)) &&
                 (!cq_head[PopNext] || (s2c_q != '0));
  assign st_go = !done_q && st_idle_i && !sq_empty && (!sq_head[PopPrev] || (c2s_q != '0));

  assign lq_pop = ld_go;
  assign cq_pop = cu_go;
  assign sq_pop = st_go;

  assign ld_issue_o = ld_go;
  assign cu_issue_o = cu_go && !cu_is_finish;
  assign st_issue_o = st_go;
  assign ld_insn_o  = lq_head;
  assign cu_insn_o  = cq_head;
  assign st_insn_o  = sq_head;

  // One token counter: value + push - pop, flagging a result above TokenMax.
  function automatic logic [8:0] tok_next(logic [7:0] cur, logic push, logic pop);
    tok_next = {1'b0, cur} + {8'd0, push} - {8'd0, pop};
  endfunction

  logic [8:0] l2c_n, c2l_n, c2s_n, s2c_n;
  logic       tok_ovf, bad_flags, bad_op;

  always_comb begin
    l2c_n = tok_next(l2c_q, ld_complete_i && ld_push_next_q, cu_go && cq_head[PopPrev]);
    c2l_n = tok_next(c2l_q, cu_complete_i && cu_push_prev_q, ld_go && lq_head[PopNext]);
    c2s_n = tok_next(c2s_q, cu_complete_i && cu_push_next_q, st_go && sq_head[PopPrev]);
    s2c_n = tok_next(s2c_q, st_complete_i && st_push_prev_q, cu_go && cq_head[PopNext]);
    tok_ovf = (l2c_n > 9'(TokenMax)) || (c2l_n > 9'(TokenMax)) || (c2s_n > 9'(TokenMax)) ||
              (s2c_n > 9'(TokenMax));
    l2c_d = l2c_n[7:0];
    c2l_d = c2l_n[7:0];
    c2s_d = c2s_n[7:0];
    s2c_d = s2c_n[7:0];

    bad_flags = (ld_go && (lq_head[PopPrev] || lq_head[PushPrev])) ||
                (st_go && (sq_head[PopNext] || sq_head[PushNext]));
    bad_op = cu_go && !cu_is_finish && (cu_op != bitgrid_pkg::OpNop) &&
             (cu_op != bitgrid_pkg::OpHamtopk);

    done_d  = done_q || (cu_go && cu_is_finish);
    cause_d = cause_q | {ld_error_i || st_error_i, bad_op, bad_flags, tok_ovf};
    error_d = error_q || (cause_d != '0);

    ld_push_next_d = ld_push_next_q;
    cu_push_prev_d = cu_push_prev_q;
    cu_push_next_d = cu_push_next_q;
    st_push_prev_d = st_push_prev_q;
    if (ld_go) begin
      ld_push_next_d = lq_head[PushNext];
    end
    if (cu_go) begin
      cu_push_prev_d = cq_head[PushPrev];
      cu_push_next_d = cq_head[PushNext];
    end
    if (st_go) begin
      st_push_prev_d = sq_head[PushPrev];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      l2c_q          <= '0;
      c2l_q          <= '0;
      c2s_q          <= '0;
      s2c_q          <= '0;
      done_q         <= 1'b0;
      error_q        <= 1'b0;
      cause_q        <= '0;
      ld_push_next_q <= 1'b0;
      cu_push_prev_q <= 1'b0;
      cu_push_next_q <= 1'b0;
      st_push_prev_q <= 1'b0;
    end else begin
      l2c_q          <= l2c_d;
      c2l_q          <= c2l_d;
      c2s_q          <= c2s_d;
      s2c_q          <= s2c_d;
      done_q         <= done_d;
      error_q        <= error_d;
      cause_q        <= cause_d;
      ld_push_next_q <= ld_push_next_d;
      cu_push_prev_q <= cu_push_prev_d;
      cu_push_next_q <= cu_push_next_d;
      st_push_prev_q <= st_push_prev_d;
    end
  end

  assign done_o      = done_q;
  assign error_o     = error_q;
  assign occ_o       = {sq_cnt, cq_cnt, lq_cnt};
  assign tokens_o    = {s2c_q, c2s_q, c2l_q, l2c_q};
  assign issue_o     = {st_go, cu_go, ld_go};
  assign complete_o  = {st_complete_i, cu_complete_i, ld_complete_i};
  assign heads_o     = {sq_head[7:0], cq_head[7:0], lq_head[7:0]};
  assign err_cause_o = cause_q;

endmodule
