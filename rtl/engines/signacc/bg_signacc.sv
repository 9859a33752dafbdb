// Sign-select accumulator (configs/isa/engines/signacc.yaml, ARCHITECTURE.md §3.7, R15-R17): one sacc, sqry or sdiv
// instruction at a time, behind the compute dispatcher (bg_compute_unit) with the engine port list of
// ARCHITECTURE.md §6. The function, the state layout and the arithmetic are bitgrid::signacc's
// (model/include/bitgrid/engines/signacc.h, model/src/engines/signacc.cpp).
//
// The state at pbuf s_addr (C = MacCols, G = row_segs, b = code_bits; 32-bit values sign-extended into 64-bit
// words): S[t] (t < b) and V in (b+1)*G rows of C words, row t*G + g holding columns g*C .. g*C+C-1 of S[t]
// (t = b: of V); then Z = ceil((b+1)/C) rows with z_0 .. z_(b-1), N at words 0 .. b (the rest zero). It is
// processed one segment g (C value columns) at a time through a bank of SaccBits+1 rows x C 32-bit accumulators
// (row t < b: S[t][g], row b: V[g]); z and N sit in SaccBits+1 32-bit counters (counter b: N).
//
// Started in cycle c (start_i with insn_i), the instruction's last cycle c+E is flagged by last_o. Phases, from c+1 in
// order, one cycle each step (their requests are combinational from the phase; read data arrives the cycle
// after the request):
//   sacc, E = (init ? 0 : Z) + G*((init ? 0 : b+1) + n_keys + 1 + (b+1)) + Z + 2     (R15)
//     Zin   (unless init; Z cycles): pbuf read of z row r at s_addr + ((b+1)*G + r)*C; the cycle after, its
//           words 0 .. C-1 load counters r*C .. r*C+C-1 (init: the counters are zero).
//     per segment g = 0 .. G-1:
//       Rows  (unless init; b+1 cycles): pbuf read of row t at s_addr + (t*G + g)*C; the cycle after, its
//             C words' low halves load bank row t. (init: the bank is cleared in the first Keys cycle.)
//       Keys  (n_keys cycles): key j: dbuf read of its code (word k_addr + j) and obuf read of its values
//             (v_addr + j*v_stride + g*W, W = C/8 words); the cycle after, every bank row t adds (t >= b or
//             code bit t set) or subtracts (code bit t clear) the C INT8 values; in segment 0 counter t adds
//             +1 or -1 alike (counter b, N: +1).
//       Bubble (1 cycle): the last key's additions.
//       Write (b+1 cycles): pbuf write of bank row t at s_addr + (t*G + g)*C (C words).
//     Zout  (Z cycles): pbuf write of z row r: word i = counter r*C+i if r*C+i <= b, else 0.
//     Tail  (2 cycles): nothing; last_o in the second.
//   sqry, E = Z + G*((b+1) + n_q*(17+3)) + 2                                            (R16)
//     Zin   (Z cycles): as sacc's.
//     per segment g = 0 .. G-1:
//       Rows  (b+1 cycles): as sacc's.
//       Query (20 cycles per query n = 0 .. n_q-1, step k = 0 .. 19):
//         k = 0:  qbuf read of the code (word q_addr + n); form 0: obuf read of v_n's segment
//                 (v_addr + n*v_stride + g*W).
//         k = 1:  den = N*(b+1) + sum_(t<b) +-z_t and, per lane i, num_i = (b+1)*X_i + sum_(t<b) +-S[t][i]
//                 (32-bit wrap-around; X = the value byte (form 0) or V[i] (form 1); -x as ~x + 1, the +1s
//                 counted once) are registered.
//         k = 2 .. 18: the 17 steps of a restoring divider, r = floor(2^(L+15) / den) (L = bit length of den:
//                 the remainder starts at 2^(L-1), quotient bits MSB first); each step also shift-adds the
//                 quotient bit into the lanes' 49-bit products acc_i = 2 acc_i + bit*num_i, so that after
//                 step 18 acc_i = num_i * r.
//         k = 19: result_i = sat8((acc_i + 2^(L+14-g)) >>> (L+15-g)) (g = gain_log2; 0 if den <= 0) is
//                 registered ...
//         ... and written the cycle after (the next query's k = 0, the next segment's first Rows cycle or
//                 the first Tail cycle) to abuf dst_addr + (n*G + g)*W (W words).
//     Tail  (2 cycles): the last query's write in the first; last_o in the second.
//   sdiv, E = n_rows*G*24 + 2                                                           (R17)
//     Div   (24 cycles per row m = 0 .. n_rows-1 and segment g = 0 .. G-1, step k = 0 .. 23):
//         k = 0:  obuf read of the port-aligned segment holding row m's denominator word den_addr + m*den_stride.
//         k = 1:  den = the low 32 bits of that word (selected from the read data) is registered; obuf read of
//                 numerator words p*W .. p*W+W-1 (p = k-1 = 0 .. 3) of the segment at
//                 num_addr + m*num_stride + g*4W (C INT32 numerators, two per word, low half first) ...
//         k = 2 .. 4: ... the next ones; each read's 2W = C/4 numerators shift into the lanes' num_i from the top
//                 the cycle after (k = 2 .. 5), so that after k = 5 lane i holds numerator g*C + i.
//         k = 6 .. 22: the 17 divider steps and shift-adds, as sqry's k = 2 .. 18.
//         k = 23: the result is registered, as sqry's k = 19, and written the cycle after (the next slot's k = 0
//                 or the first Tail cycle) to abuf dst_addr + (m*G + g)*W.
//     Tail  (2 cycles): the last slot's write in the first; last_o in the second.
//   The divider, the products, the rounding and the result path are sqry's; sdiv adds the numerators' shift-in
//   and the denominator's word select (den_stride is held in the register of G*C, which sdiv does not use).
// The code words are read through ports of QbufPortWords / DbufPortWords words at the port-aligned address,
// the code then selected from the read data. Illegal field values (code_bits 0 or above SaccBits, row_segs 0,
// no keys, queries or rows) take the same phases (possibly empty), so E holds for them too; their data are
// undefined.
// Its scratchpad ports carry one request each (bitgrid_pkg::spm_req_t) and are idle ('0) while the engine is.
// (Yosys 0.23 does not parse package imports, so package items are referenced as bitgrid_pkg::X; the bank is
// flat, as Yosys 0.23 has no packed 2-D arrays.)
module bg_signacc #(
  parameter int unsigned MacCols        = bitgrid_pkg::DefaultMacCols,
  parameter int unsigned SaccBits       = bitgrid_pkg::DefaultSaccBits,
  parameter int unsigned QbufPortWords  = 1,
  parameter int unsigned DbufPortWords  = 1,
  parameter int unsigned ObufPortWords  = MacCols / 8,
  parameter int unsigned PbufPortWords  = MacCols,
  parameter int unsigned PbufWriteWords = MacCols,
  parameter int unsigned AbufPortWords  = bitgrid_pkg::DefaultMacRows / 4,
  parameter int unsigned AbufWriteWords = MacCols / 8
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             start_i,
  input  logic [bitgrid_pkg::InsnBits-1:0] insn_i,
  output logic                             last_o,
  output bitgrid_pkg::spm_req_t            qbuf_req_o,
  input  logic [QbufPortWords*64-1:0]      qbuf_rdata_i,
  output bitgrid_pkg::spm_req_t            dbuf_req_o,
  input  logic [DbufPortWords*64-1:0]      dbuf_rdata_i,
  output bitgrid_pkg::spm_req_t            obuf_req_o,
  input  logic [ObufPortWords*64-1:0]      obuf_rdata_i,
  output bitgrid_pkg::spm_req_t            pbuf_req_o,
  output logic [PbufWriteWords*64-1:0]     pbuf_wdata_o,
  input  logic [PbufPortWords*64-1:0]      pbuf_rdata_i,
  output bitgrid_pkg::spm_req_t            abuf_req_o,
  output logic [AbufWriteWords*64-1:0]     abuf_wdata_o
);

  if (MacCols < 8 || MacCols > 64 || (MacCols & (MacCols - 1)) != 0) begin : g_bad_cols
    $fatal(1, "bg_signacc: MacCols must be a power of two in 8..64");
  end
  if (SaccBits < 8 || SaccBits > 64 || (SaccBits & (SaccBits - 1)) != 0) begin : g_bad_bits
    $fatal(1, "bg_signacc: SaccBits must be a power of two in 8..64");
  end
  if (ObufPortWords != MacCols / 8 || PbufPortWords != MacCols || PbufWriteWords != MacCols ||
      AbufWriteWords != MacCols / 8 || AbufPortWords < 1 || QbufPortWords < 1 || DbufPortWords < 1 ||
      (QbufPortWords & (QbufPortWords - 1)) != 0 || (DbufPortWords & (DbufPortWords - 1)) != 0)
  begin : g_bad_ports
    $fatal(1, "bg_signacc: buffer port widths differ from configs/isa/engines/signacc.yaml");
  end

  localparam int unsigned C   = MacCols;
  localparam int unsigned W   = MacCols / 8;              // obuf/abuf words per segment
  localparam int unsigned LC  = $clog2(MacCols);
  localparam int unsigned R   = SaccBits + 1;             // bank rows and counters
  localparam int unsigned ZM  = (R + C - 1) / C;          // z rows the counters fill
  localparam int unsigned AW  = bitgrid_pkg::SpmAddrW;
  localparam int unsigned BW  = bitgrid_pkg::SaccCodeBitsW;  // code_bits
  localparam int unsigned GW  = bitgrid_pkg::SaccRowSegsW;   // row_segs
  localparam int unsigned NW  = bitgrid_pkg::SaccNKeysW;     // n_keys, n_q
  localparam int unsigned ZW  = BW - 2;                   // Z <= (127 + 8) / 8 = 16
  localparam int unsigned QSW = (QbufPortWords > 1) ? $clog2(QbufPortWords) : 1;
  localparam int unsigned DSW = (DbufPortWords > 1) ? $clog2(DbufPortWords) : 1;
  localparam int unsigned CB  = (SaccBits < 64) ? SaccBits : 64;  // code bits the bank uses
  // the word-in-port bits of a code address (not ~AW'(..): Yosys 0.23 reads that as the cast (~AW)'(..))
  localparam logic [AW-1:0] QLow = AW'(QbufPortWords - 1);
  localparam logic [AW-1:0] DLow = AW'(DbufPortWords - 1);
  localparam logic [AW-1:0] OLow = AW'(W - 1);             // the word-in-port bits of an obuf address

  if (bitgrid_pkg::SqryCodeBitsW != BW || bitgrid_pkg::SqryRowSegsW != GW || bitgrid_pkg::SqryNQW != NW ||
      bitgrid_pkg::SdivRowSegsW != GW || bitgrid_pkg::SdivNRowsW != NW || bitgrid_pkg::SdivNumStrideW != 16 ||
      bitgrid_pkg::SdivDenStrideW > AW || bitgrid_pkg::SdivGainLog2W != 3)
  begin : g_bad_fields
    $fatal(1, "bg_signacc: sacc, sqry and sdiv differ in row_segs/n/stride/gain widths");
  end

  // ---------------------------------------------------------------------------------------------
  // Instruction fields (loaded in every idle cycle, so that start_i selects only the next state)
  // ---------------------------------------------------------------------------------------------
  logic          insn_sacc;       // sacc (else sqry or sdiv)
  logic          insn_sdiv;       // sdiv
  logic          insn_flag;       // sacc: init; sqry: form
  logic [BW-1:0] insn_b;
  logic [GW-1:0] insn_g;          // row_segs
  logic [NW-1:0] insn_n;          // n_keys, n_q, n_rows
  logic [AW-1:0] insn_s_addr, insn_c_addr, insn_v_addr, insn_dst;  // sdiv: c = den_addr, v = num_addr
  logic [15:0]   insn_v_stride;   // sdiv: num_stride
  logic [AW-1:0] insn_den_stride; // sdiv: den_stride
  logic [2:0]    insn_gain;       // sqry, sdiv: gain_log2
  logic [ZW-1:0] insn_z;          // Z = ceil((b+1)/C)
  logic [13:0]   insn_rows;       // (b+1)*G: bank rows of the state
  logic [AW-1:0] insn_zbase;      // s_addr + (b+1)*G*C
  logic          unused_insn;

  assign insn_sacc = (insn_i[bitgrid_pkg::OpcodeLsb +: bitgrid_pkg::OpcodeW] == bitgrid_pkg::OpSacc);
  assign insn_sdiv = (insn_i[bitgrid_pkg::OpcodeLsb +: bitgrid_pkg::OpcodeW] == bitgrid_pkg::OpSdiv);
  always_comb begin
    insn_den_stride = '0;
    if (insn_sdiv) begin
      insn_flag       = 1'b0;
      insn_b          = '0;
      insn_g          = insn_i[bitgrid_pkg::SdivRowSegsLsb +: GW];
      insn_n          = insn_i[bitgrid_pkg::SdivNRowsLsb +: NW];
      insn_s_addr     = '0;
      insn_c_addr     = AW'(insn_i[bitgrid_pkg::SdivDenAddrLsb +: bitgrid_pkg::SdivDenAddrW]);
      insn_v_addr     = AW'(insn_i[bitgrid_pkg::SdivNumAddrLsb +: bitgrid_pkg::SdivNumAddrW]);
      insn_v_stride   = insn_i[bitgrid_pkg::SdivNumStrideLsb +: 16];
      insn_den_stride = AW'(insn_i[bitgrid_pkg::SdivDenStrideLsb +: bitgrid_pkg::SdivDenStrideW]);
      insn_dst        = AW'(insn_i[bitgrid_pkg::SdivDstAddrLsb +: bitgrid_pkg::SdivDstAddrW]);
      insn_gain       = insn_i[bitgrid_pkg::SdivGainLog2Lsb +: 3];
    end else if (insn_sacc) begin
      insn_flag     = insn_i[bitgrid_pkg::SaccInitLsb];
      insn_b        = insn_i[bitgrid_pkg::SaccCodeBitsLsb +: BW];
      insn_g        = insn_i[bitgrid_pkg::SaccRowSegsLsb +: GW];
      insn_n        = insn_i[bitgrid_pkg::SaccNKeysLsb +: NW];
      insn_s_addr   = AW'(insn_i[bitgrid_pkg::SaccSAddrLsb +: bitgrid_pkg::SaccSAddrW]);
      insn_c_addr   = AW'(insn_i[bitgrid_pkg::SaccKAddrLsb +: bitgrid_pkg::SaccKAddrW]);
      insn_v_addr   = AW'(insn_i[bitgrid_pkg::SaccVAddrLsb +: bitgrid_pkg::SaccVAddrW]);
      insn_v_stride = insn_i[bitgrid_pkg::SaccVStrideLsb +: 16];
      insn_dst      = '0;
      insn_gain     = '0;
    end else begin
      insn_flag     = insn_i[bitgrid_pkg::SqryFormLsb];
      insn_b        = insn_i[bitgrid_pkg::SqryCodeBitsLsb +: BW];
      insn_g        = insn_i[bitgrid_pkg::SqryRowSegsLsb +: GW];
      insn_n        = insn_i[bitgrid_pkg::SqryNQLsb +: NW];
      insn_s_addr   = AW'(insn_i[bitgrid_pkg::SqrySAddrLsb +: bitgrid_pkg::SqrySAddrW]);
      insn_c_addr   = AW'(insn_i[bitgrid_pkg::SqryQAddrLsb +: bitgrid_pkg::SqryQAddrW]);
      insn_v_addr   = AW'(insn_i[bitgrid_pkg::SqryVAddrLsb +: bitgrid_pkg::SqryVAddrW]);
      insn_v_stride = insn_i[bitgrid_pkg::SqryVStrideLsb +: 16];
      insn_dst      = AW'(insn_i[bitgrid_pkg::SqryDstAddrLsb +: bitgrid_pkg::SqryDstAddrW]);
      insn_gain     = insn_i[bitgrid_pkg::SqryGainLog2Lsb +: bitgrid_pkg::SqryGainLog2W];
    end
  end
  assign insn_z     = ZW'((32'(insn_b) + C) >> LC);
  assign insn_rows  = (14'(insn_b) + 14'd1) * 14'(insn_g);
  assign insn_zbase = insn_s_addr + (AW'(insn_rows) << LC);
  // The token flags are the controller's.
  assign unused_insn = ^insn_i[7:4];

  // ---------------------------------------------------------------------------------------------
  // Phase control
  // ---------------------------------------------------------------------------------------------
  typedef enum logic [3:0] {
    StIdle,    // waiting for an instruction
    StZin,     // z rows in
    StRows,    // the segment's bank rows in
    StKeys,    // sacc: one key per cycle
    StBubble,  // sacc: the last key's additions
    StWrite,   // sacc: the bank rows out
    StQuery,   // sqry: 20 cycles per query
    StDiv,     // sdiv: 24 cycles per row and segment
    StZout,    // sacc: z rows out
    StTail     // two cycles; last_o in the second
  } state_e;

  state_e        state_d, state_q;
  logic          sacc_d, sacc_q;
  logic          flag_d, flag_q;      // sacc: init; sqry: form
  logic [2:0]    gain_d, gain_q;      // sqry: gain_log2
  logic [BW-1:0] b_d, b_q;
  logic [GW-1:0] g_d, g_q;            // row_segs
  logic [NW-1:0] n_d, n_q;            // n_keys / n_q
  logic [ZW-1:0] z_d, z_q;            // Z
  logic [ZW-1:0] zr_d, zr_q;          // z row
  logic [BW-1:0] t_d, t_q;            // bank row
  logic [GW-1:0] seg_d, seg_q;        // segment
  logic [NW-1:0] j_d, j_q;            // key / query
  logic [4:0]    k_d, k_q;            // step of a query
  logic          tail_d, tail_q;
  logic [15:0]   vstride_d, vstride_q;
  logic [AW-1:0] gc_d, gc_q;          // G*C: pbuf words from one bank row to the next; sdiv: den_stride
  logic [AW-1:0] gw_d, gw_q;          // G*W: abuf words from one result row to the next
  logic [AW-1:0] zbase_d, zbase_q, zptr_d, zptr_q;  // pbuf: z row 0, the next z row
  logic [AW-1:0] sseg_d, sseg_q, rptr_d, rptr_q;    // pbuf: the segment's row 0, the next row
  logic [AW-1:0] cbase_d, cbase_q, cptr_d, cptr_q;  // dbuf/qbuf: code 0, the next code (sdiv: obuf, the row's den)
  logic [AW-1:0] vseg_d, vseg_q, vptr_d, vptr_q;    // obuf: the segment of value row 0, the next one (sdiv: the
                                                    // row's numerators, the next numerator read)
  logic [AW-1:0] dseg_d, dseg_q, dptr_d, dptr_q;    // abuf: the segment of result row 0, the next one
  logic          last_seg, last_row, last_j, last_zr;
  logic          bank_clear;          // sacc with init: the first Keys cycle of a segment clears the bank

  assign last_seg   = (seg_q == g_q - 1'b1);
  assign last_row   = (t_q == b_q);
  assign last_j     = (j_q == n_q - 1'b1);
  assign last_zr    = (zr_q == z_q - 1'b1);
  assign bank_clear = (state_q == StKeys) && (j_q == '0) && flag_q;

  always_comb begin
    state_d   = state_q;
    sacc_d    = sacc_q;
    flag_d    = flag_q;
    gain_d    = gain_q;
    b_d       = b_q;
    g_d       = g_q;
    n_d       = n_q;
    z_d       = z_q;
    zr_d      = zr_q;
    t_d       = t_q;
    seg_d     = seg_q;
    j_d       = j_q;
    k_d       = k_q;
    tail_d    = tail_q;
    vstride_d = vstride_q;
    gc_d      = gc_q;
    gw_d      = gw_q;
    zbase_d   = zbase_q;
    zptr_d    = zptr_q;
    sseg_d    = sseg_q;
    rptr_d    = rptr_q;
    cbase_d   = cbase_q;
    cptr_d    = cptr_q;
    vseg_d    = vseg_q;
    vptr_d    = vptr_q;
    dseg_d    = dseg_q;
    dptr_d    = dptr_q;
    unique case (state_q)
      StIdle: begin
        sacc_d    = insn_sacc;
        flag_d    = insn_flag;
        gain_d    = insn_gain;
        b_d       = insn_b;
        g_d       = insn_g;
        n_d       = insn_n;
        z_d       = insn_z;
        zr_d      = '0;
        t_d       = '0;
        seg_d     = '0;
        j_d       = '0;
        k_d       = '0;
        tail_d    = 1'b0;
        vstride_d = insn_v_stride;
        gc_d      = insn_sdiv ? insn_den_stride : (AW'(insn_g) << LC);
        gw_d      = AW'(insn_g) << (LC - 3);
        zbase_d   = insn_zbase;
        zptr_d    = insn_zbase;
        sseg_d    = insn_s_addr;
        rptr_d    = insn_s_addr;
        cbase_d   = insn_c_addr;
        cptr_d    = insn_c_addr;
        vseg_d    = insn_v_addr;
        vptr_d    = insn_v_addr;
        dseg_d    = insn_dst;
        dptr_d    = insn_dst;
        if (start_i) begin
          if (insn_sdiv) begin
            state_d = (insn_n != '0 && insn_g != '0) ? StDiv : StTail;  // no rows or segments (illegal): E = 2
          end else if (!(insn_sacc && insn_flag)) begin
            state_d = StZin;
          end else if (insn_g == '0) begin
            state_d = StZout;
          end else begin
            state_d = (insn_n == '0) ? StBubble : StKeys;
          end
        end
      end
      StZin: begin
        zr_d   = zr_q + 1'b1;
        zptr_d = zptr_q + AW'(C);
        if (last_zr) begin
          zr_d   = '0;
          zptr_d = zbase_q;
          if (g_q != '0) begin
            state_d = StRows;
          end else begin
            state_d = sacc_q ? StZout : StTail;
          end
        end
      end
      StRows: begin
        t_d    = t_q + 1'b1;
        rptr_d = rptr_q + gc_q;
        if (last_row) begin
          t_d    = '0;
          rptr_d = sseg_q;
          if (sacc_q) begin
            state_d = (n_q == '0) ? StBubble : StKeys;
          end else if (n_q != '0) begin
            state_d = StQuery;
          end else if (last_seg) begin  // no queries (illegal): the next segment's rows
            state_d = StTail;
          end else begin
            seg_d  = seg_q + 1'b1;
            sseg_d = sseg_q + AW'(C);
            rptr_d = sseg_q + AW'(C);
          end
        end
      end
      StKeys: begin
        j_d    = j_q + 1'b1;
        cptr_d = cptr_q + 1'b1;
        vptr_d = vptr_q + AW'(vstride_q);
        if (last_j) begin
          j_d     = '0;
          cptr_d  = cbase_q;
          vptr_d  = vseg_q;
          state_d = StBubble;
        end
      end
      StBubble: begin
        state_d = StWrite;
      end
      StWrite: begin
        t_d    = t_q + 1'b1;
        rptr_d = rptr_q + gc_q;
        if (last_row) begin
          t_d = '0;
          if (last_seg) begin
            state_d = StZout;
          end else begin
            seg_d   = seg_q + 1'b1;
            sseg_d  = sseg_q + AW'(C);
            rptr_d  = sseg_q + AW'(C);
            vseg_d  = vseg_q + AW'(W);
            vptr_d  = vseg_q + AW'(W);
            if (!flag_q) begin
              state_d = StRows;
            end else begin
              state_d = (n_q == '0) ? StBubble : StKeys;
            end
          end
        end
      end
      StQuery: begin
        k_d = k_q + 1'b1;
        if (k_q == 5'd19) begin
          k_d    = '0;
          j_d    = j_q + 1'b1;
          cptr_d = cptr_q + 1'b1;
          vptr_d = vptr_q + AW'(vstride_q);
          dptr_d = dptr_q + gw_q;
          if (last_j) begin
            j_d    = '0;
            cptr_d = cbase_q;
            if (last_seg) begin
              state_d = StTail;
            end else begin
              seg_d   = seg_q + 1'b1;
              sseg_d  = sseg_q + AW'(C);
              rptr_d  = sseg_q + AW'(C);
              vseg_d  = vseg_q + AW'(W);
              vptr_d  = vseg_q + AW'(W);
              dseg_d  = dseg_q + AW'(W);
              dptr_d  = dseg_q + AW'(W);
              state_d = StRows;
            end
          end
        end
      end
      StDiv: begin
        k_d = k_q + 1'b1;
        if (k_q >= 5'd1 && k_q <= 5'd4) vptr_d = vptr_q + AW'(W);  // numerator reads: the next port segment
        if (k_q == 5'd23) begin
          k_d    = '0;
          seg_d  = seg_q + 1'b1;
          dptr_d = dptr_q + AW'(W);
          if (last_seg) begin
            seg_d  = '0;
            j_d    = j_q + 1'b1;
            cptr_d = cptr_q + gc_q;
            vseg_d = vseg_q + AW'(vstride_q);
            vptr_d = vseg_q + AW'(vstride_q);
            if (last_j) state_d = StTail;
          end
        end
      end
      StZout: begin
        zr_d   = zr_q + 1'b1;
        zptr_d = zptr_q + AW'(C);
        if (last_zr) state_d = StTail;
      end
      StTail: begin
        tail_d = 1'b1;
        if (tail_q) state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
  end

  // ---------------------------------------------------------------------------------------------
  // Requests
  // ---------------------------------------------------------------------------------------------
  logic code_rd_d, code_rd_q, val_rd, q_rd, den_rd, num_rd;

  assign code_rd_d = (state_q == StKeys);
  assign q_rd      = (state_q == StQuery) && (k_q == '0);
  assign den_rd    = (state_q == StDiv) && (k_q == '0);
  assign num_rd    = (state_q == StDiv) && (k_q >= 5'd1) && (k_q <= 5'd4);
  assign val_rd    = code_rd_d || (q_rd && !flag_q) || num_rd;

  always_comb begin
    pbuf_req_o.req  = 1'b0;
    pbuf_req_o.we   = 1'b0;
    pbuf_req_o.addr = '0;
    unique case (state_q)
      StZin, StZout: begin
        pbuf_req_o.req  = 1'b1;
        pbuf_req_o.we   = (state_q == StZout);
        pbuf_req_o.addr = zptr_q;
      end
      StRows, StWrite: begin
        pbuf_req_o.req  = 1'b1;
        pbuf_req_o.we   = (state_q == StWrite);
        pbuf_req_o.addr = rptr_q;
      end
      default: ;
    endcase
  end
  // codes: the port-aligned address; the word is selected from the read data
  assign dbuf_req_o.req  = code_rd_d;
  assign dbuf_req_o.we   = 1'b0;
  assign dbuf_req_o.addr = code_rd_d ? (cptr_q & ~DLow) : '0;
  assign qbuf_req_o.req  = q_rd;
  assign qbuf_req_o.we   = 1'b0;
  assign qbuf_req_o.addr = q_rd ? (cptr_q & ~QLow) : '0;
  // sdiv's denominator: the port-aligned segment holding it; the word is selected from the read data
  assign obuf_req_o.req  = val_rd || den_rd;
  assign obuf_req_o.we   = 1'b0;
  assign obuf_req_o.addr = den_rd ? (cptr_q & ~OLow) : val_rd ? vptr_q : '0;

  // ---------------------------------------------------------------------------------------------
  // Read data: the code word, the values, the loads' targets
  // ---------------------------------------------------------------------------------------------
  logic            zload_q, rload_q, seg0_q;
  logic [ZW-1:0]   zrow_q;
  logic [BW-1:0]   rrow_q;
  logic [DSW-1:0]  dsel_q;
  logic [QSW-1:0]  qsel_q;
  logic [63:0]     dcode, qcode;
  logic [R-1:0]    plus;               // bank row t adds (else subtracts) the key's values
  logic [CB-1:0]   act;                // t < b: code bit t counts in a query
  logic [C*32-1:0] vpos, vneg;         // the key's values, sign-extended, and negated
  logic            unused_code;

  if (DbufPortWords > 1) begin : g_dsel
    assign dcode = dbuf_rdata_i[64*dsel_q +: 64];
  end else begin : g_dsel1
    logic unused_dsel;
    assign unused_dsel = ^dsel_q;
    assign dcode       = dbuf_rdata_i[63:0];
  end
  if (QbufPortWords > 1) begin : g_qsel
    assign qcode = qbuf_rdata_i[64*qsel_q +: 64];
  end else begin : g_qsel1
    logic unused_qsel;
    assign unused_qsel = ^qsel_q;
    assign qcode       = qbuf_rdata_i[63:0];
  end
  if (SaccBits < 64) begin : g_code_unused
    assign unused_code = ^{dcode[63:CB], qcode[63:CB]};
  end else begin : g_code_used
    assign unused_code = 1'b0;
  end

  always_comb begin
    for (int unsigned t = 0; t < R; t++) begin
      plus[t] = (32'(b_q) <= t) || ((t < CB) && dcode[t % CB]);
    end
    for (int unsigned t = 0; t < CB; t++) act[t] = (t < 32'(b_q));
    for (int unsigned i = 0; i < C; i++) begin
      vpos[32*i +: 32] = 32'($signed(obuf_rdata_i[8*i +: 8]));
      vneg[32*i +: 32] = -vpos[32*i +: 32];
    end
  end

  // ---------------------------------------------------------------------------------------------
  // The bank and the counters
  // ---------------------------------------------------------------------------------------------
  logic [R*C*32-1:0] bank_d, bank_q;   // row t, lane i at [32*(t*C + i) +: 32]
  logic [R*32-1:0]   cnt_d, cnt_q;     // counter t at [32*t +: 32]: z_t (t < b), N (t = b)

  always_comb begin
    for (int unsigned t = 0; t < R; t++) begin
      for (int unsigned i = 0; i < C; i++) begin
        bank_d[32*(t*C + i) +: 32] = bank_q[32*(t*C + i) +: 32];
        if (rload_q && 32'(rrow_q) == t) bank_d[32*(t*C + i) +: 32] = pbuf_rdata_i[64*i +: 32];
        if (bank_clear) bank_d[32*(t*C + i) +: 32] = '0;
        if (code_rd_q) begin
          bank_d[32*(t*C + i) +: 32] = bank_q[32*(t*C + i) +: 32] + (plus[t] ? vpos[32*i +: 32] : vneg[32*i +: 32]);
        end
      end
    end
  end

  always_comb begin
    cnt_d = cnt_q;
    if (state_q == StIdle) cnt_d = '0;  // sacc with init starts from zero counters
    if (zload_q) begin
      for (int unsigned t = 0; t < R; t++) begin
        if (32'(zrow_q) == t / C) cnt_d[32*t +: 32] = pbuf_rdata_i[64*(t % C) +: 32];
      end
    end
    if (code_rd_q && seg0_q) begin
      for (int unsigned t = 0; t < R; t++) cnt_d[32*t +: 32] = cnt_q[32*t +: 32] + (plus[t] ? 32'd1 : '1);
    end
  end

  // ---------------------------------------------------------------------------------------------
  // pbuf write data: a bank row (Write) or a z row (Zout); the row mux also picks V for a query (form 1)
  // ---------------------------------------------------------------------------------------------
  logic [BW-1:0]   rsel;
  logic [C*32-1:0] row;                // bank row rsel
  logic [C*32-1:0] zrow;               // z row zr_q, padding zero
  logic [31:0]     cnt_b;              // counter b: N

  assign rsel = (state_q == StQuery) ? b_q : t_q;
  always_comb begin
    row   = '0;
    zrow  = '0;
    cnt_b = '0;
    for (int unsigned t = 0; t < R; t++) begin
      if (32'(rsel) == t) row = bank_q[32*C*t +: 32*C];
      if (32'(b_q) == t) cnt_b = cnt_q[32*t +: 32];
    end
    for (int unsigned r = 0; r < ZM; r++) begin
      for (int unsigned i = 0; i < C; i++) begin
        if (r*C + i < R && 32'(zr_q) == r && r*C + i <= 32'(b_q)) zrow[32*i +: 32] = cnt_q[32*((r*C + i) % R) +: 32];
      end
    end
  end

  always_comb begin
    pbuf_wdata_o = '0;
    for (int unsigned i = 0; i < C; i++) begin
      if (state_q == StWrite) pbuf_wdata_o[64*i +: 64] = 64'($signed(row[32*i +: 32]));
      if (state_q == StZout) pbuf_wdata_o[64*i +: 64] = 64'($signed(zrow[32*i +: 32]));
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Queries: denominator and numerators (k = 1), divider and products (k = 2 .. 18), results (k = 19);
  // sdiv: denominator (k = 1), numerators (k = 2 .. 5), divider and products (k = 6 .. 22), results (k = 23)
  // ---------------------------------------------------------------------------------------------
  logic [7:0]      bp1;                // b + 1
  logic [31:0]     dsum, nsum, nx;     // the sums being formed
  logic [31:0]     nminus;             // code bits t < b clear: the +1s of the negations
  logic [31:0]     den_d, den_q;
  logic [C*32-1:0] num_d, num_q;
  logic [31:0]     rem_in;
  logic [30:0]     rem_d, rem_q;       // < den < 2^31
  logic            qbit;               // the divider step's quotient bit
  logic            den_pos;
  logic [5:0]      den_len;            // L: bit length of den
  logic [31:0]     den_top;            // 2^(L-1): den's leading one
  logic [C*49-1:0] acc_d, acc_q;       // num_i * (the quotient so far)
  logic [C*8-1:0]  res;
  logic [C*8-1:0]  res_q;
  logic            step, step0;        // a divider step; the first one
  logic            den_ld, num_shift;
  logic [31:0]     den_word;           // sdiv: the denominator, selected from the obuf read data

  assign bp1 = 8'(b_q) + 8'd1;

  if (W > 1) begin : g_osel
    assign den_word = obuf_rdata_i[64*cptr_q[$clog2(W)-1:0] +: 32];  // cptr_q: as in k = 0 (until k = 23)
  end else begin : g_osel1
    assign den_word = obuf_rdata_i[31:0];
  end

  always_comb begin
    den_len = '0;
    den_top = '0;
    for (int unsigned k = 0; k < 32; k++) begin
      if (den_q[k]) begin
        den_len = 6'(k + 1);
        den_top = 32'd1 << k;
      end
    end
  end
  assign den_pos = !den_q[31] && (den_q != '0);

  always_comb begin
    nminus = '0;
    for (int unsigned t = 0; t < CB; t++) nminus = nminus + 32'(act[t] && !qcode[t]);
    dsum = cnt_b * {24'd0, bp1} + nminus;
    for (int unsigned t = 0; t < CB; t++) begin
      if (act[t]) dsum = dsum + (qcode[t] ? cnt_q[32*t +: 32] : ~cnt_q[32*t +: 32]);
    end
    den_d = dsum;
    for (int unsigned i = 0; i < C; i++) begin
      nx   = flag_q ? row[32*i +: 32] : vpos[32*i +: 32];
      nsum = nx * {24'd0, bp1} + nminus;
      for (int unsigned t = 0; t < CB; t++) begin
        if (act[t]) nsum = nsum + (qcode[t] ? bank_q[32*(t*C + i) +: 32] : ~bank_q[32*(t*C + i) +: 32]);
      end
      num_d[32*i +: 32] = nsum;
    end
  end

  // divider step: the remainder starts at 2^(L-1) (quotient bit 16), then doubles each step
  assign step   = ((state_q == StQuery) && (k_q >= 5'd2) && (k_q <= 5'd18)) ||
                  ((state_q == StDiv) && (k_q >= 5'd6) && (k_q <= 5'd22));
  assign step0  = (state_q == StDiv) ? (k_q == 5'd6) : (k_q == 5'd2);
  assign rem_in = step0 ? den_top : {rem_q[30:0], 1'b0};
  assign qbit   = (rem_in >= den_q);
  assign rem_d  = 31'(qbit ? rem_in - den_q : rem_in);

  always_comb begin
    for (int unsigned i = 0; i < C; i++) begin
      acc_d[49*i +: 49] = (step0 ? 49'd0 : {acc_q[49*i +: 48], 1'b0}) +
                          (qbit ? 49'($signed(num_q[32*i +: 32])) : 49'd0);
    end
  end

  // result: sat8((acc + 2^(L+14-gain)) >>> (L+15-gain)), 0 for den <= 0
  logic signed [48:0] rp, rq;          // the rounded product, shifted
  logic [5:0]         sh;              // L + 15 - gain_log2
  assign sh = den_len + 6'd15 - 6'(gain_q);
  always_comb begin
    for (int unsigned i = 0; i < C; i++) begin
      rp = $signed(acc_q[49*i +: 49]) + $signed(49'd1 << (sh - 6'd1));
      rq = rp >>> sh;
      if (!den_pos) begin
        res[8*i +: 8] = '0;
      end else if (rq > 49'sd127) begin
        res[8*i +: 8] = 8'h7f;
      end else if (rq < -49'sd128) begin
        res[8*i +: 8] = 8'h80;
      end else begin
        res[8*i +: 8] = rq[7:0];
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------------------
  logic          wr_valid_q;
  logic [AW-1:0] wr_addr_q;

  assign den_ld    = ((state_q == StQuery) || (state_q == StDiv)) && (k_q == 5'd1);
  assign num_shift = (state_q == StDiv) && (k_q >= 5'd2) && (k_q <= 5'd5);

  always_ff @(posedge clk_i) begin
    bank_q <= bank_d;
    cnt_q  <= cnt_d;
    if (den_ld) den_q <= (state_q == StDiv) ? den_word : den_d;
    if ((state_q == StQuery) && (k_q == 5'd1)) num_q <= num_d;
    // sdiv: each numerator read's C/4 INT32 values (two per word, low half first) shift in from the top
    if (num_shift) num_q <= {obuf_rdata_i, num_q[C*32-1:C*8]};
    if (step) begin
      rem_q <= rem_d;
      acc_q <= acc_d;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      sacc_q     <= 1'b0;
      flag_q     <= 1'b0;
      gain_q     <= '0;
      b_q        <= '0;
      g_q        <= '0;
      n_q        <= '0;
      z_q        <= '0;
      zr_q       <= '0;
      t_q        <= '0;
      seg_q      <= '0;
      j_q        <= '0;
      k_q        <= '0;
      tail_q     <= 1'b0;
      vstride_q  <= '0;
      gc_q       <= '0;
      gw_q       <= '0;
      zbase_q    <= '0;
      zptr_q     <= '0;
      sseg_q     <= '0;
      rptr_q     <= '0;
      cbase_q    <= '0;
      cptr_q     <= '0;
      vseg_q     <= '0;
      vptr_q     <= '0;
      dseg_q     <= '0;
      dptr_q     <= '0;
      zload_q    <= 1'b0;
      zrow_q     <= '0;
      rload_q    <= 1'b0;
      rrow_q     <= '0;
      code_rd_q  <= 1'b0;
      seg0_q     <= 1'b0;
      dsel_q     <= '0;
      qsel_q     <= '0;
      wr_valid_q <= 1'b0;
      wr_addr_q  <= '0;
      res_q      <= '0;
    end else begin
      state_q    <= state_d;
      sacc_q     <= sacc_d;
      flag_q     <= flag_d;
      gain_q     <= gain_d;
      b_q        <= b_d;
      g_q        <= g_d;
      n_q        <= n_d;
      z_q        <= z_d;
      zr_q       <= zr_d;
      t_q        <= t_d;
      seg_q      <= seg_d;
      j_q        <= j_d;
      k_q        <= k_d;
      tail_q     <= tail_d;
      vstride_q  <= vstride_d;
      gc_q       <= gc_d;
      gw_q       <= gw_d;
      zbase_q    <= zbase_d;
      zptr_q     <= zptr_d;
      sseg_q     <= sseg_d;
      rptr_q     <= rptr_d;
      cbase_q    <= cbase_d;
      cptr_q     <= cptr_d;
      vseg_q     <= vseg_d;
      vptr_q     <= vptr_d;
      dseg_q     <= dseg_d;
      dptr_q     <= dptr_d;
      zload_q    <= (state_q == StZin);
      zrow_q     <= zr_q;
      rload_q    <= (state_q == StRows);
      rrow_q     <= t_q;
      code_rd_q  <= code_rd_d;
      seg0_q     <= (seg_q == '0);
      dsel_q     <= DSW'(cptr_q);
      qsel_q     <= QSW'(cptr_q);
      wr_valid_q <= ((state_q == StQuery) && (k_q == 5'd19)) || ((state_q == StDiv) && (k_q == 5'd23));
      wr_addr_q  <= dptr_q;
      res_q      <= res;
    end
  end

  assign last_o          = (state_q == StTail) && tail_q;
  assign abuf_req_o.req  = wr_valid_q;
  assign abuf_req_o.we   = wr_valid_q;
  assign abuf_req_o.addr = wr_valid_q ? wr_addr_q : '0;
  assign abuf_wdata_o    = wr_valid_q ? res_q : '0;

  // the high halves of the state words (32-bit values, sign-extended)
  logic unused_pbuf;
  always_comb begin
    unused_pbuf = 1'b0;
    for (int unsigned i = 0; i < C; i++) unused_pbuf ^= ^pbuf_rdata_i[64*i + 32 +: 32];
  end

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_start_only_when_idle: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                           !(start_i && (state_q != StIdle || wr_valid_q)))
    else $error("bg_signacc: started while running");
`endif

endmodule : bg_signacc
