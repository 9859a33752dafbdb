// Synchronous FIFO with a first-word-fall-through head and an occupancy register.
//
// Timing (ARCHITECTURE.md R1/R2): a push in cycle c is visible (count_o, head_o) in cycle c+1; a pop in
// cycle c frees its slot in cycle c+1. count_o is the occupancy register itself, so it is what the
// controller compares at the start of a cycle. The user never pushes a full or pops an empty FIFO
// (asserted); if it did, the request would be ignored.
module bg_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4,  // power of two, >= 2
  localparam int unsigned PtrW = $clog2(Depth),
  localparam int unsigned CntW = PtrW + 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             push_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             pop_i,
  output logic [Width-1:0] head_o,
  output logic [Width-1:0] second_o,  // the entry behind the head (when count_o >= 2)
  output logic [PtrW-1:0]  rptr_o,    // slot of the head, and the slot the next push writes: a user
  output logic [PtrW-1:0]  wptr_o,    // keeping a side memory in the FIFO's order indexes it with them
  output logic [CntW-1:0]  count_o,
  output logic             full_o,
  output logic             empty_o
);

  if (Depth < 2 || (Depth & (Depth - 1)) != 0) begin : g_bad_depth
    $fatal(1, "bg_fifo: Depth must be a power of two >= 2");
  end
  if (Width < 1) begin : g_bad_width
    $fatal(1, "bg_fifo: Width must be at least 1");
  end

  logic [Width-1:0] mem_q [Depth];
  logic [PtrW-1:0]  wptr_q, wptr_d;
  logic [PtrW-1:0]  rptr_q, rptr_d;
  logic [CntW-1:0]  cnt_q, cnt_d;
  logic             do_push, do_pop;

  assign full_o  = (cnt_q == CntW'(Depth));
  assign empty_o = (cnt_q == '0);
  assign do_push = push_i && !full_o;
  assign do_pop  = pop_i && !empty_o;

  always_comb begin
    wptr_d = wptr_q;
    rptr_d = rptr_q;
    cnt_d  = cnt_q;
    if (do_push) begin
      wptr_d = wptr_q + 1'b1;
    end
    if (do_pop) begin
      rptr_d = rptr_q + 1'b1;
    end
    unique case ({do_push, do_pop})
      2'b10:   cnt_d = cnt_q + 1'b1;
      2'b01:   cnt_d = cnt_q - 1'b1;
      default: cnt_d = cnt_q;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q <= '0;
      rptr_q <= '0;
      cnt_q  <= '0;
    end else begin
      wptr_q <= wptr_d;
      rptr_q <= rptr_d;
      cnt_q  <= cnt_d;
    end
  end

  // Storage: no reset (datapath only); the head is read combinationally.
  always_ff @(posedge clk_i) begin
    if (do_push) begin
      mem_q[wptr_q] <= wdata_i;
    end
  end

  assign head_o   = mem_q[rptr_q];
  assign second_o = mem_q[rptr_q + 1'b1];
  assign rptr_o   = rptr_q;
  assign wptr_o   = wptr_q;
  assign count_o  = cnt_q;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_no_push_when_full: assert property (@(posedge clk_i) disable iff (!asserts_on) !(push_i && full_o))
    else $error("bg_fifo: push into a full FIFO");
  a_no_pop_when_empty: assert property (@(posedge clk_i) disable iff (!asserts_on) !(pop_i && empty_o))
    else $error("bg_fifo: pop from an empty FIFO");
  a_count_in_range: assert property (@(posedge clk_i) disable iff (!asserts_on) cnt_q <= CntW'(Depth))
    else $error("bg_fifo: occupancy above Depth");
`endif

endmodule : bg_fifo
