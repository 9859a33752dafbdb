// Top-k list: TopkMax 64-bit keys {dist[31:0], index[31:0]} kept in ascending order (slot 0 smallest);
// the empty entry is all ones. Each merge folds up to HamLanes candidates into the list: slot j's next
// value is the j-th smallest of (list ∪ valid candidates).
//
// A merge takes two cycles (iCE40 Fmax: the 64-bit compares and the slot selection in separate cycles).
// Candidates presented with merge_i in cycle u are in the list from cycle u+2 (list_o); merges may come
// in back-to-back cycles.
//   One lane: in cycle u the candidate c is compared with every slot of the list and with the candidate p
//     being merged in that cycle, and those results are turned into "c < slot j of the list as it will be
//     in u+1" (slot j of that list is list_j, list_{j-1} or p, chosen by p's own compares); in u+1 the
//     registered results choose each slot's new value (a 3-way select).
//   Several lanes: in cycle u the candidates are registered; in u+1 they are merged by rank counting
//     (below).
//
// Total order used for the ranks (it only matters for equal keys, which the bitgrid protocol never
// produces except for empty list entries): list entries by slot, then list before candidate, then
// candidates by lane. So
//   position of list entry i = i + #{valid candidates c : key_c < list_i}
//   position of candidate c  = #{list entries i : list_i <= key_c}
//                            + #{valid candidates c' : key_c' < key_c, or key_c' == key_c and c' < c}
// The positions of the list entries and the valid candidates are a permutation of 0..TopkMax+nvalid-1;
// entries at positions >= TopkMax fall off the end. A list entry moves down by at most HamLanes slots,
// so slot j chooses among list entries j-HamLanes..j and the candidates.
//
// Operations (priority clear > shift > merge):
//   clear_i : every slot becomes empty; a merge started in this or the previous cycle is dropped
//   shift_i : slot j takes slot j+1, the last slot becomes empty (reads the list out through head_o);
//             never while a merge is in flight (asserted)
//   merge_i : merge the candidates whose cand_valid_i bit is set
module bg_topk_unit #(
  parameter int unsigned TopkMax = bitgrid_pkg::DefaultTopkMax,
  parameter int unsigned HamLanes = bitgrid_pkg::DefaultHamLanes
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     clear_i,
  input  logic                     shift_i,
  input  logic                     merge_i,
  input  logic [HamLanes-1:0]      cand_valid_i,
  input  logic [HamLanes*64-1:0]   cand_key_i,   // candidate c at [c*64 +: 64]
  output logic [TopkMax*64-1:0]    list_o,       // slot j at [j*64 +: 64], ascending
  output logic [63:0]              head_o        // slot 0
);

  // all ones: Yosys 0.23 reads a '1 parameter value as 64'h1 (caught by the gate-level cosim)
  localparam logic [63:0] Empty = {64{1'b1}};

  // a < b on 64-bit keys as four 16-bit compares side by side: on an iCE40 a 64-bit compare is one
  // 64-cell carry chain, the slowest path of the engine.
  function automatic logic key_lt(logic [63:0] a, logic [63:0] b);
    logic [3:0] lt;
    logic [3:1] eq;
    lt[0] = a[15:0] < b[15:0];
    lt[1] = a[31:16] < b[31:16];
    lt[2] = a[47:32] < b[47:32];
    lt[3] = a[63:48] < b[63:48];
    eq[1] = a[31:16] == b[31:16];
    eq[2] = a[47:32] == b[47:32];
    eq[3] = a[63:48] == b[63:48];
    key_lt = lt[3] | (eq[3] & (lt[2] | (eq[2] & (lt[1] | (eq[1] & lt[0])))));
  endfunction

  logic [TopkMax*64-1:0] list_d, list_q;
  logic [TopkMax*64-1:0] merged;   // the list after the merge in its second cycle
  logic                  mrg_d, mrg_q;  // a merge is in its second cycle

  // A merge started in cycle u is in its second cycle in u+1 unless a clear came in u.
  assign mrg_d = merge_i && (cand_valid_i != '0) && !clear_i;

  if (HamLanes == 1) begin : g_one_lane
    // The list is sorted, so "c < slot j" is 0 up to c's position and 1 from there on; slot j keeps
    // list_j below that position, takes c at it and list_{j-1} after it.
    logic [TopkMax-1:0] lt_now;      // c < list_q[j]
    logic               lt_cand;     // c < p (the candidate in its second cycle)
    logic [TopkMax-1:0] lt_d, lt_q;  // c < slot j of the list c is merged into
    logic [TopkMax-1:0] below;       // p goes to slot j or above
    logic [63:0]        p_q;         // the candidate in its second cycle

    always_comb begin
      for (int unsigned j = 0; j < TopkMax; j++) begin
        lt_now[j] = key_lt(cand_key_i[63:0], list_q[j*64 +: 64]);
      end
      lt_cand = key_lt(cand_key_i[63:0], p_q);
      below   = mrg_q ? lt_q : '0;
    end

    // Slot j of the list in u+1: list_j unless p goes to j or above, else list_{j-1} if p goes above
    // j-1, else p. c's compare with it follows the same choice.
    always_comb begin
      for (int unsigned j = 0; j < TopkMax; j++) begin
        if (!below[j]) begin
          lt_d[j] = lt_now[j];
        end else if (j > 0 && below[j - 1]) begin
          lt_d[j] = lt_now[j - 1];
        end else begin
          lt_d[j] = lt_cand;
        end
      end
    end

    for (genvar j = 0; j < TopkMax; j++) begin : g_slot
      if (j == 0) begin : g_first
        assign merged[63:0] = below[0] ? p_q : list_q[63:0];
      end else begin : g_next
        assign merged[j*64 +: 64] = !below[j]     ? list_q[j*64 +: 64] :
                                    below[j - 1]  ? list_q[(j-1)*64 +: 64] : p_q;
      end
    end

    always_ff @(posedge clk_i) begin
      // used only under mrg_q
      lt_q <= lt_d;
      p_q  <= cand_key_i[63:0];
    end
  end else begin : g_lanes
    localparam int unsigned CntW = $clog2(HamLanes + 1);           // 0..HamLanes
    localparam int unsigned PosW = $clog2(TopkMax + HamLanes + 1);  // 0..TopkMax+HamLanes
    logic [HamLanes-1:0]          cv_q;        // the candidates in their second cycle ...
    logic [HamLanes*64-1:0]       ck_q;        // ... and their keys
    logic [TopkMax*HamLanes-1:0]  cand_lt;     // [i*HamLanes + c]: key_c < list_i
    logic [HamLanes*HamLanes-1:0] cand_before; // [c*HamLanes + c2]: valid c2 precedes c
    logic [TopkMax*CntW-1:0]      list_shift;  // [i]: valid candidates below list_i
    logic [HamLanes*PosW-1:0]     cand_pos;    // [c]: position of candidate c in the merged list

    always_ff @(posedge clk_i) begin
      // used only under mrg_q
      cv_q <= cand_valid_i;
      ck_q <= cand_key_i;
    end

    always_comb begin
      for (int unsigned i = 0; i < TopkMax; i++) begin
        for (int unsigned c = 0; c < HamLanes; c++) begin
          cand_lt[i*HamLanes + c] = key_lt(ck_q[c*64 +: 64], list_q[i*64 +: 64]);
        end
      end
      for (int unsigned c = 0; c < HamLanes; c++) begin
        for (int unsigned c2 = 0; c2 < HamLanes; c2++) begin
          if (c2 < c) begin
            cand_before[c*HamLanes + c2] = cv_q[c2] & !key_lt(ck_q[c*64 +: 64], ck_q[c2*64 +: 64]);
          end else if (c2 > c) begin
            cand_before[c*HamLanes + c2] = cv_q[c2] & key_lt(ck_q[c2*64 +: 64], ck_q[c*64 +: 64]);
          end else begin
            cand_before[c*HamLanes + c2] = 1'b0;
          end
        end
      end
    end

    // Rank counting.
    always_comb begin
      list_shift = '0;
      cand_pos   = '0;
      for (int unsigned i = 0; i < TopkMax; i++) begin
        for (int unsigned c = 0; c < HamLanes; c++) begin
          list_shift[i*CntW +: CntW] = list_shift[i*CntW +: CntW]
                                       + CntW'({cv_q[c] & cand_lt[i*HamLanes + c]});
        end
      end
      for (int unsigned c = 0; c < HamLanes; c++) begin
        for (int unsigned i = 0; i < TopkMax; i++) begin
          cand_pos[c*PosW +: PosW] = cand_pos[c*PosW +: PosW] + PosW'(!cand_lt[i*HamLanes + c]);
        end
        for (int unsigned c2 = 0; c2 < HamLanes; c2++) begin
          cand_pos[c*PosW +: PosW] = cand_pos[c*PosW +: PosW] + PosW'(cand_before[c*HamLanes + c2]);
        end
      end
    end

    // Slot selection: exactly one source matches each slot, so an AND-OR mux suffices.
    always_comb begin
      merged = '0;
      for (int unsigned j = 0; j < TopkMax; j++) begin
        for (int unsigned t = 0; t <= HamLanes; t++) begin
          if (t <= j) begin
            if (list_shift[(j-t)*CntW +: CntW] == CntW'(t)) begin
              merged[j*64 +: 64] = merged[j*64 +: 64] | list_q[(j-t)*64 +: 64];
            end
          end
        end
        for (int unsigned c = 0; c < HamLanes; c++) begin
          if (cv_q[c] && cand_pos[c*PosW +: PosW] == PosW'(j)) begin
            merged[j*64 +: 64] = merged[j*64 +: 64] | ck_q[c*64 +: 64];
          end
        end
      end
    end
  end

  always_comb begin
    list_d = list_q;
    if (clear_i) begin
      list_d = {TopkMax{Empty}};
    end else if (shift_i) begin
      for (int unsigned j = 0; j < TopkMax; j++) begin
        list_d[j*64 +: 64] = (j + 1 < TopkMax) ? list_q[(j+1)*64 +: 64] : Empty;
      end
    end else if (mrg_q) begin
      list_d = merged;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      list_q <= {TopkMax{Empty}};
      mrg_q  <= 1'b0;
    end else begin
      list_q <= list_d;
      mrg_q  <= mrg_d;
    end
  end

  assign list_o = list_q;
  assign head_o = list_q[63:0];

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_no_shift_during_merge: assert property (@(posedge clk_i) disable iff (!asserts_on)
                                            shift_i -> !(merge_i || mrg_q))
    else $error("bg_topk_unit: shift while a merge is in flight");
`endif

endmodule : bg_topk_unit
