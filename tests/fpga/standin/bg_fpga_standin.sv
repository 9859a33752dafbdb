// Test fixture, not part of the product: a small stand-in for the iCE40 board top (bg_board_ice40 in
// rtl/board/) so that scripts/fpga.sh can be placed and routed before the board top exists. It takes the
// configured package's parameters (bitgrid_pkg::Default*, replaced by scripts/fpga.sh with the config's
// values), keeps a 256 x 64-bit memory (block RAM) filled from a serial pin, and popcounts each word read
// back in HamLanes rotated copies (bg_popcount64 of the product RTL), accumulating the sum onto the LEDs.
module bg_fpga_standin (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       rx_i,
  output logic       tx_o,
  output logic [4:0] led_o
);
  localparam int unsigned Lanes = bitgrid_pkg::DefaultHamLanes;

  logic [63:0] shift_q;
  logic [5:0]  bit_q;
  logic [7:0]  waddr_q, raddr_q;
  logic [63:0] mem_q [256];
  logic [63:0] rdata_q;
  logic [6:0]  count [Lanes];
  logic [23:0] acc_q;
  logic [23:0] sum;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      shift_q <= '0;
      bit_q   <= '0;
      waddr_q <= '0;
      raddr_q <= '0;
    end else begin
      shift_q <= {shift_q[62:0], rx_i};
      bit_q   <= bit_q + 6'd1;
      if (bit_q == 6'd63) waddr_q <= waddr_q + 8'd1;
      raddr_q <= raddr_q + 8'd1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (bit_q == 6'd63) mem_q[waddr_q] <= shift_q;
    rdata_q <= mem_q[raddr_q];
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [63:0] rot;
    assign rot = (rdata_q << l) | (rdata_q >> (64 - l));
    logic [19:0] q;  // the four 16-bit quarters' counts
    bg_popcount64 u_pop (.data_i(rot), .count16_o(q));
    assign count[l] = 7'(q[4:0]) + 7'(q[9:5]) + 7'(q[14:10]) + 7'(q[19:15]);
  end

  always_comb begin
    sum = acc_q;
    for (int unsigned l = 0; l < Lanes; l++) sum = sum + 24'(count[l]);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) acc_q <= '0;
    else acc_q <= sum;
  end

  assign led_o = acc_q[23:19];
  assign tx_o  = ^acc_q;
endmodule : bg_fpga_standin
