// Population count of one 64-bit word, as a balanced adder tree (2-bit, 3-bit, ... 7-bit sums).
module bg_popcount64 (
  input  logic [63:0] data_i,
  output logic [6:0]  count_o
);

  logic [63:0] sum2;  // 32 sums of 2 bits, 2 bits each
  logic [47:0] sum4;  // 16 sums of 4 bits, 3 bits each
  logic [31:0] sum8;  //  8 sums of 8 bits, 4 bits each
  logic [19:0] sum16; //  4 sums of 16 bits, 5 bits each
  logic [11:0] sum32; //  2 sums of 32 bits, 6 bits each

  always_comb begin
    for (int unsigned i = 0; i < 32; i++) begin
      sum2[2*i +: 2] = {1'b0, data_i[2*i]} + {1'b0, data_i[2*i+1]};
    end
    for (int unsigned i = 0; i < 16; i++) begin
      sum4[3*i +: 3] = {1'b0, sum2[4*i +: 2]} + {1'b0, sum2[4*i+2 +: 2]};
    end
    for (int unsigned i = 0; i < 8; i++) begin
      sum8[4*i +: 4] = {1'b0, sum4[6*i +: 3]} + {1'b0, sum4[6*i+3 +: 3]};
    end
    for (int unsigned i = 0; i < 4; i++) begin
      sum16[5*i +: 5] = {1'b0, sum8[8*i +: 4]} + {1'b0, sum8[8*i+4 +: 4]};
    end
    for (int unsigned i = 0; i < 2; i++) begin
      sum32[6*i +: 6] = {1'b0, sum16[10*i +: 5]} + {1'b0, sum16[10*i+5 +: 5]};
    end
    count_o = {1'b0, sum32[0 +: 6]} + {1'b0, sum32[6 +: 6]};
  end

endmodule : bg_popcount64
