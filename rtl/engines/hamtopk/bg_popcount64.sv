// Population count of one 64-bit word, given as the counts of its four 16-bit quarters (each a balanced
// adder tree of 2-, 3-, 4- and 5-bit sums); their sum is the word's popcount. The Hamming unit registers
// the quarters and adds them in the next cycle, which halves the adder depth behind the buffer read.
module bg_popcount64 (
  input  logic [63:0] data_i,
  output logic [19:0] count16_o  // quarter i's count at [5*i +: 5]
);

  logic [63:0] sum2;  // 32 sums of 2 bits, 2 bits each
  logic [47:0] sum4;  // 16 sums of 4 bits, 3 bits each
  logic [31:0] sum8;  //  8 sums of 8 bits, 4 bits each

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
      count16_o[5*i +: 5] = {1'b0, sum8[8*i +: 4]} + {1'b0, sum8[8*i+4 +: 4]};
    end
  end

endmodule : bg_popcount64
