// One column of the bitmac array (ARCHITECTURE.md §3.2): MacRows PEs and their adder tree, accumulating
// into the column's 32-bit group partial sum.
//
// Each cycle PE r multiplies activation act_i[r] (INT8) by one term of its weight code code_i[r] (the low
// dtype_bits bits of the code are used):
//   bit-serial (MacParallel = 0), term term_i of the weight:
//     int types:   the code sign-extended to 2*terms bits, radix-4 Booth digit
//                  d = -2*q[2i+1] + q[2i] + q[2i-1] (q[-1] = 0), term = d * 4^i: a signed power of two;
//     table types: v = dtype_value(code, sel), |v| = hi + lo (hi the leading power of two, lo the rest,
//                  0 or a power of two); term 0 = sign(v)*hi, term 1 = sign(v)*lo.
//     A term is (zero, negative, shift), so the PE is a shifter and a conditional negation.
//   bit-parallel (MacParallel = 1): the whole value (the code for int types, dtype_value for table types)
//     times the activation: an 8x8 multiplier.
// The column sums the R products (adder tree) and adds them to the group partial sum: psum_o is the sum
// including this cycle (combinational, what the rescaler loads at a group's end), psum_q the sum of the
// group's previous cycles (cleared by first_i, the group's first cycle).
module bg_bitmac_pe_col #(
  parameter int unsigned MacRows     = bitgrid_pkg::DefaultMacRows,
  parameter int unsigned MacParallel = bitgrid_pkg::DefaultMacParallel
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 valid_i,   // a compute cycle
  input  logic                 first_i,   // the group's first cycle: the partial sum starts from zero
  input  logic [2:0]           dtype_i,
  input  logic [1:0]           sel_i,     // the group's BitMoD selector
  input  logic [1:0]           term_i,    // term index of this cycle (0 .. terms-1; 0 when MacParallel)
  input  logic [MacRows*8-1:0] act_i,     // activation of PE r at [8r +: 8]
  input  logic [MacRows*8-1:0] code_i,    // weight code of PE r at [8r +: 8]
  output logic [31:0]          psum_o
);

  if (MacRows < 8 || MacRows > 64 || (MacRows & (MacRows - 1)) != 0) begin : g_bad_rows
    $fatal(1, "bg_bitmac_pe_col: MacRows must be a power of two in 8 .. 64");
  end
  if (MacParallel > 1) begin : g_bad_parallel
    $fatal(1, "bg_bitmac_pe_col: MacParallel must be 0 or 1");
  end

  localparam int unsigned ProdW = 16;                     // |X| <= 128, |term| <= 128
  localparam int unsigned SumW  = ProdW + $clog2(MacRows);

  logic [MacRows*ProdW-1:0] prod;  // PE r's product at [ProdW*r +: ProdW]
  logic [SumW-1:0]          sum;
  logic [31:0]              psum_d, psum_q;

  // ---------------------------------------------------------------------------------------------
  // PEs
  // ---------------------------------------------------------------------------------------------
  for (genvar r = 0; r < MacRows; r++) begin : g_pe
    logic [7:0] code, q;  // the code, and the code sign-extended from its width (int types)
    logic [7:0] x;        // the activation (INT8)
    logic [7:0] v;        // the value of a table code (dtype_value), signed

    assign code = code_i[8*r +: 8];
    assign x    = act_i[8*r +: 8];
    assign v    = bitgrid_pkg::dtype_value(dtype_i, code, sel_i);

    always_comb begin
      unique case (bitgrid_pkg::dtype_bits(dtype_i))
        4'd3:    q = {{5{code[2]}}, code[2:0]};
        4'd4:    q = {{4{code[3]}}, code[3:0]};
        4'd6:    q = {{2{code[5]}}, code[5:0]};
        default: q = code;
      endcase
    end

    if (MacParallel != 0) begin : g_parallel
      // The whole value times the activation.
      logic [7:0]  w;
      logic [15:0] p;
      assign w = bitgrid_pkg::dtype_is_table(dtype_i) ? v : q;
      assign p = 16'($signed(x) * $signed(w));
      assign prod[ProdW*r +: ProdW] = p;
    end else begin : g_serial
      // One signed power-of-two term: zero, or +-(x << sh).
      logic [8:0]       qe;          // {q, q[-1] = 0}
      logic [2:0]       dig;         // Booth digit bits q[2i+1], q[2i], q[2i-1]
      logic [4:0]       mag;         // |v| (<= 16)
      logic [4:0]       hi, lo;      // leading power of two of |v|, and the rest
      logic [4:0]       pick;        // the power of two of a table term (0: none)
      logic             zero, neg;
      logic [2:0]       sh;
      logic [ProdW-1:0] xs, mag_x;

      assign qe  = {q, 1'b0};
      assign dig = qe[{1'b0, term_i, 1'b0} +: 3];
      assign mag = v[7] ? 5'(-v) : 5'(v);
      assign lo  = mag - hi;
      assign pick = (term_i == 2'd0) ? hi : lo;

      always_comb begin
        hi = '0;
        for (int unsigned b = 0; b < 5; b++) begin
          if (mag[b]) begin
            hi = 5'(1) << b;  // the highest set bit wins
          end
        end
      end

      always_comb begin
        zero = 1'b1;
        neg  = 1'b0;
        sh   = 3'd0;
        if (bitgrid_pkg::dtype_is_table(dtype_i)) begin
          zero = (pick == '0);
          neg  = v[7];
          for (int unsigned b = 0; b < 5; b++) begin
            if (pick[b]) begin
              sh = 3'(b);
            end
          end
        end else begin
          unique case (dig)
            3'b001, 3'b010: begin  // +1 * 4^i
              zero = 1'b0;
              sh   = {term_i, 1'b0};
            end
            3'b011: begin          // +2 * 4^i
              zero = 1'b0;
              sh   = {term_i, 1'b1};
            end
            3'b100: begin          // -2 * 4^i
              zero = 1'b0;
              neg  = 1'b1;
              sh   = {term_i, 1'b1};
            end
            3'b101, 3'b110: begin  // -1 * 4^i
              zero = 1'b0;
              neg  = 1'b1;
              sh   = {term_i, 1'b0};
            end
            default: begin         // 000, 111: 0
              zero = 1'b1;
            end
          endcase
        end
      end

      assign xs    = {{(ProdW-8){x[7]}}, x};
      assign mag_x = xs << sh;
      assign prod[ProdW*r +: ProdW] = zero ? '0 : (neg ? -mag_x : mag_x);
    end
  end

  if (MacParallel != 0) begin : g_unused_term
    logic unused_term;
    assign unused_term = ^term_i;
  end

  // ---------------------------------------------------------------------------------------------
  // Adder tree and the group partial sum
  // ---------------------------------------------------------------------------------------------
  always_comb begin
    sum = '0;
    for (int unsigned r = 0; r < MacRows; r++) begin
      sum = sum + {{(SumW-ProdW){prod[ProdW*r+ProdW-1]}}, prod[ProdW*r +: ProdW]};
    end
  end

  assign psum_d = (first_i ? 32'd0 : psum_q) + {{(32-SumW){sum[SumW-1]}}, sum};
  assign psum_o = psum_d;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      psum_q <= '0;
    end else if (valid_i) begin
      psum_q <= psum_d;
    end
  end

endmodule : bg_bitmac_pe_col
