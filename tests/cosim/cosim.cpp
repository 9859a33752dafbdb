// bitgrid-cosim: seeded random co-verification of the three backends.
// For each seed it draws a hardware config (from --hw files) and a program: two seeds in three a compiled
// hamming_topk workload (sizes, code length, k, tiling, batching; its results must also equal a
// brute-force top-k), one in three a hand-built random program (tests/cosim/random_program.h: random
// token patterns, nops, zero-length moves, queue-filling bursts), a quarter of which hold one illegal
// instruction. Every program runs on the reference model, the SystemC model and the Verilated RTL:
// identical final DRAM bytes on all three and systemc cycles == rtl cycles; for a program with an illegal
// instruction, the same machine fault (cycle and cause) on systemc and rtl. A failure prints the seed,
// the config and, when the simulators log per-instruction cycles, the first diverging instruction.
// With --timeline, both timed backends also write each job's timeline (bitgrid/timeline.h): the two files
// must be byte-identical and pass check_timeline() (the trace-event format's required fields, the
// machine's limits, and per-unit busy cycles equal to the simulator's own count).
#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>

#include "bitgrid/engines/bitmac.h"
#include "bitgrid/engines/hamtopk.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/hashgrid.h"
#include "bitgrid/memimage.h"
#include "bitgrid/workloads/attention.h"
#include "bitgrid/workloads/hamming_topk.h"
#include "bitgrid/workloads/hashgrid_input.h"
#include "bitgrid/workloads/memoryformer.h"
#include "bitgrid/workloads/model.h"
#include "bitgrid/workloads/program_parts.h"
#include "random_program.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace bitgrid;

namespace {

struct Case {
  uint64_t seed;
  size_t hw_index;
  enum Kind { kCompiled, kHandBuilt, kFaulty } kind = kCompiled;
  bool linear = false;           // kCompiled: a linear layer (else hamming_topk)
  HammingTopkCompiled compiled;  // kCompiled, hamming_topk
  HammingTopkWorkload w;         // kCompiled, hamming_topk
  std::vector<LinearQ> lq;       // kCompiled, linear layers (a chain when more than one)
  ModelCompiled lc;              // kCompiled, linear layers
  bool attention = false;        // kCompiled: an attention head (else hamming_topk or linear)
  AttentionQ aq;
  RowChunkCompiled ac;
  bool softmax = false;  // the attention head is the softmax baseline (sq)
  SoftmaxQ sq;
  bool mem_layer = false;  // kCompiled: a MemoryFormer layer or its linear baseline (mq; output layout in ac)
  MemoryQ mq;
  bool chained = false;  // mem_layer: a second memory layer (mq2, layout ac2) reads mq's outputs in a second part
  MemoryQ mq2;
  RowChunkLayout ac2;
  Program program;
  std::vector<uint8_t> memory, ref_memory;
  std::string what;
};

// A random attention head (ARCHITECTURE.md §3.7): random INT8 tokens (a zero row now and then) and weights, random
// requantizers (any values are defined), any code length the bank holds, both forms; sequences over several chunks
// on the small machines. Falls back to fewer tokens and narrower shapes when the buffers cannot hold the draw.
bool random_attention(std::mt19937_64& rng, const HwConfig& hw, AttentionQ& a, RowChunkCompiled& out) {
  const uint64_t C = bitmac::cols(hw);
  a.n = rng() % 4 == 0 ? 1 + rng() % 5 : 1 + rng() % 300;
  a.dim = 1 + rng() % 40;
  a.d = 1 + rng() % (2 * C);
  a.bits = 1 + rng() % static_cast<uint64_t>(hw.sacc_bits);
  a.form = rng() % 2;
  a.gain = rng() % 8;
  auto fill = [&](std::vector<int8_t>& v, size_t n) {
    v.resize(n);
    for (auto& x : v) x = static_cast<int8_t>(rng());
  };
  auto chans = [&](std::vector<bitmac::Channel>& ch, size_t n) {
    ch.resize(n);
    for (auto& c : ch)
      c = {static_cast<int32_t>(rng() % 2001) - 1000, static_cast<uint16_t>(rng()),
           static_cast<uint8_t>(8 + rng() % 16)};
  };
  for (int tries = 0; tries < 4; ++tries) {
    fill(a.x, a.n * a.dim);
    if (a.n > 1 && rng() % 2) std::fill_n(a.x.begin(), a.dim, int8_t{0});
    fill(a.wv, a.d * a.dim);
    fill(a.wkh, a.bits * a.dim);
    fill(a.wqh, a.bits * a.dim);
    fill(a.wo, a.dim * a.d);
    chans(a.cv, a.d);
    chans(a.co, a.dim);
    try {
      out = compile_attention(a, hw);
      return true;
    } catch (const Error&) {
      a.n = (a.n + 1) / 2, a.dim = (a.dim + 1) / 2, a.d = (a.d + 1) / 2;
    }
  }
  return false;
}

// A random softmax head (ARCHITECTURE.md §3.8): random INT8 tokens, weights, requantizers and exp table (any values
// are defined: negative P and zero or negative row sums included); fewer tokens and narrower shapes when K and V or
// the logits do not fit.
bool random_softmax(std::mt19937_64& rng, const HwConfig& hw, SoftmaxQ& a, RowChunkCompiled& out) {
  const uint64_t C = bitmac::cols(hw);
  a.n = rng() % 4 == 0 ? 1 + rng() % 5 : 1 + rng() % 200;
  a.dim = 1 + rng() % 40;
  a.d = 1 + rng() % (2 * C);
  a.gain = rng() % 8;
  auto fill = [&](std::vector<int8_t>& v, size_t n) {
    v.resize(n);
    for (auto& x : v) x = static_cast<int8_t>(rng());
  };
  auto chans = [&](std::vector<bitmac::Channel>& ch, size_t n) {
    ch.resize(n);
    for (auto& c : ch)
      c = {static_cast<int32_t>(rng() % 2001) - 1000, static_cast<uint16_t>(rng()),
           static_cast<uint8_t>(8 + rng() % 16)};
  };
  for (int tries = 0; tries < 5; ++tries) {
    fill(a.x, a.n * a.dim);
    fill(a.wq, a.d * a.dim);
    fill(a.wk, a.d * a.dim);
    fill(a.wv, a.d * a.dim);
    fill(a.wo, a.dim * a.d);
    chans(a.cq, a.d);
    chans(a.ck, a.d);
    chans(a.cv, a.d);
    chans(a.co, a.dim);
    std::vector<bitmac::Channel> one;
    chans(one, 1);
    a.cl = one[0];
    fill(a.exp_table, 256);
    if (rng() % 2)  // a table of non-negative values, as softmax's
      for (auto& e : a.exp_table) e = static_cast<int8_t>(static_cast<uint8_t>(e) % 128);
    try {
      out = compile_softmax_attention(a, hw);
      return true;
    } catch (const Error&) {
      a.n = (a.n + 1) / 2, a.dim = (a.dim + 1) / 2, a.d = (a.d + 1) / 2;
    }
  }
  return false;
}

// A random MemoryFormer layer or its linear baseline (ARCHITECTURE.md §3.9): random INT8 inputs (signs both ways,
// zeros), tables or weights, requantizers; fewer rows and narrower shapes when the tables do not fit.
bool random_memory(std::mt19937_64& rng, const HwConfig& hw, MemoryQ& q, RowChunkCompiled& out) {
  q.linear = rng() % 3 == 0;
  q.tau = 1 + rng() % 8;
  q.n = rng() % 4 == 0 ? 1 + rng() % 5 : 1 + rng() % 400;
  q.d_in = q.tau * (1 + rng() % 8);
  q.d_out = 1 + rng() % (3 * bitmac::cols(hw));
  auto fill = [&](std::vector<int8_t>& v, size_t n) {
    v.resize(n);
    for (auto& x : v) x = static_cast<int8_t>(rng() % 5 == 0 ? 0 : rng());
  };
  for (int tries = 0; tries < 6; ++tries) {
    fill(q.x, q.n * q.d_in);
    if (q.linear)
      fill(q.w, q.d_out * q.d_in);
    else
      fill(q.tables, (q.d_in / q.tau) * (uint64_t{1} << q.tau) * q.d_out);
    q.ch.resize(q.d_out);
    for (auto& c : q.ch)
      c = {static_cast<int32_t>(rng() % 2001) - 1000, static_cast<uint16_t>(rng()),
           static_cast<uint8_t>(6 + rng() % 16)};
    try {
      out = compile_memory_layer(q, hw);
      return true;
    } catch (const Error&) {
      q.n = (q.n + 1) / 2, q.d_out = (q.d_out + 1) / 2;
      if (q.tau > 1) --q.tau;
      q.d_in = q.tau * std::max<uint64_t>(1, q.d_in / (q.tau + 1) / 2);
    }
  }
  return false;
}

// A second random memory layer reading the first's outputs where the first stored them (a model graph's two parts,
// ARCHITECTURE.md §3.11): its input is the first's integer outputs (the first d_in of each row), its DRAM image
// follows the first's, and the two programs are joined by the barrier of append_part. False when it does not fit.
bool chain_memory(std::mt19937_64& rng, const HwConfig& hw, const MemoryQ& first, const RowChunkLayout& first_lay,
                  MemoryQ& q, RowChunkCompiled& all) {
  q.linear = false;
  q.tau = 1 + rng() % 8;
  q.n = first.n;
  q.d_in = first.d_out / q.tau * q.tau;
  if (q.d_in == 0) return false;
  q.d_out = 1 + rng() % (2 * bitmac::cols(hw));
  const std::vector<int8_t> y = memory_reference(first);
  q.x.resize(q.n * q.d_in);
  for (uint64_t t = 0; t < q.n; ++t)
    std::copy_n(y.begin() + static_cast<std::ptrdiff_t>(t * first.d_out), q.d_in,
                q.x.begin() + static_cast<std::ptrdiff_t>(t * q.d_in));
  q.tables.resize((q.d_in / q.tau) * (uint64_t{1} << q.tau) * q.d_out);
  for (auto& v : q.tables) v = static_cast<int8_t>(rng());
  q.ch.resize(q.d_out);
  for (auto& c : q.ch)
    c = {static_cast<int32_t>(rng() % 2001) - 1000, static_cast<uint16_t>(rng()), static_cast<uint8_t>(6 + rng() % 16)};
  RowChunkIO io;
  io.dram_base = all.memory.size();
  io.input = first_lay.y;
  try {
    RowChunkCompiled second = compile_memory_layer(q, hw, io);
    const RowChunkLayout lay = second.layout;
    append_part(all, std::move(second), "second");
    all.layout = lay;
    return true;
  } catch (const Error&) {  // e.g. its rows of K tau values read wider than the first's output rows
    return false;
  }
}

HammingTopkWorkload random_workload(std::mt19937_64& rng, const HwConfig& hw) {
  HammingTopkWorkload w;
  const size_t max_words = static_cast<size_t>(std::min<uint64_t>(hamtopk::max_code_words(hw), 8));
  const size_t bits = 64 * (1 + rng() % max_words);
  // Mix of tiny and moderate sizes; N < k and N not a multiple of lanes/tiles come up often.
  const size_t n = rng() % 4 == 0 ? 1 + rng() % 20 : 1 + rng() % 1500;
  const size_t q = 1 + rng() % 12;
  w.k = 1 + rng() % static_cast<size_t>(hw.topk_max);
  if (rng() % 5 == 0) {  // all-equal distances: one code repeated
    const CodeSet one = random_codes(1, bits, rng());
    w.database.n = n;
    w.database.words = one.words;
    for (size_t i = 0; i < n; ++i) w.database.data.insert(w.database.data.end(), one.data.begin(), one.data.end());
  } else {
    w.database = random_codes(n, bits, rng());
  }
  w.queries = random_codes(q, bits, rng());
  if (isa::engine_present(isa::kEngineBitmac, hw) && isa::engine_present(isa::kEngineBinenc, hw) && rng() % 3 == 0) {
    // Encoded on chip (ARCHITECTURE.md §3.5): random INT8 rows (all-zero rows and -128 included) and projection;
    // the codes are the reference's signs of their dot products. Small shapes, so that the projection fits
    // even tiny's 1 KiB wbuf.
    ChipEncode ce;
    ce.dim = 1 + rng() % (rng() % 2 ? 16 : 70);
    const size_t cb = rng() % 3 ? 64 : bits;
    auto fill = [&](std::vector<int8_t>& v, size_t rows) {
      v.resize(rows * ce.dim);
      for (auto& x : v) x = static_cast<int8_t>(rng());
      if (rows > 1 && rng() % 2) std::fill_n(v.begin(), ce.dim, int8_t{0});  // a zero row: every bit 1
    };
    fill(ce.database, n);
    fill(ce.queries, q);
    if (isa::engine_present(isa::kEngineLut, hw) && rng() % 2) {
      // kernelized hashing: random anchors, gemm 1 requantization, table, A and bias (any values are defined)
      KshInt8 k;
      k.dim = ce.dim;
      k.m = 1 + rng() % 40;
      k.bits = cb;
      fill(k.anchors, k.m);
      k.mult = static_cast<uint16_t>(rng());
      k.shift = static_cast<uint8_t>(rng() % 24);
      for (auto& t : k.table) t = static_cast<int8_t>(rng());
      k.a.resize(cb * k.m);
      for (auto& x : k.a) x = static_cast<int8_t>(rng());
      k.bias.resize(cb);
      for (auto& b : k.bias) b = static_cast<int32_t>(rng() % 200001) - 100000;
      w.database = ksh_codes_int8(k, ce.database, n);
      w.queries = ksh_codes_int8(k, ce.queries, q);
      ce.ksh = std::move(k);
    } else {
      fill(ce.projection, cb);
      if (rng() % 2) {  // channel biases (BEBR's thresholds), any values
        ce.bias.resize(cb);
        for (auto& b : ce.bias) b = static_cast<int32_t>(rng() % 400001) - 200000;
      }
      w.database = sign_codes_int8(ce.database, n, ce.dim, ce.projection, cb, ce.bias);
      w.queries = sign_codes_int8(ce.queries, q, ce.dim, ce.projection, cb, ce.bias);
    }
    w.chip = std::move(ce);
  }
  if (rng() % 2) w.tile_codes = 1 + rng() % 300;
  if (rng() % 2) w.query_batch = 1 + rng() % q;
  return w;
}

// A random model of 1-3 quantized linear layers, some reading the previous layer's outputs: every datatype,
// random codes, scales, selectors and requantization parameters (saturating often), N and M that are not
// multiples of the array or of the m tile, short groups, K long enough to be split on the small machines. `small`: one
// layer of one group and a few rows, for machines whose buffers cannot hold the larger draws.
std::vector<LinearQ> random_model(std::mt19937_64& rng, const HwConfig& hw, bool small = false) {
  const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw);
  const size_t nl = small ? 1 : 1 + rng() % 3;
  const uint64_t m = small ? 1 + rng() % 3 : rng() % 4 == 0 ? 1 : 1 + rng() % 40;
  std::vector<LinearQ> ls(nl);
  for (size_t i = 0; i < nl; ++i) {  // shapes first: a chained layer constrains its producer's N
    LinearQ& l = ls[i];
    l.name = "l" + std::to_string(i);
    l.m = m;
    l.dtype = rng() % isa::kDtypes.size();
    const uint64_t T = bitmac::terms(hw, l.dtype);
    // mostly groups of at least the rescaler's 8 cycles, sometimes shorter ones (R11 stretches the slots)
    l.group = 2 * R * (rng() % 4 ? (4 + T - 1) / T + rng() % 2 : 1 + rng() % 3);
    if (i > 0 && rng() % 2) l.input = ls[i - 1].name;
  }
  for (size_t i = 0; i < nl; ++i) {
    LinearQ& l = ls[i];
    const bool feeds = i + 1 < nl && !ls[i + 1].input.empty();
    // sometimes a long K, which the small machines' weight buffers split (partial sums through pbuf)
    l.k = !l.input.empty() ? ls[i - 1].n : small ? l.group : l.group * (1 + rng() % (rng() % 3 ? 3 : 16));
    l.n = feeds ? std::lcm(C, ls[i + 1].group) * (1 + rng() % 2) : 1 + rng() % (3 * C);
    l.relu = rng() % 2;
    l.out32 = !feeds && rng() % 4 == 0;
    const uint64_t ng = l.k / l.group, b = isa::kDtypes[l.dtype].bits;
    l.codes.resize(l.n * l.k);
    for (auto& c : l.codes) c = static_cast<uint8_t>(rng() & ((1u << b) - 1));
    l.scale.resize(l.n * ng);
    l.sel.resize(l.n * ng);
    for (auto& v : l.scale) v = static_cast<uint8_t>(rng());
    for (auto& v : l.sel) v = static_cast<uint8_t>(rng() % 4);
    l.channels.resize(l.n);
    for (auto& ch : l.channels) {
      ch.bias = static_cast<int32_t>(rng() % 2000001) - 1000000;
      ch.mult = static_cast<uint16_t>(rng());
      ch.shift = static_cast<uint8_t>(10 + rng() % 30);
    }
    if (l.input.empty()) {
      l.x.resize(l.m * l.k);
      for (auto& v : l.x) v = static_cast<int8_t>(rng());
    } else {
      const auto y = linear_reference(ls[i - 1]);
      l.x.assign(y.begin(), y.end());
    }
  }
  return ls;
}

// A random hash grid feeding a random model (the hash-grid encoder writes layer 0's activations into abuf): D 2
// or 3, L*F = K of one or two pairs of k-tiles, random resolutions, tables of up to 2^4 .. 2^14 entries (the
// largest the encoder takes; often beyond gbuf, so encoded in passes of levels), parameters uniform in [-1, 1],
// random per-level INT8 scales (saturating sometimes), random points with the cube's corners among them. Returns
// false when the machine has no room for it.
bool random_grid_model(std::mt19937_64& rng, const HwConfig& hw, std::vector<LinearQ>& ls, OnChipInput& in,
                       std::string& what) {
  const uint64_t R = bitmac::rows(hw), K = 2 * R * (1 + rng() % 2);
  hashgrid::GridConfig c;
  c.dims = hw.hg_max_dims == 3 && rng() % 2 ? 3 : 2;
  c.features = 1u << (rng() % 4);
  while (K / c.features > 32) c.features *= 2;
  c.levels = static_cast<uint32_t>(K / c.features);
  c.base_res = 2 + rng() % 7;
  c.per_level_scale = 1.0f + static_cast<float>(rng() % 80) / 100.0f;
  c.interp = rng() % 3 == 0 ? hashgrid::Interp::smoothstep : hashgrid::Interp::linear;
  const uint64_t m = 1 + rng() % 40;
  std::vector<uint32_t> xq(m * c.dims);
  for (size_t i = 0; i < xq.size(); ++i)
    xq[i] = i < 8 * c.dims ? ((i / c.dims) >> (i % c.dims) & 1) << 23 : static_cast<uint32_t>(rng() % ((1u << 23) + 1));
  ls = random_model(rng, hw);
  LinearQ& l = ls[0];
  l.k = K;
  l.group = 2 * R;
  l.m = m;
  l.input.clear();
  const uint64_t b = isa::kDtypes[l.dtype].bits, ng = K / l.group;
  l.codes.resize(l.n * K);
  for (auto& v : l.codes) v = static_cast<uint8_t>(rng() & ((1u << b) - 1));
  l.scale.resize(l.n * ng);
  l.sel.resize(l.n * ng);
  for (auto& v : l.scale) v = static_cast<uint8_t>(rng());
  for (auto& v : l.sel) v = static_cast<uint8_t>(rng() % 4);
  // half of them from the largest table down: the first that compiles is often beyond gbuf (passes)
  for (uint32_t t = rng() % 2 ? 14 : 4 + static_cast<uint32_t>(rng() % 11); t >= 4; --t) {
    c.log2_table = t;
    try {
      const auto levels = hashgrid::level_table(c);
      std::vector<float> params(hashgrid::n_params(c, levels));
      std::uniform_real_distribution<float> uni(-1.f, 1.f);
      for (float& v : params) v = uni(rng);
      std::vector<double> scale(c.levels);
      for (auto& sc : scale) sc = 1.0 / double(16 + rng() % 200);
      const HashgridQ g = quantize_hashgrid("enc", c, params.data(), scale);
      l.x = hashgrid_features_int8(g, xq);
      for (size_t i = 1; i < ls.size(); ++i) {
        ls[i].m = m;
        if (!ls[i].input.empty()) {
          const auto y = linear_reference(ls[i - 1]);
          ls[i].x.assign(y.begin(), y.end());
        } else {
          ls[i].x.resize(m * ls[i].k);
          for (auto& v : ls[i].x) v = static_cast<int8_t>(rng());
        }
      }
      in = hashgrid_input(g, xq, hw);
      what = fmt::format("hash grid D={} L={} F={} T={} res {}..{} {} m={} passes {}", c.dims, c.levels, c.features, t,
                         levels.front().res, levels.back().res,
                         c.interp == hashgrid::Interp::smoothstep ? "smoothstep" : "linear", m, in.passes);
      return true;
    } catch (const Error&) {
    }
  }
  return false;
}

// Checks a timeline file independently of its writer: the trace-event format's "JSON Object Format" with the
// fields each event type requires (Chrome's Trace Event Format document; Perfetto's JSON importer also wants
// a counter event to carry a single numeric value), every time inside the run, the counters within the
// machine's limits (queue_depth, token_max, no negative bytes in flight), no two instructions of one unit
// overlapping, and per unit the cycles its slices cover after their issue cycles equal the simulator's own
// busy-cycle count (stats units.*.busy_cycles). Returns "" or what is wrong.
std::string check_timeline(const std::string& text, const json& stats, const HwConfig& hw) {
  json t;
  try {
    t = json::parse(text);
  } catch (const std::exception& e) {
    return std::string("does not parse as JSON: ") + e.what();
  }
  if (!t.is_object() || !t.contains("traceEvents") || !t["traceEvents"].is_array()) return "no traceEvents array";
  const uint64_t cycles = stats.at("cycles").get<uint64_t>();
  std::map<int64_t, uint64_t> busy;      // tid -> sum of (dur - 1) of instruction slices
  std::map<int64_t, uint64_t> last_end;  // tid -> end of its last slice
  std::map<int64_t, std::string> thread_names;
  size_t n = 0;
  for (const json& e : t["traceEvents"]) {
    const std::string at = fmt::format("event {}: ", n++);
    if (!e.is_object() || !e.contains("ph") || !e["ph"].is_string() || !e.contains("name") || !e["name"].is_string() ||
        !e.contains("pid") || !e["pid"].is_number_integer())
      return at + "needs string ph and name and an integer pid: " + e.dump();
    const std::string ph = e["ph"];
    if (ph == "M") {
      if (!e.contains("args") || !e["args"].is_object()) return at + "metadata without args";
      const std::string name = e["name"];
      if (name == "thread_name") thread_names[e.at("tid").get<int64_t>()] = e["args"].at("name").get<std::string>();
      continue;
    }
    if (!e.contains("ts") || !e["ts"].is_number()) return at + "no numeric ts: " + e.dump();
    const uint64_t ts = e["ts"].get<uint64_t>();
    if (ts >= cycles) return at + fmt::format("ts {} is not inside the run's {} cycles", ts, cycles);
    if (ph == "X") {
      if (!e.contains("tid") || !e["tid"].is_number_integer() || !e.contains("dur") || !e["dur"].is_number())
        return at + "a complete event needs tid and dur: " + e.dump();
      const int64_t tid = e["tid"];
      const uint64_t dur = e["dur"].get<uint64_t>();
      if (dur == 0 || ts + dur > cycles) return at + "slice outside the run: " + e.dump();
      if (last_end.count(tid) && ts < last_end[tid])
        return at + "overlaps the previous slice of its track: " + e.dump();
      last_end[tid] = ts + dur;
      if (e.contains("args") && e["args"].contains("insn")) busy[tid] += dur - 1;
    } else if (ph == "C") {
      if (!e.contains("args") || !e["args"].is_object() || e["args"].size() != 1 ||
          !e["args"].begin().value().is_number())
        return at + "a counter event needs exactly one numeric arg: " + e.dump();
      const std::string name = e["name"];
      const int64_t v = e["args"].begin().value().get<int64_t>();
      const long lim = name.rfind("queue.", 0) == 0    ? hw.queue_depth
                       : name.rfind("tokens.", 0) == 0 ? hw.token_max
                                                       : -1;
      if (v < 0 || (lim >= 0 && v > lim)) return at + fmt::format("counter {} = {} outside 0..{}", name, v, lim);
    } else if (ph == "i") {
      if (!e.contains("s") || !e["s"].is_string()) return at + "an instant event needs a scope: " + e.dump();
    } else {
      return at + "unexpected phase " + ph;
    }
  }
  for (int u = 0; u < isa::kNumQueues; ++u) {
    const std::string unit = isa::kQueueNames[static_cast<size_t>(u)];
    int64_t tid = -1;
    for (const auto& [id, name] : thread_names)
      if (name == unit + " unit") tid = id;
    if (tid < 0) return "no track named \"" + unit + " unit\"";
    const uint64_t want = stats.at("units").at(unit).at("busy_cycles").get<uint64_t>();
    if (busy[tid] != want)
      return fmt::format("the {} unit's slices cover {} busy cycles, the simulator counted {}", unit, busy[tid], want);
  }
  return "";
}

// The stats' activity profile against the stats' own totals: per unit the busy cycles of the bins add up to
// units.*.busy_cycles, the DRAM bytes to dram.read_bytes / write_bytes, and the bins cover the run.
std::string check_profile(const json& st) {
  if (!st.contains("profile")) return "missing";
  const json& p = st["profile"];
  const uint64_t w = p.at("bin_cycles").get<uint64_t>(), cycles = st.at("cycles").get<uint64_t>();
  const size_t n = p.at("dram_read_bytes").size();
  if (w == 0 || (w & (w - 1)) != 0 || n > 256 || n * w < cycles || (n > 0 && (n - 1) * w >= cycles))
    return fmt::format("{} bins of {} cycles do not cover {} cycles in at most 256 bins", n, w, cycles);
  auto sum = [](const json& a) {
    uint64_t s = 0;
    for (const auto& v : a) s += v.get<uint64_t>();
    return s;
  };
  for (const char* u : isa::kQueueNames) {
    const json& b = p.at("busy_cycles").at(u);
    if (b.size() != n) return fmt::format("{} has {} bins, not {}", u, b.size(), n);
    for (const auto& v : b)
      if (v.get<uint64_t>() > w) return fmt::format("{} busy {} cycles in a {}-cycle bin", u, v.get<uint64_t>(), w);
    if (sum(b) != st.at("units").at(u).at("busy_cycles").get<uint64_t>())
      return fmt::format("{} busy cycles add up to {}, the run counted {}", u, sum(b),
                         st.at("units").at(u).at("busy_cycles").get<uint64_t>());
  }
  if (sum(p.at("dram_read_bytes")) != st.at("dram").at("read_bytes").get<uint64_t>() ||
      sum(p.at("dram_write_bytes")) != st.at("dram").at("write_bytes").get<uint64_t>())
    return "the DRAM bytes of the bins do not add up to the run's";
  return "";
}

int run_process(const std::vector<std::string>& argv, const fs::path& log) {
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  cmd += "> '" + log.string() + "' 2>&1";
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bitgrid-cosim: seeded random co-verification of reference, systemc and rtl backends"};
  uint64_t seeds = 200, first = 1;
  std::vector<std::string> hw_files;
  std::string systemc_exe, rtl_dir, work = "cosim-work";
  app.add_option("--seeds", seeds, "number of random workloads");
  app.add_option("--first-seed", first, "first seed (a failure prints its seed; rerun with --first-seed S --seeds 1)");
  app.add_option("--hw", hw_files, "hardware config files (seed picks one)")->required();
  app.add_option("--systemc", systemc_exe, "bitgrid-sim-systemc executable")->required();
  app.add_option("--rtl-dir", rtl_dir, "folder with <hw file stem>/bitgrid-sim-rtl per config")->required();
  app.add_option("--work", work, "scratch folder");
  bool timeline = false;
  app.add_flag("--timeline", timeline, "also compare the systemc and rtl timelines (--timeline) of every job");
  CLI11_PARSE(app, argc, argv);

  try {
    std::vector<HwConfig> hws;
    for (const auto& f : hw_files) hws.push_back(HwConfig::from_yaml(YAML::LoadFile(f), f));
    fs::remove_all(work);
    fs::create_directories(work);
    std::vector<Case> cases;
    std::vector<std::vector<size_t>> per_hw(hws.size());
    size_t n_kind[3] = {0, 0, 0};
    size_t n_models = 0, n_split_k = 0, n_short_groups = 0, n_on_chip = 0;  // what the compiled models exercised
    size_t n_grid = 0, n_grid_passes = 0;                                   // models fed by the hash-grid encoder
    size_t n_chip = 0;       // Hamming workloads whose codes the binary encoder made on chip
    size_t n_attention = 0;  // attention heads (MAC array, binary encoder, sign-select accumulator)
    size_t n_softmax = 0;    // softmax heads (MAC array, weight packer, table unit, sdiv)
    size_t n_memory = 0;     // MemoryFormer layers (table accumulator) and their linear baselines
    size_t n_chained = 0;    // of them, with a second layer reading them in a second program part
    for (uint64_t s = first; s < first + seeds; ++s) {
      std::mt19937_64 rng(s);
      Case c;
      c.seed = s;
      c.hw_index = static_cast<size_t>(s % hws.size());
      const HwConfig& hw = hws[c.hw_index];
      // A third compiled models (on machines with the MAC array), a third compiled Hamming workloads (with
      // the Hamming engine), a third hand-built programs.
      const bool has_mac = isa::engine_present(isa::kEngineBitmac, hw),
                 has_ham = isa::engine_present(isa::kEngineHamtopk, hw);
      const bool has_hg = isa::engine_present(isa::kEngineHashgrid, hw);
      if (s % 3 != 0 && has_mac && ((s / 3) % 2 == 1 || !has_ham)) {
        c.kind = Case::kCompiled;
        c.linear = true;
        const bool keep = rng() % 4 != 0;  // chained outputs kept in abuf, or (a quarter) through DRAM
        c.what = "model";
        bool grid = false;
        if (has_hg && rng() % 3 == 0) {  // a third of them fed by the hash-grid encoder
          OnChipInput in;
          std::string gw;
          if (random_grid_model(rng, hw, c.lq, in, gw)) {
            try {
              c.lc = compile_model(c.lq, hw, keep, &in);
              grid = true;
              c.what = gw + " -> model";
              ++n_grid;
              if (in.passes > 1) ++n_grid_passes;
            } catch (const Error&) {
            }
          }
        }
        if (!grid) {
          c.lq = random_model(rng, hw);
          try {
            c.lc = compile_model(c.lq, hw, keep);
          } catch (const Error&) {  // too large for this machine's buffers: a one-group, few-row draw
            c.lq = random_model(rng, hw, true);
            c.lc = compile_model(c.lq, hw, keep);
          }
        }
        c.program = c.lc.program;
        c.memory = c.lc.memory;
        ++n_models;
        bool split = false, short_group = false, on_chip = false;
        for (size_t i = 0; i < c.lq.size(); ++i) {
          split |= c.lc.layers[i].k_chunks > 1;
          on_chip |= c.lc.layers[i].on_chip;
          short_group |= c.lq[i].group / (2 * bitmac::rows(hw)) * 2 * bitmac::terms(hw, c.lq[i].dtype) < 8;
        }
        n_split_k += split;
        n_short_groups += short_group;
        n_on_chip += on_chip;
        for (size_t i = 0; i < c.lq.size(); ++i) {
          const LinearQ& l = c.lq[i];
          c.what += fmt::format(" [{}{} M={} K={} N={} {} group={} relu={} out32={} m_tile={} k_chunks={}{}]", l.name,
                                l.input.empty() ? "" : " <- " + l.input, l.m, l.k, l.n, isa::kDtypes[l.dtype].name,
                                l.group, l.relu, l.out32, c.lc.layers[i].m_tile, c.lc.layers[i].k_chunks,
                                c.lc.layers[i].on_chip ? " on chip" : "");
        }
      } else if (s % 3 != 0 && isa::engine_present(isa::kEngineTabacc, hw) && rng() % 8 == 0 &&
                 random_memory(rng, hw, c.mq, c.ac)) {
        c.kind = Case::kCompiled;
        c.mem_layer = true;
        ++n_memory;
        c.what = fmt::format("memory layer ({}) N={} d_in={} d_out={} tau={} chunks={}x{}",
                             c.mq.linear ? "linear" : "tables", c.mq.n, c.mq.d_in, c.mq.d_out, c.mq.tau,
                             c.ac.layout.chunks, c.ac.layout.rows);
        {  // a second part reading the first's outputs, when one fits
          RowChunkCompiled all;
          const RowChunkLayout first_lay = c.ac.layout;
          append_part(all, std::move(c.ac), "first");
          c.ac.layout = first_lay;
          if (chain_memory(rng, hw, c.mq, first_lay, c.mq2, all)) {
            c.chained = true;
            c.ac2 = all.layout;
            c.ac.program = std::move(all.program);
            c.ac.memory = std::move(all.memory);
            ++n_chained;
            c.what += fmt::format(" -> memory layer d_in={} d_out={} tau={} (a second program part)", c.mq2.d_in,
                                  c.mq2.d_out, c.mq2.tau);
          } else {
            c.ac.program = std::move(all.program);
            c.ac.memory = std::move(all.memory);
          }
        }
        c.program = c.ac.program;
        c.memory = c.ac.memory;
      } else if (s % 3 != 0 && isa::engine_present(isa::kEngineSignacc, hw) &&
                 isa::engine_present(isa::kEngineWpack, hw) && isa::engine_present(isa::kEngineLut, hw) &&
                 rng() % 8 == 0 && random_softmax(rng, hw, c.sq, c.ac)) {
        c.kind = Case::kCompiled;
        c.attention = c.softmax = true;
        c.program = c.ac.program;
        c.memory = c.ac.memory;
        ++n_softmax;
        c.what = fmt::format("softmax attention N={} dim={} head={} gain={} chunks={}x{}", c.sq.n, c.sq.dim, c.sq.d,
                             c.sq.gain, c.ac.layout.chunks, c.ac.layout.rows);
      } else if (s % 3 != 0 && isa::engine_present(isa::kEngineSignacc, hw) &&
                 isa::engine_present(isa::kEngineBinenc, hw) && rng() % 4 == 0 &&
                 random_attention(rng, hw, c.aq, c.ac)) {
        c.kind = Case::kCompiled;
        c.attention = true;
        c.program = c.ac.program;
        c.memory = c.ac.memory;
        ++n_attention;
        c.what = fmt::format("attention N={} dim={} head={} bits={} form={} gain={} chunks={}x{}", c.aq.n, c.aq.dim,
                             c.aq.d, c.aq.bits, c.aq.form, c.aq.gain, c.ac.layout.chunks, c.ac.layout.rows);
      } else if (s % 3 != 0) {
        c.kind = Case::kCompiled;
        c.w = random_workload(rng, hw);
        try {
          c.compiled = compile_hamming_topk(c.w, hw);
        } catch (const Error& e) {
          // Random tile/batch choices can exceed the buffers; that limit is the compiler's to report.
          c.w.tile_codes = 0;
          c.w.query_batch = 0;
          try {
            c.compiled = compile_hamming_topk(c.w, hw);
          } catch (const Error&) {
            if (!c.w.chip) throw;
            c.w.chip.reset();  // a projection beyond this machine's wbuf/abuf: the same codes from the host
            c.compiled = compile_hamming_topk(c.w, hw);
          }
        }
        c.program = c.compiled.program;
        c.memory = c.compiled.memory;
        if (c.w.chip) ++n_chip;
        c.what = fmt::format(
            "hamming_topk N={} bits={} Q={} k={} tile={} batch={}{}", c.w.database.n, c.w.database.bits(),
            c.w.queries.n, c.w.k, c.compiled.layout.tile_codes, c.compiled.layout.batch,
            c.w.chip
                ? fmt::format(" encoded on chip (dim {}{})", c.w.chip->dim,
                              c.w.chip->ksh ? fmt::format(", ksh with {} anchors", c.w.chip->ksh->m) : std::string())
                : "");
      } else {
        const bool faulty = (s / 3) % 4 == 0;
        c.kind = faulty ? Case::kFaulty : Case::kHandBuilt;
        bgtest::RandomProgram rp = bgtest::random_program(rng, hw, faulty);
        c.program = std::move(rp.program);
        c.memory = std::move(rp.memory);
        c.what = fmt::format("hand-built, {} instructions, {} of {} token batons relaxed{}", c.program.insns.size(),
                             rp.relaxed, rp.batons,
                             faulty ? fmt::format(", {} at instruction {}", fault_names(rp.fault), rp.fault_insn) : "");
      }
      ++n_kind[c.kind];
      const ExecResult ref = execute_program(c.program, hw, c.memory);
      c.ref_memory = ref.memory;
      const fs::path d = fs::path(work) / fmt::format("seed{}", s);
      fs::create_directories(d);
      save_program((d / "p.bgp").string(), c.program);
      save_memimage((d / "m.bgm").string(), c.memory);
      per_hw[c.hw_index].push_back(cases.size());
      cases.push_back(std::move(c));
    }
    std::set<uint64_t> failed;
    size_t faults_seen = 0, timelines_checked = 0;
    auto fail = [&](const Case& c, const std::string& why) {
      failed.insert(c.seed);
      std::cout << fmt::format("FAIL seed {} (hw {}, {}): {}\n", c.seed, hw_files[c.hw_index], c.what, why);
    };
    // brute force check of the reference model itself
    for (const auto& c : cases) {
      if (c.kind != Case::kCompiled) continue;
      if (c.mem_layer) {
        if (decode_row_chunks(c.mq.n, c.mq.d_out, c.ac.layout, c.ref_memory) != memory_reference(c.mq))
          fail(c, "reference result differs from the direct integer computation of the memory layer");
        else if (c.chained && decode_row_chunks(c.mq2.n, c.mq2.d_out, c.ac2, c.ref_memory) != memory_reference(c.mq2))
          fail(c, "reference result of the second part differs from the direct integer computation");
        continue;
      }
      if (c.softmax) {
        if (decode_row_chunks(c.sq.n, c.sq.dim, c.ac.layout, c.ref_memory) != softmax_reference(c.sq).y)
          fail(c, "reference result differs from the direct integer computation of the softmax head");
        continue;
      }
      if (c.attention) {
        if (decode_row_chunks(c.aq.n, c.aq.dim, c.ac.layout, c.ref_memory) != attention_reference(c.aq).y)
          fail(c, "reference result differs from the direct integer computation of the attention head");
        continue;
      }
      if (c.linear) {
        for (size_t i = 0; i < c.lq.size(); ++i)
          if (!c.lc.layers[i].on_chip &&
              decode_layer(c.lq[i], c.lc.layers[i], c.ref_memory) != linear_reference(c.lq[i])) {
            fail(c, "reference result of layer " + c.lq[i].name + " differs from the direct integer computation");
            break;
          }
        continue;
      }
      std::vector<int64_t> nb;
      std::vector<int32_t> d;
      decode_hamming_topk(c.compiled.layout, c.ref_memory, nb, d);
      const auto bf = knn_hamming(c.w.database, c.w.queries, c.w.k);
      for (size_t i = 0; i < bf.size(); ++i)
        if (nb[i] != (bf[i].empty() ? -1 : static_cast<int64_t>(bf[i].index))) {
          fail(c, fmt::format("reference result {} differs from brute force", i));
          break;
        }
    }
    for (size_t h = 0; h < hws.size(); ++h) {
      if (per_hw[h].empty()) continue;
      const fs::path hwf = fs::path(work) / fmt::format("hw{}.yaml", h);
      std::ofstream(hwf) << hws[h].to_yaml();
      std::map<std::string, fs::path> exe{
          {"systemc", systemc_exe}, {"rtl", fs::path(rtl_dir) / fs::path(hw_files[h]).stem() / "bitgrid-sim-rtl"}};
      for (const auto& [be, path] : exe) {
        const fs::path list = fs::path(work) / fmt::format("jobs-{}-{}.txt", be, h);
        {
          std::ofstream l(list);
          for (size_t ci : per_hw[h]) {
            const fs::path d = fs::path(work) / fmt::format("seed{}", cases[ci].seed);
            l << (d / "p.bgp").string() << " " << (d / "m.bgm").string() << " " << (d / (be + ".bgm")).string() << " "
              << (d / (be + ".json")).string() << "\n";
          }
        }
        const fs::path log = fs::path(work) / fmt::format("{}-{}.log", be, h);
        // --no-check: the programs with an illegal instruction must reach the machine (the others were
        // checked here); exit status 4 = some job ended in a machine fault.
        std::vector<std::string> sim_argv{path.string(), "--hw",       hwf.string(), "--jobs",
                                          list.string(), "--no-check", "--quiet"};
        if (timeline)  // job n's goes to tl-<backend>-<h>.<n>.json
          sim_argv.insert(sim_argv.end(),
                          {"--timeline", (fs::path(work) / fmt::format("tl-{}-{}.json", be, h)).string()});
        const int rc = run_process(sim_argv, log);
        if (rc != 0 && rc != 4)
          std::cout << fmt::format("{} simulator exited {} for {}: {}\n", be, rc, hw_files[h], slurp(log));
      }
      for (size_t job = 0; job < per_hw[h].size(); ++job) {
        const Case& c = cases[per_hw[h][job]];
        const fs::path d = fs::path(work) / fmt::format("seed{}", c.seed);
        std::map<std::string, json> st;
        bool ok = true;
        for (const char* be : {"systemc", "rtl"}) {
          if (!fs::exists(d / (std::string(be) + ".bgm"))) {
            fail(c, std::string(be) + " produced no result");
            ok = false;
            continue;
          }
          st[be] = json::parse(slurp(d / (std::string(be) + ".json")));
          if (!st[be].contains("fault") && c.kind != Case::kFaulty &&
              load_memimage((d / (std::string(be) + ".bgm")).string()) != c.ref_memory) {
            fail(c, std::string(be) + " DRAM bytes differ from the reference model");
            ok = false;
          }
        }
        if (!ok) continue;
        if (timeline) {
          const std::string a = slurp(fs::path(work) / fmt::format("tl-systemc-{}.{}.json", h, job));
          const std::string b = slurp(fs::path(work) / fmt::format("tl-rtl-{}.{}.json", h, job));
          if (a != b) {
            size_t i = 0;
            while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
            const size_t line = static_cast<size_t>(std::count(a.begin(), a.begin() + static_cast<long>(i), '\n')) + 1;
            fail(c, fmt::format("systemc and rtl timelines differ from line {} (systemc {} bytes, rtl {})", line,
                                a.size(), b.size()));
            continue;
          }
          const std::string why = check_timeline(a, st["systemc"], hws[h]);
          if (!why.empty()) {
            fail(c, "timeline: " + why);
            continue;
          }
          ++timelines_checked;
        }
        // Machine faults: the same on both timed backends (a hand-built program with an illegal
        // instruction may also finish before the instruction reaches issue, on both alike).
        const bool fs_ = st["systemc"].contains("fault"), fr = st["rtl"].contains("fault");
        if (fs_ != fr || (c.kind != Case::kFaulty && fs_)) {
          fail(c, fmt::format("machine fault on systemc: {}, on rtl: {}", fs_ ? st["systemc"]["fault"].dump() : "none",
                              fr ? st["rtl"]["fault"].dump() : "none"));
          continue;
        }
        if (fs_) {
          ++faults_seen;
          const auto& a = st["systemc"]["fault"];
          const auto& b = st["rtl"]["fault"];
          if (a["cycle"] != b["cycle"] || a["cause_bits"] != b["cause_bits"] || a["instruction"] != b["instruction"])
            fail(c, fmt::format("machine faults differ: systemc {}, rtl {}", a.dump(), b.dump()));
          continue;
        }
        if (c.kind == Case::kFaulty) {
          if (load_memimage((d / "systemc.bgm").string()) != load_memimage((d / "rtl.bgm").string()))
            fail(c, "systemc and rtl DRAM bytes differ");
        }
        const auto cs = st["systemc"]["cycles"].get<uint64_t>(), cr = st["rtl"]["cycles"].get<uint64_t>();
        if (cs != cr) {
          std::string where;
          if (st["systemc"].contains("insn_log") && st["rtl"].contains("insn_log")) {
            const auto& a = st["systemc"]["insn_log"];
            const auto& b = st["rtl"]["insn_log"];
            for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
              if (a[i] != b[i]) {
                const size_t idx = a[i][0].get<size_t>();
                where = fmt::format("; first diverging instruction #{} ({}): systemc [issue, done] = {}, rtl = {}", idx,
                                    disassemble(c.program.insns.at(idx)), a[i].dump(), b[i].dump());
                break;
              }
          }
          fail(c, fmt::format("cycles differ: systemc {} rtl {}{}", cs, cr, where));
          continue;
        }
        // The activity profile (report.json "profile"): the same on both, and its bins add up to the totals.
        if (st["systemc"]["profile"] != st["rtl"]["profile"]) {
          fail(c, "the activity profiles differ between systemc and rtl");
          continue;
        }
        const std::string why = check_profile(st["systemc"]);
        if (!why.empty()) fail(c, "profile: " + why);
      }
    }
    std::cout << fmt::format(
        "cosim: {} seeds from {} on {} hardware configs: {} compiled workloads, {} hand-built programs, {} with an "
        "illegal instruction ({} stopped on it on both timed backends)\n",
        seeds, first, hws.size(), n_kind[0], n_kind[1], n_kind[2], faults_seen);
    std::cout << fmt::format(
        "cosim: {} compiled models, {} with a split K, {} with groups shorter than the rescaler, {} with outputs kept "
        "on chip, {} fed by the hash-grid encoder ({} of them in passes of levels: tables beyond gbuf)\n",
        n_models, n_split_k, n_short_groups, n_on_chip, n_grid, n_grid_passes);
    std::cout << fmt::format("cosim: {} Hamming workloads with codes made on chip (MAC array + binary encoder)\n",
                             n_chip);
    std::cout << fmt::format("cosim: {} attention heads (sign-select accumulator)\n", n_attention);
    std::cout << fmt::format("cosim: {} softmax attention heads (weight packer, sdiv)\n", n_softmax);
    std::cout << fmt::format(
        "cosim: {} memory layers (table accumulator or their linear baseline), {} with a second layer reading them in "
        "a "
        "second program part\n",
        n_memory, n_chained);
    if (timeline)
      std::cout << fmt::format("cosim: {} timelines identical on systemc and rtl and well-formed\n", timelines_checked);
    std::cout << fmt::format("{} passed, {} failed\n", seeds - failed.size(), failed.size());
    return failed.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
