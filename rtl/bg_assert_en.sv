// Enable of a module's SVA assertions (simulation only; instantiated inside `ifndef SYNTHESIS): 0 under
// reset and until the first clock edge after reset is released, 1 from then on. A flop, so that the
// modules' rst_ni stays a pure asynchronous reset (`disable iff (!rst_ni)` would also use it as a
// synchronous signal, which -Wall flags) and the assertions see no reset-time values. Assertions are
// therefore checked from the second clock edge after reset on.
module bg_assert_en (
  input  logic clk_i,
  input  logic rst_ni,
  output logic en_o
);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      en_o <= 1'b0;
    end else begin
      en_o <= 1'b1;
    end
  end

endmodule : bg_assert_en
