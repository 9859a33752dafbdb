// Bit-serial rescaler of one bitmac column (ARCHITECTURE.md §3.2, R11): multiplies a group's 32-bit partial
// sum by its unsigned 8-bit group scale, one scale bit per cycle, into the column's 48-bit accumulator.
//
// load_i (the group's last compute cycle z) takes psum_i and scale_i; cycles z+1 .. z+8 then add
// scale[i] ? psum << i : 0 for i = 0 .. 7, so acc_o = acc + psum * scale from cycle z+9 on. clear_i
// (with load_i: the row's first group) makes the first of the eight additions start from zero instead of
// the accumulator, so the previous row's result stays readable in acc_o up to and including cycle z+1.
// A load is allowed from the last of the eight cycles on (R11 requires group_pairs*2T >= 8).
module bg_bitmac_rescale (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        load_i,
  input  logic        clear_i,
  input  logic [31:0] psum_i,   // signed
  input  logic [7:0]  scale_i,  // unsigned
  output logic        busy_o,   // one of the eight cycles
  output logic [47:0] acc_o     // signed
);

  localparam int unsigned ShW = 40;  // psum << 7 fits in 39 bits

  logic [3:0]     cnt_d, cnt_q;      // cycles left
  logic           clr_d, clr_q;      // the next addition starts from zero
  logic [ShW-1:0] ps_d, ps_q;        // psum << (cycle index)
  logic [7:0]     sc_d, sc_q;        // scale >> (cycle index)
  logic [47:0]    acc_d, acc_q;
  logic [47:0]    base;

  assign busy_o = (cnt_q != '0);
  assign base   = clr_q ? 48'd0 : acc_q;

  always_comb begin
    cnt_d = cnt_q;
    clr_d = clr_q;
    ps_d  = ps_q;
    sc_d  = sc_q;
    acc_d = acc_q;
    if (busy_o) begin
      cnt_d = cnt_q - 4'd1;
      clr_d = 1'b0;
      ps_d  = ps_q << 1;
      sc_d  = sc_q >> 1;
      acc_d = base + (sc_q[0] ? {{(48-ShW){ps_q[ShW-1]}}, ps_q} : 48'd0);
    end
    // The next group may end in the last of the eight cycles (group_pairs*2T = 8).
    if (load_i) begin
      cnt_d = 4'd8;
      clr_d = clear_i;
      ps_d  = {{(ShW-32){psum_i[31]}}, psum_i};
      sc_d  = scale_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q <= '0;
      clr_q <= 1'b0;
      ps_q  <= '0;
      sc_q  <= '0;
      acc_q <= '0;
    end else begin
      cnt_q <= cnt_d;
      clr_q <= clr_d;
      ps_q  <= ps_d;
      sc_q  <= sc_d;
      acc_q <= acc_d;
    end
  end

  assign acc_o = acc_q;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_no_overlap: assert property (@(posedge clk_i) disable iff (!asserts_on) !(load_i && cnt_q > 4'd1))
    else $error("bg_bitmac_rescale: a group ended while the previous rescale runs");
`endif

endmodule : bg_bitmac_rescale
