// Word-addressed dual-port scratchpad (ARCHITECTURE.md §2): Words 64-bit words in rows of RowWords words.
//
// The storage is RowWords banks of 64-bit x Rows memories (bank k holds column k of every row), each a
// plain array with registered read ports, so Yosys infers one memory per bank (one write port and one
// or two read ports for every buffer bitgrid instantiates).
//
//   port A (DMA): one beat of AWords words at an AWords-aligned word address; write (AWrite) or read (ARead).
//   port B (compute): reads BWords words at a BWords-aligned word address (BRead), writes BWWords words at a
//   BWWords-aligned one (BWrite); one access per cycle.
//
// Reads have one cycle of latency: data of a request in cycle c is on *_rdata_o in cycle c+1 and stays
// there until the next read of that port. A read and a write of the same word in one cycle (different
// ports) returns the old word in simulation; only a program with a race between a DMA and an engine on
// the same words does that (tokens exclude it; the reference model leaves its result undefined), so the
// memories carry no_rw_check: synthesis adds no collision logic and a block RAM may return either word
// (on the UP5K board this saves about 340 logic cells). Two writes of one word in one cycle never happen (asserted: the generated
// top gives port A to one DMA unit and port B to one engine at a time). The storage has no reset; the
// simulation harness clears it before each job. Every width is a power of two and AWords, BWords, BWWords <=
// RowWords, so an access always falls inside one row.
module bg_scratchpad #(
  parameter int unsigned Words    = 1024,
  parameter int unsigned RowWords = 4,
  parameter int unsigned AWords   = 4,
  parameter int unsigned BWords   = 1,
  parameter int unsigned BWWords  = BWords,  // port B's write width (its reads are BWords wide)
  parameter int unsigned AWrite   = 1,
  parameter int unsigned ARead    = 0,
  parameter int unsigned BWrite   = 0,
  parameter int unsigned BRead    = 1,
  localparam int unsigned AddrW   = bitgrid_pkg::SpmAddrW,
  localparam int unsigned Rows    = Words / RowWords,
  localparam int unsigned RowW    = (Rows > 1) ? $clog2(Rows) : 1,
  localparam int unsigned ColW    = (RowWords > 1) ? $clog2(RowWords) : 1,
  localparam int unsigned LogRow  = $clog2(RowWords),
  localparam int unsigned LogA    = $clog2(AWords),
  localparam int unsigned LogB    = $clog2(BWords),
  localparam int unsigned LogBW   = $clog2(BWWords)
) (
  input  logic                  clk_i,
  // port A
  input  logic                  a_req_i,
  input  logic                  a_we_i,
  input  logic [AddrW-1:0]      a_addr_i,
  input  logic [AWords*64-1:0]  a_wdata_i,
  output logic [AWords*64-1:0]  a_rdata_o,
  // port B
  input  logic                  b_req_i,
  input  logic                  b_we_i,
  input  logic [AddrW-1:0]      b_addr_i,
  input  logic [BWWords*64-1:0] b_wdata_i,
  output logic [BWords*64-1:0]  b_rdata_o
);

  if ((RowWords & (RowWords - 1)) != 0 || (AWords & (AWords - 1)) != 0 || (BWords & (BWords - 1)) != 0 ||
      (BWWords & (BWWords - 1)) != 0) begin
    : g_bad_pow2
    $fatal(1, "bg_scratchpad: RowWords, AWords, BWords and BWWords must be powers of two");
  end
  if (AWords > RowWords || BWords > RowWords || BWWords > RowWords) begin : g_bad_port
    $fatal(1, "bg_scratchpad: a port is wider than a row");
  end
  if (Words < RowWords || Words % RowWords != 0 || Words > (1 << AddrW)) begin : g_bad_words
    $fatal(1, "bg_scratchpad: Words must be a whole number of rows within the address space");
  end

  // Row and column of each port's word address.
  logic [RowW-1:0] a_row, b_row;
  logic [ColW-1:0] a_col, b_col;
  logic [ColW-1:0] a_seg, b_seg;          // AWords- / BWords-word segment of the row
  logic [ColW-1:0] b_wseg;                // BWWords-word segment of port B's write
  logic [ColW-1:0] a_seg_q, b_seg_q;      // segment of the last read, selects the read data

  assign a_row = RowW'(a_addr_i >> LogRow);
  assign b_row = RowW'(b_addr_i >> LogRow);
  assign a_col = ColW'(a_addr_i & AddrW'(RowWords - 1));
  assign b_col = ColW'(b_addr_i & AddrW'(RowWords - 1));
  assign a_seg = a_col >> LogA;
  assign b_seg = b_col >> LogB;
  assign b_wseg = b_col >> LogBW;

  logic a_rd, a_wr, b_rd, b_wr;
  assign a_rd = (ARead != 0) && a_req_i && !a_we_i;
  assign a_wr = (AWrite != 0) && a_req_i && a_we_i;
  assign b_rd = (BRead != 0) && b_req_i && !b_we_i;
  assign b_wr = (BWrite != 0) && b_req_i && b_we_i;

  logic [RowWords*64-1:0] a_rd_flat, b_rd_flat;

  for (genvar k = 0; k < RowWords; k++) begin : g_bank
    (* no_rw_check *) logic [63:0] mem_q [Rows] /*verilator public_flat_rw*/;  // the harness zeroes it between jobs
    logic [63:0] a_rd_q, b_rd_q;
    logic        a_we_k, b_we_k, a_re_k, b_re_k;

    assign a_we_k = a_wr && (a_seg == ColW'(k / AWords));
    assign b_we_k = b_wr && (b_wseg == ColW'(k / BWWords));
    assign a_re_k = a_rd && (a_seg == ColW'(k / AWords));
    assign b_re_k = b_rd && (b_seg == ColW'(k / BWords));

    always_ff @(posedge clk_i) begin
      if (a_we_k) begin
        mem_q[a_row] <= a_wdata_i[(k % AWords)*64 +: 64];
      end
      if (b_we_k) begin
        mem_q[b_row] <= b_wdata_i[(k % BWWords)*64 +: 64];
      end
    end

    always_ff @(posedge clk_i) begin
      if (a_re_k) begin
        a_rd_q <= mem_q[a_row];
      end
    end

    always_ff @(posedge clk_i) begin
      if (b_re_k) begin
        b_rd_q <= mem_q[b_row];
      end
    end

    assign a_rd_flat[k*64 +: 64] = a_rd_q;
    assign b_rd_flat[k*64 +: 64] = b_rd_q;

`ifndef SYNTHESIS
    a_one_write_per_word: assert property (@(posedge clk_i) !(a_we_k && b_we_k && a_row == b_row))
      else $error("bg_scratchpad: both ports write one word in one cycle");
`endif
  end

  always_ff @(posedge clk_i) begin
    if (a_rd) begin
      a_seg_q <= a_seg;
    end
    if (b_rd) begin
      b_seg_q <= b_seg;
    end
  end

  assign a_rdata_o = a_rd_flat[a_seg_q*AWords*64 +: AWords*64];
  assign b_rdata_o = b_rd_flat[b_seg_q*BWords*64 +: BWords*64];

`ifndef SYNTHESIS
  a_port_a_in_range: assert property (@(posedge clk_i) !(a_req_i && (32'(a_addr_i) + AWords > Words)))
    else $error("bg_scratchpad: port A access beyond the buffer");
  a_port_b_in_range: assert property (@(posedge clk_i)
                                      !(b_req_i && (32'(b_addr_i) + (b_we_i ? BWWords : BWords) > Words)))
    else $error("bg_scratchpad: port B access beyond the buffer");
`endif

endmodule : bg_scratchpad
