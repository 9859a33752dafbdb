// One hash-grid engine's segment of gbuf (ARCHITECTURE.md §3.4): SegWords 64-bit words in lines of 4 words
// (256 bits), held in 2^(MaxDims-1) copies, each split into two banks (bank b holds the lines of parity b).
// The load DMA writes every copy at once; read port k (one of 2^MaxDims) reads copy k>>1, one line per cycle.
//
//   write: one DMA beat of Wb words at a Wb-aligned word address of the segment (waddr_i). A beat narrower than
//          a line writes part of one line (word-granular memories); a wider one writes Wb/4 whole lines, half
//          of them in each bank.
//   read:  port k reads line line_i[k] when re_i[k]; its 256 bits are on rdata_o[k] in the next cycle (and
//          until the port's next read). Ports 2c and 2c+1 share copy c: the engine reads lines of different
//          parity through them (two corners of an x-neighbour pair), so each bank serves one of them. When both
//          ask for one bank they must ask for the same line (then both get it; port 2c's line wins otherwise,
//          which the engine asserts never happens).
//
// Storage: per copy and bank, a block of Blk = max(8, Wb) words (Blk/8 lines of the bank, NSub "sub-banks")
// is one row of NSub*4 column memories of 64 bits x SegWords/Blk rows, so a beat writes at most one row of each
// column memory and a line read reads one row of 4 of them. Each column memory is a plain array with one write
// port and one registered read port (Yosys infers a memory), no_rw_check like bg_scratchpad (a DMA write and
// an engine read of one word in one cycle is a race a correct program never has), and public (mem_q), so the
// simulation harness zeroes it between jobs. No reset.
module bg_hashgrid_table #(
  parameter int unsigned MaxDims  = 3,     // 2 or 3
  parameter int unsigned Wb       = 4,     // words per DMA beat (a power of two)
  parameter int unsigned SegWords = 1024,  // words of the segment
  localparam int unsigned AddrW   = bitgrid_pkg::SpmAddrW,
  localparam int unsigned NPorts  = 1 << MaxDims,
  localparam int unsigned Lines   = SegWords / 4,
  localparam int unsigned LineW   = (Lines > 1) ? $clog2(Lines) : 1
) (
  input  logic                    clk_i,
  // DMA write (port A of the segment)
  input  logic                    we_i,
  input  logic [AddrW-1:0]        waddr_i,  // word address within the segment, Wb-aligned
  input  logic [Wb*64-1:0]        wdata_i,
  // line reads
  input  logic [NPorts-1:0]       re_i,
  input  logic [NPorts*LineW-1:0] line_i,   // port k: [LineW*k +: LineW]
  output logic [NPorts*256-1:0]   rdata_o   // port k: [256*k +: 256], word j of the line at [256*k + 64*j +: 64]
);

  localparam int unsigned NCopies = NPorts / 2;
  localparam int unsigned Blk     = (Wb > 8) ? Wb : 8;  // words of one row of a copy's column memories
  localparam int unsigned NSub    = Blk / 8;            // lines of one bank per row
  localparam int unsigned Rows    = SegWords / Blk;
  localparam int unsigned RowW    = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int unsigned SubW    = (NSub > 1) ? $clog2(NSub) : 1;
  localparam int unsigned LogBlk  = $clog2(Blk);
  localparam int unsigned LogWb   = $clog2(Wb);
  localparam int unsigned LogSub  = $clog2(NSub);

  if (MaxDims != 2 && MaxDims != 3) begin : g_bad_dims
    $fatal(1, "bg_hashgrid_table: MaxDims must be 2 or 3");
  end
  if (Wb < 1 || (Wb & (Wb - 1)) != 0) begin : g_bad_wb
    $fatal(1, "bg_hashgrid_table: Wb must be a power of two");
  end
  if (SegWords < 8 || SegWords % Blk != 0 || SegWords > (1 << AddrW)) begin : g_bad_words
    $fatal(1, "bg_hashgrid_table: SegWords must be a whole number of DMA beats and of 8 words (two lines)");
  end

  // ---- write: the beat's row and which Wb-word part of the row's Blk words it is
  logic [RowW-1:0]  wrow;
  logic [LogBlk:0]  woff;
  logic [LogBlk:0]  wseg;
  logic             unused_waddr;

  assign wrow = RowW'(waddr_i >> LogBlk);
  assign woff = (LogBlk + 1)'(waddr_i & AddrW'(Blk - 1));
  assign wseg = woff >> LogWb;
  // address bits above the segment's rows are zero (the engine decodes the segment)
  assign unused_waddr = ^waddr_i;

  for (genvar c = 0; c < NCopies; c++) begin : g_copy
    logic [LineW-1:0] line0, line1;
    logic             par0_q, par1_q;
    logic [511:0]     bank_rd;  // bank b's line at [256*b +: 256]

    assign line0 = line_i[LineW*(2*c) +: LineW];
    assign line1 = line_i[LineW*(2*c+1) +: LineW];

    for (genvar b = 0; b < 2; b++) begin : g_bank
      logic             use0, use1, re;
      logic [LineW-1:0] rline;
      logic [LineW-1:0] rrow;   // the line's row within the bank (line >> 1)
      logic [RowW-1:0]  srow;   // row of the column memories
      logic [SubW-1:0]  sub, sub_q;
      logic [NSub*256-1:0] sub_rd;

      assign use0  = re_i[2*c] && (line0[0] == 1'(b));
      assign use1  = re_i[2*c+1] && (line1[0] == 1'(b));
      assign re    = use0 || use1;
      assign rline = use0 ? line0 : line1;
      assign rrow  = rline >> 1;
      assign srow  = RowW'(rrow >> LogSub);
      assign sub   = SubW'(rrow & LineW'(NSub - 1));

      always_ff @(posedge clk_i) begin
        if (re) begin
          sub_q <= sub;
        end
      end

      for (genvar s = 0; s < NSub; s++) begin : g_sub
        for (genvar k = 0; k < 4; k++) begin : g_col
          // word k of line 2*(NSub*row + s) + b: word Pos of the row's Blk words
          localparam int unsigned Pos = 8 * s + 4 * b + k;
          (* no_rw_check *) logic [63:0] mem_q [Rows] /*verilator public_flat_rw*/;  // zeroed between jobs
          logic [63:0] rd_q;
          logic        we_k, re_k;

          assign we_k = we_i && (wseg == (LogBlk + 1)'(Pos / Wb));
          assign re_k = re && (sub == SubW'(s));

          always_ff @(posedge clk_i) begin
            if (we_k) begin
              mem_q[wrow] <= wdata_i[(Pos % Wb)*64 +: 64];
            end
          end

          always_ff @(posedge clk_i) begin
            if (re_k) begin
              rd_q <= mem_q[srow];
            end
          end

          assign sub_rd[256*s + 64*k +: 64] = rd_q;
        end
      end

      if (NSub > 1) begin : g_sub_mux
        always_comb begin
          bank_rd[256*b +: 256] = sub_rd[255:0];
          for (int i = 1; i < NSub; i++) begin
            if (sub_q == SubW'(i)) begin
              bank_rd[256*b +: 256] = sub_rd[256*i +: 256];
            end
          end
        end
      end else begin : g_one_sub
        assign bank_rd[256*b +: 256] = sub_rd;
        logic unused_sub;
        assign unused_sub = ^sub_q;
      end
    end

    // the parity (bank) of each port's last read selects its data
    always_ff @(posedge clk_i) begin
      if (re_i[2*c]) begin
        par0_q <= line0[0];
      end
      if (re_i[2*c+1]) begin
        par1_q <= line1[0];
      end
    end

    assign rdata_o[256*(2*c) +: 256]   = par0_q ? bank_rd[511:256] : bank_rd[255:0];
    assign rdata_o[256*(2*c+1) +: 256] = par1_q ? bank_rd[511:256] : bank_rd[255:0];
  end

endmodule : bg_hashgrid_table
