// Hash-grid encoder engine (ARCHITECTURE.md §3.3, §3.4, R12): one hgenc instruction at a time, behind the
// compute dispatcher (bg_compute_unit) with the engine port list of ARCHITECTURE.md §6. It owns gbuf: the load
// DMA's writes into gbuf come in on gbuf_dma_*_i, and each of the HgEngines level engines keeps its segment
// (GbufWords / HgEngines words) in a bg_hashgrid_table of 2^(HgMaxDims-1) copies x two banks.
//
// Notation of §3.4: NE = HgEngines, W = mac_cols/8 (the abuf/obuf write width), F = 2^log2_f, D = 2 + dims3,
// J = ceil(n_lev/NE) (levels per engine), T = max(J, o_row/W) (a point's slot), n = n_points. Engine e encodes
// level l = j*NE + e of a point in cycle j of the point's slot.
//
// Started in cycle c (start_i with insn_i), cycle for cycle:
//   c+1 .. c+J            every engine reads its descriptor line d_row + j (table port 0); the line arrives in
//                         the next cycle and goes into the engine's descriptor registers (entry j)
//   M(p, t) = c+J+p*T+t   the slot sequencer: slots p = 0 .. n (slot n only drains), cycles t < T of each
//   M(p, 0)               xbuf read of point p (x_addr + 2p), p < n; captured in M(p, 0)+1
//   M(p, j)+2 .. +7       the lookup of point p, level j*NE+e (j < J), in the six-stage pipeline below
//   M(p, g)+7             the row of point p-1 (p >= 1), words g*W .. g*W+W-1 (g < o_row/W), written to
//                         abuf (o_abuf) or obuf at o_addr + (p-1)*(o_row+o_skip) + g*W; M(n, T-1)+7 = c+J+(n+1)*T+6 =
//                         c+E is the sequencer's last cycle delayed: last_o (the last row's last write, or an
//                         idle cycle of the last slot when the row is shorter than T)
// so E = J + (n+1)*T + 6 (R12): the (n+1) slots of T cycles from c+J on, delayed by 7 (2 cycles of point fetch
// before stage A, 5 from stage A to the row write in F), minus 1 because the sequencer starts in c+J, the
// cycle of the last descriptor read (its first xbuf read needs no descriptor).
//
// The lookup pipeline (per engine, one (point, level) per cycle; stage X runs in M+k for the k given):
//   A  M+2  the axis units (bg_hashgrid_axis) of the HgMaxDims coordinates at the level's scale
//   B  M+3  2^HgMaxDims corners: the index units (bg_hashgrid_index: dense sum or hash, mod size) and the
//           corner weights (UQ1.16 products in dimension order)
//   C  M+4  entry i -> line base + 2*((i>>1)/epl) + (i&1) mod the segment's lines (a power of two: gbuf_kib
//           is one), slot (i>>1)%epl (epl = 16/F); the table reads (corner k on port k)
//   D  M+5  the corners' lines: F int16 values each, weight x value, summed over the 2^D corners (int32 wrap)
//   E  M+6  INT8 requantization (o_abuf): (acc*mult + (shift ? 2^(shift-1) : 0)) >>> shift, saturated
//   F  M+7  the F values of every engine into the row buffer (INT8 at byte l*F+f, INT32 at bytes 4(l*F+f)..)
// The row buffer is double-buffered (point p in half p%2): half p%2 fills during slot p (stage F) and drains
// during slot p+1 (one write of W words per cycle, clearing what it drained, so the bytes of a row no value
// covers are zero).
//
// Ports carry one request each (bitgrid_pkg::spm_req_t), '0 while the engine is idle; read data arrives the
// cycle after the request. (Yosys 0.23 does not parse package imports: package items are bitgrid_pkg::X.)
module bg_hashgrid #(
  parameter int unsigned HgEngines      = bitgrid_pkg::DefaultHgEngines,
  parameter int unsigned HgMaxDims      = bitgrid_pkg::DefaultHgMaxDims,
  parameter int unsigned Wb             = bitgrid_pkg::DefaultDramBytesPerCycle / 8,  // words per DMA beat
  parameter int unsigned GbufWords      = bitgrid_pkg::DefaultGbufKib * 128,
  parameter int unsigned XbufPortWords  = 2,
  parameter int unsigned AbufPortWords  = bitgrid_pkg::DefaultMacRows / 4,
  parameter int unsigned AbufWriteWords = bitgrid_pkg::DefaultMacCols / 8,
  parameter int unsigned ObufPortWords  = bitgrid_pkg::DefaultMacCols / 8
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             start_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             last_o,
  // gbuf (owned): the load DMA's beats
  input  logic                             gbuf_dma_we_i,
  input  logic [bitgrid_pkg::SpmAddrW-1:0] gbuf_dma_addr_i,   // word address, Wb-aligned
  input  logic [Wb*64-1:0]                 gbuf_dma_wdata_i,
  // xbuf: read one point (two words)
  output bitgrid_pkg::spm_req_t            xbuf_req_o,
  input  logic [XbufPortWords*64-1:0]      xbuf_rdata_i,
  // abuf: write W words of an INT8 row (o_abuf)
  output bitgrid_pkg::spm_req_t            abuf_req_o,
  output logic [AbufWriteWords*64-1:0]     abuf_wdata_o,
  // obuf: write W words of an INT32 row
  output bitgrid_pkg::spm_req_t            obuf_req_o,
  output logic [ObufPortWords*64-1:0]      obuf_wdata_o
);

  localparam int unsigned NE     = HgEngines;
  localparam int unsigned MD     = HgMaxDims;
  localparam int unsigned NP     = 1 << MD;           // corners (table ports) per engine
  localparam int unsigned W      = ObufPortWords;     // abuf/obuf write width
  localparam int unsigned AW     = bitgrid_pkg::SpmAddrW;
  localparam int unsigned Seg    = GbufWords / NE;    // words of a segment
  localparam int unsigned Lines  = Seg / 4;
  localparam int unsigned LineW  = (Lines > 1) ? $clog2(Lines) : 1;
  localparam int unsigned LogNE  = $clog2(NE);
  localparam int unsigned LogW   = $clog2(W);
  localparam int unsigned JMax   = (32 + NE - 1) / NE;  // descriptors per engine (n_lev <= 32)
  localparam int unsigned JIW    = (JMax > 1) ? $clog2(JMax) : 1;
  localparam int unsigned RowB   = 256;                 // bytes of the row buffer (o_row <= 32 words)
  localparam int unsigned PW     = bitgrid_pkg::HgencNPointsW;
  localparam int unsigned Dly    = 7;                   // M -> stage F (the row write and drain)

  if (NE < 1 || NE > 8 || (NE & (NE - 1)) != 0) begin : g_bad_engines
    $fatal(1, "bg_hashgrid: HgEngines must be a power of two in 1 .. 8");
  end
  if (MD != 2 && MD != 3) begin : g_bad_dims
    $fatal(1, "bg_hashgrid: HgMaxDims must be 2 or 3");
  end
  if (XbufPortWords != 2 || AbufWriteWords != ObufPortWords || W < 1 || W > 32 || (W & (W - 1)) != 0 ||
      AbufPortWords < 1) begin : g_bad_ports
    $fatal(1, "bg_hashgrid: buffer port widths differ from configs/isa/engines/hashgrid.yaml");
  end
  if (GbufWords % NE != 0 || Lines < 2 || (Lines & (Lines - 1)) != 0) begin : g_bad_gbuf
    $fatal(1, "bg_hashgrid: gbuf must hold a power of two of lines, at least two, per engine");
  end

  // ---------------------------------------------------------------------------------------------
  // Instruction fields
  // ---------------------------------------------------------------------------------------------
  logic          insn_dims3, insn_smooth, insn_o_abuf;
  logic [1:0]    insn_lf;
  logic [5:0]    insn_n_lev, insn_o_row, insn_j, insn_rwc, insn_t;
  logic [PW-1:0] insn_n_points;
  logic [AW-1:0] insn_x_addr, insn_d_row, insn_o_addr;
  logic [bitgrid_pkg::HgencOSkipW-1:0] insn_o_skip;
  logic          unused_insn;

  assign insn_dims3    = insn_i[bitgrid_pkg::HgencDims3Lsb];
  assign insn_lf       = insn_i[bitgrid_pkg::HgencLog2FLsb +: bitgrid_pkg::HgencLog2FW];
  assign insn_smooth   = insn_i[bitgrid_pkg::HgencSmoothLsb];
  assign insn_o_abuf   = insn_i[bitgrid_pkg::HgencOAbufLsb];
  assign insn_n_lev    = insn_i[bitgrid_pkg::HgencNLevLsb +: bitgrid_pkg::HgencNLevW];
  assign insn_o_row    = insn_i[bitgrid_pkg::HgencORowLsb +: bitgrid_pkg::HgencORowW];
  assign insn_n_points = insn_i[bitgrid_pkg::HgencNPointsLsb +: PW];
  assign insn_x_addr   = AW'(insn_i[bitgrid_pkg::HgencXAddrLsb +: bitgrid_pkg::HgencXAddrW]);
  assign insn_d_row    = AW'(insn_i[bitgrid_pkg::HgencDRowLsb +: bitgrid_pkg::HgencDRowW]);
  assign insn_o_addr   = AW'(insn_i[bitgrid_pkg::HgencOAddrLsb +: bitgrid_pkg::HgencOAddrW]);
  assign insn_o_skip   = insn_i[bitgrid_pkg::HgencOSkipLsb +: bitgrid_pkg::HgencOSkipW];
  // The opcode and the token flags are the dispatcher's and the controller's; bits 63:61 and 127:112 are not
  // part of any hgenc field.
  assign unused_insn   = ^{insn_i[7:0], insn_i[63:61], insn_i[127:112]};

  assign insn_j   = 6'((7'(insn_n_lev) + 7'(NE - 1)) >> LogNE);
  assign insn_rwc = insn_o_row >> LogW;
  assign insn_t   = (insn_j > insn_rwc) ? insn_j : insn_rwc;

  // ---------------------------------------------------------------------------------------------
  // Control: instruction registers, descriptor phase, slot sequencer M and its delay line
  // ---------------------------------------------------------------------------------------------
  logic          issue, busy_q;
  logic          dims3_q, smooth_q, o_abuf_q;
  logic [1:0]    lf_q;
  logic [5:0]    nlev_q, j_last_q, t_last_q, rwc_q;
  logic [PW-1:0] npts_q;
  logic [AW-1:0] xa_q, dline_q, oa_q;
  logic [AW-1:0] ogap_q;                     // W + o_skip: the step after a row's last word group
  logic          dact_q, dwr_q;              // descriptor read / its data in this cycle
  logic [4:0]    dcnt_q, dwidx_q;
  logic          mact_q;                     // the slot sequencer runs
  logic [PW-1:0] mp_q;                       // slot p (0 .. n)
  logic [5:0]    mt_q;                       // cycle t of the slot (0 .. T-1)
  logic          m_start;

  // The sequencer's state in this cycle (m_*) and delayed (sh_*_q[i]: M's state of i+1 cycles ago):
  //   look   a lookup cycle: p < n, t < J (level chunk j = t)
  //   drain  a row write: p >= 1, t < o_row/W (word group g = t of row p-1)
  //   last   p = n, t = T-1
  //   xrd    p < n, t = 0: the xbuf read of point p
  //   pbit   p % 2
  //   t      the slot's cycle
  logic           m_look, m_drain, m_last, m_xrd, m_pbit;
  logic [4:0]     m_t;
  logic [Dly-1:0] sh_look_q, sh_drain_q, sh_last_q, sh_xrd_q, sh_pbit_q;
  logic [Dly*5-1:0] sh_t_q;
  // its stage views: the point capture (M+1), stages A (M+2) .. F (M+7)
  logic       x_cap, a_look, b_look, c_look, d_look, e_look, f_look, f_drain, f_last, f_pbit;
  logic [4:0] a_t, b_t, c_t, e_t, f_t;
  logic       unused_sh;

  assign issue = start_i && !busy_q;
  assign m_start = (issue && insn_j == 6'd1) || (dact_q && {1'b0, dcnt_q} + 6'd1 == j_last_q);

  assign m_look  = mact_q && mp_q != npts_q && mt_q <= j_last_q;
  assign m_drain = mact_q && mp_q != '0 && mt_q < rwc_q;
  assign m_last  = mact_q && mp_q == npts_q && mt_q == t_last_q;
  assign m_xrd   = mact_q && mp_q != npts_q && mt_q == '0;
  assign m_pbit  = mp_q[0];
  assign m_t     = mt_q[4:0];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q   <= 1'b0;
      dims3_q  <= 1'b0;
      smooth_q <= 1'b0;
      o_abuf_q <= 1'b0;
      lf_q     <= '0;
      nlev_q   <= '0;
      j_last_q <= '0;
      t_last_q <= '0;
      rwc_q    <= '0;
      npts_q   <= '0;
      xa_q     <= '0;
      dline_q  <= '0;
      oa_q     <= '0;
      ogap_q   <= '0;
      dact_q   <= 1'b0;
      dwr_q    <= 1'b0;
      dcnt_q   <= '0;
      dwidx_q  <= '0;
      mact_q   <= 1'b0;
      mp_q     <= '0;
      mt_q     <= '0;
    end else begin
      dwr_q   <= dact_q;
      dwidx_q <= dcnt_q;
      if (issue) begin
        busy_q   <= 1'b1;
        dims3_q  <= insn_dims3;
        smooth_q <= insn_smooth;
        o_abuf_q <= insn_o_abuf;
        lf_q     <= insn_lf;
        nlev_q   <= insn_n_lev;
        j_last_q <= insn_j - 6'd1;
        t_last_q <= insn_t - 6'd1;
        rwc_q    <= insn_rwc;
        npts_q   <= insn_n_points;
        xa_q     <= insn_x_addr;
        dline_q  <= insn_d_row;
        oa_q     <= insn_o_addr;
        ogap_q   <= AW'(W) + AW'(insn_o_skip);
        dact_q   <= 1'b1;
        dcnt_q   <= '0;
      end else begin
        if (last_o) begin
          busy_q <= 1'b0;
        end
        if (dact_q) begin
          dcnt_q  <= dcnt_q + 5'd1;
          dline_q <= dline_q + AW'(1);
          if ({1'b0, dcnt_q} == j_last_q) begin
            dact_q <= 1'b0;
          end
        end
        if (m_xrd) begin
          xa_q <= xa_q + AW'(2);
        end
        if (f_drain) begin
          oa_q <= oa_q + (({1'b0, f_t} + 6'd1 == rwc_q) ? ogap_q : AW'(W));
        end
      end
      if (m_start) begin
        mact_q <= 1'b1;
        mp_q   <= '0;
        mt_q   <= '0;
      end else if (mact_q) begin
        if (mt_q == t_last_q) begin
          mt_q <= '0;
          mp_q <= mp_q + PW'(1);
          if (mp_q == npts_q) begin
            mact_q <= 1'b0;
          end
        end else begin
          mt_q <= mt_q + 6'd1;
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sh_look_q  <= '0;
      sh_drain_q <= '0;
      sh_last_q  <= '0;
      sh_xrd_q   <= '0;
      sh_pbit_q  <= '0;
      sh_t_q     <= '0;
    end else begin
      sh_look_q  <= {sh_look_q[Dly-2:0], m_look};
      sh_drain_q <= {sh_drain_q[Dly-2:0], m_drain};
      sh_last_q  <= {sh_last_q[Dly-2:0], m_last};
      sh_xrd_q   <= {sh_xrd_q[Dly-2:0], m_xrd};
      sh_pbit_q  <= {sh_pbit_q[Dly-2:0], m_pbit};
      sh_t_q     <= {sh_t_q[(Dly-1)*5-1:0], m_t};
    end
  end

  // Stage views of the delay line: A = M+2 (index 1) .. F = M+7 (index 6).
  assign x_cap   = sh_xrd_q[0];
  assign a_look  = sh_look_q[1];
  assign b_look  = sh_look_q[2];
  assign c_look  = sh_look_q[3];
  assign d_look  = sh_look_q[4];
  assign e_look  = sh_look_q[5];
  assign f_look  = sh_look_q[6];
  assign f_drain = sh_drain_q[6];
  assign f_last  = sh_last_q[6];
  assign f_pbit  = sh_pbit_q[6];
  assign a_t     = sh_t_q[5*1 +: 5];
  assign b_t     = sh_t_q[5*2 +: 5];
  assign c_t     = sh_t_q[5*3 +: 5];
  assign e_t     = sh_t_q[5*5 +: 5];
  assign f_t     = sh_t_q[5*6 +: 5];
  assign unused_sh = ^{sh_look_q[0], sh_drain_q[5:0], sh_last_q[5:0], sh_xrd_q[Dly-1:1], sh_pbit_q[5:0],
                       sh_t_q[9:0], sh_t_q[5*4 +: 5]};

  assign last_o = f_last;

  // the slot cycle indexes the descriptor registers by its low JIW bits (a lookup has t < J <= JMax)
  logic unused_j;
  assign unused_j = ^{a_t, b_t, c_t, e_t, dwidx_q};

  // ---------------------------------------------------------------------------------------------
  // The point: xbuf read in M(p, 0), data captured in M(p, 0)+1, used by stage A during the slot
  // ---------------------------------------------------------------------------------------------
  logic [MD*24-1:0] pt_q;  // coordinate d (UQ1.23, clamped to 2^23) at [24d +: 24]

  always_ff @(posedge clk_i) begin
    if (x_cap) begin
      for (int d = 0; d < MD; d++) begin
        // coordinate d: bits [32(d%2) +: 32] of word d/2; x = min(bits[23:0], 2^23)
        pt_q[24*d +: 24] <= (xbuf_rdata_i[64*(d/2) + 32*(d%2) + 23] &&
                             xbuf_rdata_i[64*(d/2) + 32*(d%2) +: 23] != '0) ?
                            24'h80_0000 : xbuf_rdata_i[64*(d/2) + 32*(d%2) +: 24];
      end
    end
  end

  assign xbuf_req_o.req  = m_xrd;
  assign xbuf_req_o.we   = 1'b0;
  assign xbuf_req_o.addr = m_xrd ? xa_q : '0;

  // ---------------------------------------------------------------------------------------------
  // The level engines
  // ---------------------------------------------------------------------------------------------
  logic [NE*8*32-1:0] res_f;  // stage F's inputs: engine e's value f at [32*(8e+f) +: 32] (INT8: low byte)
  logic [NE*NP/2-1:0] bank_clash;  // (simulation check) two corners read different lines of one bank

  for (genvar e = 0; e < NE; e++) begin : g_eng
    // ---- its gbuf segment: the DMA beats of words e*Seg .. (e+1)*Seg-1
    logic [NP-1:0]       t_re;
    logic [NP*LineW-1:0] t_line;
    logic [NP*256-1:0]   t_rdata;
    logic                seg_we;
    logic [AW-1:0]       seg_addr;

    if (e == 0) begin : g_first
      assign seg_we = gbuf_dma_we_i && 32'(gbuf_dma_addr_i) < 32'(Seg);
    end else begin : g_next
      assign seg_we = gbuf_dma_we_i && 32'(gbuf_dma_addr_i) >= 32'(e * Seg) &&
                      32'(gbuf_dma_addr_i) < 32'((e + 1) * Seg);
    end
    assign seg_addr = gbuf_dma_addr_i - AW'(e * Seg);

    bg_hashgrid_table #(
      .MaxDims (MD),
      .Wb      (Wb),
      .SegWords(Seg)
    ) u_table (
      .clk_i  (clk_i),
      .we_i   (seg_we),
      .waddr_i(seg_addr),
      .wdata_i(gbuf_dma_wdata_i),
      .re_i   (t_re),
      .line_i (t_line),
      .rdata_o(t_rdata)
    );

    // ---- descriptor registers (entry j: the level j*NE+e), written in c+2 .. c+J+1; one small register file
    // per field, each read by one pipeline stage (Yosys infers a memory with one asynchronous read port).
    // The size's bit 0 is ignored (taken as 0): with an even size, `mod size` keeps an index's parity, so the
    // corners k and k^1 (indices of different parity) always read lines of different banks. An odd size would
    // break that for the pair whose larger index wraps (two lines of one bank in one cycle); the compiler's
    // sizes are even (next_multiple(res^D, 8) or 2^T), and this keeps every descriptor bit pattern defined.
    logic [31:0]    rf_scale_q [JMax];
    logic [31:0]    rf_stride1_q [JMax];
    logic [31:0]    rf_stride2_q [JMax];
    logic [31:0]    rf_size_q [JMax];
    logic [31:0]    rf_base_q [JMax];
    logic [15:0]    rf_mult_q [JMax];
    logic [5:0]     rf_shift_q [JMax];
    logic           rf_dense_q [JMax];
    logic [JIW-1:0] widx;
    logic               unused_desc;

    assign widx = JIW'(dwidx_q);
    assign unused_desc = ^{t_rdata[255:192], t_rdata[128+63:128+62], t_rdata[128+55:128+49], t_rdata[96]};

    always_ff @(posedge clk_i) begin
      if (dwr_q) begin
        rf_scale_q[widx]   <= t_rdata[31:0];
        rf_stride1_q[widx] <= t_rdata[63:32];
        rf_stride2_q[widx] <= t_rdata[95:64];
        rf_size_q[widx]    <= {t_rdata[127:97], 1'b0};  // size bit 0 ignored (see below)
        rf_base_q[widx]    <= t_rdata[159:128];
        rf_mult_q[widx]    <= t_rdata[175:160];
        rf_dense_q[widx]   <= t_rdata[176];
        rf_shift_q[widx]   <= t_rdata[189:184];
      end
    end

    // ---- stage A: axis weights and cells of every dimension
    logic [JIW-1:0]   ja, jb, jc, je;
    logic [31:0]      a_scale;
    logic [MD*16-1:0] a_cell, b_cell_q;
    logic [MD*17-1:0] a_w0, a_w1, b_w0_q, b_w1_q;

    assign ja = JIW'(a_t);
    assign jb = JIW'(b_t);
    assign jc = JIW'(c_t);
    assign je = JIW'(e_t);
    assign a_scale = rf_scale_q[ja];

    for (genvar d = 0; d < MD; d++) begin : g_axis
      bg_hashgrid_axis u_axis (
        .scale_i (a_scale),
        .x_i     (pt_q[24*d +: 24]),
        .smooth_i(smooth_q),
        .cell_o  (a_cell[16*d +: 16]),
        .w0_o    (a_w0[17*d +: 17]),
        .w1_o    (a_w1[17*d +: 17])
      );
    end

    always_ff @(posedge clk_i) begin
      if (a_look) begin
        b_cell_q <= a_cell;
        b_w0_q   <= a_w0;
        b_w1_q   <= a_w1;
      end
    end

    // ---- stage B: corner indices and weights
    logic [NP*32-1:0] b_idx, c_idx_q;
    logic [NP*17-1:0] b_w, c_w_q;
    logic             b_dense;
    logic [31:0]      b_stride1, b_stride2, b_size;

    assign b_dense   = rf_dense_q[jb];
    assign b_stride1 = rf_stride1_q[jb];
    assign b_stride2 = rf_stride2_q[jb];
    assign b_size    = rf_size_q[jb];

    for (genvar k = 0; k < NP; k++) begin : g_corner_b
      logic [MD*16-1:0] cc;
      logic [16:0]      wd0, wd1;
      logic [33:0]      p01;
      logic [16:0]      w01;

      for (genvar d = 0; d < MD; d++) begin : g_dim
        if (d == 2) begin : g_z  // the third coordinate only for D = 3 (0 adds nothing to sum or hash)
          assign cc[16*d +: 16] = dims3_q ? b_cell_q[16*d +: 16] + 16'(((k >> d) & 1)) : '0;
        end else begin : g_xy
          assign cc[16*d +: 16] = b_cell_q[16*d +: 16] + 16'(((k >> d) & 1));
        end
      end

      bg_hashgrid_index #(
        .Dims(MD)
      ) u_index (
        .c_i      (cc),
        .dense_i  (b_dense),
        .stride1_i(b_stride1),
        .stride2_i(b_stride2),
        .size_i   (b_size),
        .index_o  (b_idx[32*k +: 32])
      );

      // w = w_0, then w = (w * w_d) >> 16 for d = 1 .. D-1 (each product at most 2^32: 17 bits after the shift)
      assign wd0 = ((k & 1) != 0) ? b_w1_q[0 +: 17] : b_w0_q[0 +: 17];
      assign wd1 = ((k & 2) != 0) ? b_w1_q[17 +: 17] : b_w0_q[17 +: 17];
      assign p01 = 34'(wd0) * 34'(wd1);
      assign w01 = p01[32:16];
      if (MD == 3) begin : g_w3
        logic [16:0] wd2;
        logic [33:0] p012;
        assign wd2 = ((k & 4) != 0) ? b_w1_q[34 +: 17] : b_w0_q[34 +: 17];
        assign p012 = 34'(w01) * 34'(wd2);
        assign b_w[17*k +: 17] = dims3_q ? p012[32:16] : w01;
        logic unused_p012;
        assign unused_p012 = ^{p012[33], p012[15:0]};
      end else begin : g_w2
        assign b_w[17*k +: 17] = w01;
      end
      logic unused_p01;
      assign unused_p01 = ^{p01[33], p01[15:0]};
    end

    always_ff @(posedge clk_i) begin
      if (b_look) begin
        c_idx_q <= b_idx;
        c_w_q   <= b_w;
      end
    end

    // ---- stage C: entry -> line and slot; the table reads
    logic [31:0]       c_base;
    logic [NP*LineW-1:0] c_line;
    logic [NP*4-1:0]   c_slot, d_slot_q;
    logic [NP*17-1:0]  d_w_q;
    logic [NP-1:0]     c_re;

    assign c_base = rf_base_q[jc];
    logic unused_base;
    assign unused_base = ^c_base;

    for (genvar k = 0; k < NP; k++) begin : g_corner_c
      logic [31:0] i, jj, q;
      logic        unused_q;

      assign i  = c_idx_q[32*k +: 32];
      assign jj = i >> 1;
      assign q  = jj >> (3'd4 - {1'b0, lf_q});   // epl = 16 / F = 2^(4-log2_f)
      assign c_slot[4*k +: 4] = jj[3:0] & (4'hf >> lf_q);
      // line base + 2*q + (i&1), modulo the segment's lines: a power of two (gbuf_kib and hg_engines are), so
      // the low LineW bits of the sum
      assign c_line[LineW*k +: LineW] = c_base[LineW-1:0] + LineW'({q, 1'b0}) + LineW'(i[0]);
      assign c_re[k] = c_look && (k < 4 || dims3_q);
      assign unused_q = ^q;
    end

    // table port 0 reads the descriptors in c+1 .. c+J (no lookup is in stage C then)
    always_comb begin
      t_re   = c_re;
      t_line = c_line;
      if (dact_q) begin
        t_re[0]          = 1'b1;
        t_line[0 +: LineW] = LineW'(dline_q);
      end
    end

    for (genvar c = 0; c < NP / 2; c++) begin : g_clash
      logic [LineW-1:0] l0, l1;
      assign l0 = t_line[LineW*(2*c) +: LineW];
      assign l1 = t_line[LineW*(2*c+1) +: LineW];
      assign bank_clash[e*NP/2 + c] = t_re[2*c] && t_re[2*c+1] && l0[0] == l1[0] && l0 != l1;
    end

    always_ff @(posedge clk_i) begin
      if (c_look) begin
        d_slot_q <= c_slot;
        d_w_q    <= c_w_q;
      end
    end

    // ---- stage D: the corners' values, weight x value, summed over the corners (int32, wrapping)
    logic [8*32-1:0]    d_acc, e_acc_q;
    logic [NP*8*32-1:0] d_prod;  // corner k's value f x weight at [32*(8k+f) +: 32] (0 for an unused corner)

    for (genvar k = 0; k < NP; k++) begin : g_corner_d
      logic [3:0]   slot;
      logic [16:0]  w;
      logic         used;
      logic [255:0] line;
      assign slot = d_slot_q[4*k +: 4];
      assign w    = d_w_q[17*k +: 17];
      assign used = k < 4 || dims3_q;
      assign line = t_rdata[256*k +: 256];
      for (genvar f = 0; f < 8; f++) begin : g_value
        // value f of slot s: bits 16*(s*F + f) of the line (F = 2^lf_q; values f >= F are not used)
        logic [3:0]         pos;
        logic signed [15:0] v;
        logic signed [33:0] prod;
        assign pos  = (slot << lf_q) | 4'(f);
        always_comb begin
          v = line[15:0];
          for (int i = 1; i < 16; i++) begin
            if (pos == 4'(i)) begin
              v = line[16*i +: 16];
            end
          end
        end
        assign prod = $signed({1'b0, w}) * v;
        assign d_prod[32*(8*k+f) +: 32] = used ? prod[31:0] : '0;
        logic unused_prod;
        assign unused_prod = ^prod[33:32];
      end
    end

    always_comb begin
      d_acc = '0;
      for (int k = 0; k < NP; k++) begin
        for (int f = 0; f < 8; f++) begin
          d_acc[32*f +: 32] = d_acc[32*f +: 32] + d_prod[32*(8*k+f) +: 32];
        end
      end
    end

    always_ff @(posedge clk_i) begin
      if (d_look) begin
        e_acc_q <= d_acc;
      end
    end

    // ---- stage E: INT8 requantization (o_abuf) or the INT32 accumulators
    logic [15:0]     e_mult;
    logic [5:0]      e_shift;
    logic [8*32-1:0] e_res, f_res_q;

    assign e_mult  = rf_mult_q[je];
    assign e_shift = rf_shift_q[je];

    // In 49 bits, exactly: |acc*mult| < 2^47, so acc*mult + 2^(shift-1) fits for shift <= 48, and for shift >= 48
    // the rounded quotient is 0 (acc*mult + 2^(shift-1) lies in [0, 2^shift)).
    for (genvar f = 0; f < 8; f++) begin : g_requant
      logic signed [48:0] t, rnd, s, r;
      logic               big, sat_hi, sat_lo;
      logic [7:0]         q8;

      assign big    = e_shift >= 6'd48;
      assign t      = $signed(e_acc_q[32*f +: 32]) * $signed({1'b0, e_mult});
      assign rnd    = (e_shift == '0 || big) ? 49'sd0 : (49'sd1 <<< (e_shift - 6'd1));
      assign s      = t + rnd;
      assign r      = big ? 49'sd0 : (s >>> e_shift);  // (a signed zero: an unsigned one makes >>> logical)
      // saturate to [-128, 127]: r >= 128 or r < -128
      assign sat_hi = !r[48] && r[47:7] != '0;
      assign sat_lo = r[48] && r[47:7] != {41{1'b1}};
      assign q8     = sat_hi ? 8'h7f : (sat_lo ? 8'h80 : r[7:0]);
      assign e_res[32*f +: 32] = o_abuf_q ? {24'b0, q8} : e_acc_q[32*f +: 32];
    end

    always_ff @(posedge clk_i) begin
      if (e_look) begin
        f_res_q <= e_res;
      end
    end

    assign res_f[256*e +: 256] = f_res_q;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage F: the row buffer (two halves of RowB bytes), filled by stage F, drained W words per cycle
  // ---------------------------------------------------------------------------------------------
  logic [2*RowB*8-1:0] rb_q;  // half h at [RowB*8*h +: RowB*8]
  logic [RowB*8-1:0] f_data;
  logic [RowB-1:0]   f_en;
  logic [2:0]        f_mode;   // {o_abuf, log2_f}
  logic [7:0]        f_mode_oh;
  logic [8:0]        nlev9;

  assign f_mode    = {o_abuf_q, lf_q};
  assign f_mode_oh = 8'b1 << f_mode;
  assign nlev9     = 9'(nlev_q);

  // Byte b of the row: INT8 value b, or byte b%4 of INT32 value b/4; value v = l*F + f with l = j*NE + e.
  for (genvar b = 0; b < RowB; b++) begin : g_rb
    logic [8*8-1:0] cand;
    logic [7:0]     cen;
    for (genvar m = 0; m < 8; m++) begin : g_mode
      localparam int unsigned Int8 = m / 4;
      localparam int unsigned Lf   = m % 4;
      localparam int unsigned V    = (Int8 != 0) ? b : b / 4;
      localparam int unsigned By   = (Int8 != 0) ? 0 : b % 4;
      localparam int unsigned L    = V >> Lf;
      localparam int unsigned Fe   = V % (1 << Lf);
      localparam int unsigned Eng  = L % NE;
      localparam int unsigned Jc   = L / NE;
      assign cand[8*m +: 8] = res_f[32*(8*Eng + Fe) + 8*By +: 8];
      assign cen[m] = (Jc < 32) && (f_t == 5'(Jc)) && (9'(L) < nlev9);
    end
    logic [7:0] byte_d;
    always_comb begin
      byte_d = '0;
      for (int m = 0; m < 8; m++) begin
        byte_d = byte_d | (cand[8*m +: 8] & {8{f_mode_oh[m]}});
      end
    end
    assign f_data[8*b +: 8] = byte_d;
    assign f_en[b] = f_look && (cen & f_mode_oh) != '0;
  end

  // The drain: word group g = f_t of row p-1, half (p-1)%2.
  logic          dr_half;
  logic [W*64-1:0] dr_data;

  assign dr_half = !f_pbit;
  always_comb begin
    dr_data = '0;
    for (int g = 0; g < 32 / W; g++) begin
      if (f_t == 5'(g)) begin
        dr_data = dr_half ? rb_q[RowB*8 + W*64*g +: W*64] : rb_q[W*64*g +: W*64];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rb_q <= '0;
    end else begin
      for (int h = 0; h < 2; h++) begin
        for (int b = 0; b < RowB; b++) begin
          if (f_en[b] && f_pbit == 1'(h)) begin
            rb_q[RowB*8*h + 8*b +: 8] <= f_data[8*b +: 8];
          end else if (f_drain && dr_half == 1'(h) && (b / (8 * W)) == 32'(f_t)) begin
            rb_q[RowB*8*h + 8*b +: 8] <= '0;
          end
        end
      end
    end
  end

  assign abuf_req_o.req  = f_drain && o_abuf_q;
  assign abuf_req_o.we   = f_drain && o_abuf_q;
  assign abuf_req_o.addr = (f_drain && o_abuf_q) ? oa_q : '0;
  assign abuf_wdata_o    = (f_drain && o_abuf_q) ? dr_data : '0;
  assign obuf_req_o.req  = f_drain && !o_abuf_q;
  assign obuf_req_o.we   = f_drain && !o_abuf_q;
  assign obuf_req_o.addr = (f_drain && !o_abuf_q) ? oa_q : '0;
  assign obuf_wdata_o    = (f_drain && !o_abuf_q) ? dr_data : '0;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_start_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on) !(start_i && busy_q))
    else $error("bg_hashgrid: started while running");
  a_ports_quiet_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                            !busy_q -> !(xbuf_req_o.req || abuf_req_o.req || obuf_req_o.req))
    else $error("bg_hashgrid: scratchpad request while idle");
  a_legal_shape: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                  issue -> (insn_n_lev >= 6'd1 && insn_n_lev <= 6'd32 && insn_n_points != '0 &&
                                            insn_rwc != '0 && (insn_o_row & 6'(W - 1)) == '0 &&
                                            (insn_o_skip & 8'(W - 1)) == '0 &&
                                            (!insn_dims3 || MD == 3) &&
                                            (11'(insn_n_lev) << (insn_lf + (insn_o_abuf ? 2'd0 : 2'd2))) <=
                                            11'(insn_o_row) * 11'd8))
    else $error("bg_hashgrid: illegal hgenc (levels, points, o_row or dims)");
  a_fill_or_drain: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                    !(f_look && f_drain && f_pbit == dr_half))
    else $error("bg_hashgrid: a row half filled and drained in one cycle");
  // The two corners sharing a table copy read lines of different parity (banks), or one line: true for every
  // descriptor with an even size (§3.4); an odd size is not a legal table.
  a_bank_conflict: assert property (@(posedge clk_i) disable iff (!asserts_on) bank_clash == '0)
    else $error("bg_hashgrid: two corners read different lines of one bank (a table size is odd?)");
`endif

endmodule : bg_hashgrid
