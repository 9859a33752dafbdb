#include "bitgrid/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "bitgrid/error.h"

namespace bitgrid {

namespace timeline {
std::string counter_name(int id) {
  if (id >= 0 && id < isa::kNumQueues) return std::string("queue.") + isa::kQueueNames[static_cast<size_t>(id)];
  if (id >= isa::kNumQueues && id < kNumCounters)
    return std::string("tokens.") + isa::kTokenNames[static_cast<size_t>(id - isa::kNumQueues)];
  throw Error("timeline: no counter " + std::to_string(id));
}
}  // namespace timeline

namespace {

constexpr int kPid = 1;
constexpr int kDramTid = isa::kNumQueues + 1;  // units are tids 1..kNumQueues (queue + 1)

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

void counter_event(std::string& o, uint64_t ts, const std::string& name, int64_t value) {
  o += fmt::format(",\n{{\"ph\":\"C\",\"pid\":{},\"ts\":{},\"name\":{},\"args\":{{\"value\":{}}}}}", kPid, ts,
                   quoted(name), value);
}

}  // namespace

void ActivityProfile::widen(uint64_t width) {
  if (width <= width_) return;
  const uint64_t f = width / width_;
  std::vector<uint64_t> r((read_bytes.size() + f - 1) / f), w(r.size());
  for (size_t i = 0; i < read_bytes.size(); ++i) {
    r[i / f] += read_bytes[i];
    w[i / f] += write_bytes[i];
  }
  read_bytes = std::move(r);
  write_bytes = std::move(w);
  width_ = width;
}

void ActivityProfile::add_dram_beat(uint64_t cycle, bool read, uint64_t bytes) {
  uint64_t w = width_;
  while (cycle / w >= 2 * kProfileBins) w *= 2;  // collect in up to twice the final bins
  widen(w);
  const size_t b = static_cast<size_t>(cycle / width_);
  if (b >= read_bytes.size()) {
    read_bytes.resize(b + 1);
    write_bytes.resize(b + 1);
  }
  (read ? read_bytes : write_bytes)[b] += bytes;
}

void ActivityProfile::finish(uint64_t cycles, const Program& program,
                             const std::vector<std::array<uint64_t, 3>>& insn_log) {
  uint64_t w = width_;
  while ((cycles + w - 1) / w > kProfileBins) w *= 2;
  widen(w);
  bin_cycles = width_;
  const size_t n = static_cast<size_t>((cycles + bin_cycles - 1) / bin_cycles);
  // Beats after the end (the rest of a burst that done cut off; the run's DRAM totals count them) go to the
  // last bin, so the bins add up to the totals.
  for (size_t i = n; n > 0 && i < read_bytes.size(); ++i) {
    read_bytes[n - 1] += read_bytes[i];
    write_bytes[n - 1] += write_bytes[i];
  }
  read_bytes.resize(n);
  write_bytes.resize(n);
  busy.assign(n, {});
  for (const auto& [index, issue, complete] : insn_log) {
    if (index >= program.insns.size() || program.insns[index].op() == isa::Op::kFinish) continue;
    // busy in issue+1 .. complete (or to the end when done cut it off)
    const uint64_t lo = issue + 1, hi = std::min(complete != 0 ? complete + 1 : cycles, cycles);
    const size_t q = static_cast<size_t>(program.insns[index].queue());
    for (uint64_t c = lo; c < hi;) {
      const uint64_t bin = c / bin_cycles, next = std::min(hi, (bin + 1) * bin_cycles);
      busy[static_cast<size_t>(bin)][q] += next - c;
      c = next;
    }
  }
}

std::string timeline_trace_json(const Program& program, const Timeline& t) {
  const uint64_t end = t.cycles;  // nothing at or after the cycle the run ended in (R4)
  const uint64_t bb = static_cast<uint64_t>(t.dram_beat_bytes);
  std::string o;
  o.reserve(256 * (t.insns.size() + t.dram.size()) + 96 * t.counters.size() + 4096);
  o += "{\"displayTimeUnit\":\"ns\",\n";
  o += fmt::format(
      "\"otherData\":{{\"format\":\"bitgrid timeline 1\",\"time_unit\":\"1 us = 1 machine cycle\",\"cycles\":{},"
      "\"instructions_issued\":{},\"dram_bytes_per_cycle\":{}}},\n",
      t.cycles, t.insns.size(), bb);
  o += "\"traceEvents\":[\n";
  o += fmt::format(R"({{"ph":"M","pid":{},"tid":0,"name":"process_name","args":{{"name":"bitgrid machine"}}}})", kPid);
  auto thread = [&](int tid, const std::string& name) {
    o += fmt::format(",\n{{\"ph\":\"M\",\"pid\":{},\"tid\":{},\"name\":\"thread_name\",\"args\":{{\"name\":{}}}}}",
                     kPid, tid, quoted(name));
    o += fmt::format(
        ",\n{{\"ph\":\"M\",\"pid\":{},\"tid\":{},\"name\":\"thread_sort_index\",\"args\":{{\"sort_index\":{}}}}}", kPid,
        tid, tid);
  };
  for (int u = 0; u < isa::kNumQueues; ++u)
    thread(u + 1, std::string(isa::kQueueNames[static_cast<size_t>(u)]) + " unit");
  thread(kDramTid, "DRAM bus");

  // Instructions: a slice from the issue cycle through the completion cycle (cut off at the end of the run).
  for (const auto& [index, issue, complete] : t.insns) {
    if (index >= program.insns.size())
      throw Error(
          fmt::format("timeline: instruction {} is outside the {}-instruction program", index, program.insns.size()));
    if (issue >= end) continue;
    const Insn& in = program.insns[index];
    const bool done = complete != 0 || in.op() == isa::Op::kFinish;
    const uint64_t last = done ? std::min(complete, end - 1) : end - 1;
    const isa::OpDef* d = in.def();
    o += fmt::format(
        ",\n{{\"ph\":\"X\",\"pid\":{},\"tid\":{},\"ts\":{},\"dur\":{},\"name\":{},\"args\":{{\"insn\":{},\"asm\":{},"
        "\"issue\":{},\"complete\":{}}}}}",
        kPid, static_cast<int>(in.queue()) + 1, issue, last - issue + 1, quoted(d ? d->name : "illegal"), index,
        quoted(disassemble(in)), issue, done ? std::to_string(complete) : std::string("null"));
  }

  // DRAM requests: a slice while their beats hold the bus. In cycle order, a cycle's write beat before its
  // read (R6), however a backend happened to log them.
  std::vector<DramRequest> dram = t.dram;
  std::stable_sort(dram.begin(), dram.end(), [](const DramRequest& a, const DramRequest& b) {
    return a.cycle != b.cycle ? a.cycle < b.cycle : !a.read && b.read;
  });
  for (const DramRequest& r : dram) {
    if (r.start >= end) continue;
    const uint64_t dur = std::min<uint64_t>(r.beats, end - r.start);
    o += fmt::format(
        ",\n{{\"ph\":\"X\",\"pid\":{},\"tid\":{},\"ts\":{},\"dur\":{},\"name\":\"{}\",\"args\":{{\"bytes\":{},"
        "\"requested\":{}}}}}",
        kPid, kDramTid, r.start, dur, r.read ? "read" : "write", bb * r.beats, r.cycle);
  }

  if (t.fault_cycle >= 0)
    o += fmt::format(
        ",\n{{\"ph\":\"i\",\"s\":\"g\",\"pid\":{},\"tid\":0,\"ts\":{},\"name\":\"machine "
        "fault\",\"args\":{{\"message\":{}}}}}",
        kPid, t.fault_cycle, quoted(t.fault));

  // Counters: every one starts at 0 in cycle 0.
  for (int c = 0; c < timeline::kNumCounters; ++c) counter_event(o, 0, timeline::counter_name(c), 0);
  counter_event(o, 0, "dram.read_bytes_in_flight", 0);
  counter_event(o, 0, "dram.write_bytes_in_flight", 0);
  for (const CounterChange& c : t.counters)
    if (c.cycle < end) counter_event(o, c.cycle, timeline::counter_name(static_cast<int>(c.id)), c.value);
  // DRAM bytes in flight: a request's bytes from the cycle after it was made until the cycle after each beat
  // is delivered (read) or acknowledged (write) -- the value at the start of a cycle, like the counters above.
  std::map<uint64_t, std::array<int64_t, 2>> delta;  // cycle -> {read, write}
  for (const DramRequest& r : t.dram) {
    const size_t k = r.read ? 0 : 1;
    delta[r.cycle + 1][k] += static_cast<int64_t>(bb * r.beats);
    for (uint32_t i = 0; i < r.beats; ++i) delta[r.start + i + 1][k] -= static_cast<int64_t>(bb);
  }
  std::array<int64_t, 2> level{};
  for (const auto& [cycle, d] : delta) {
    if (cycle >= end) break;
    for (size_t k = 0; k < 2; ++k) {
      if (d[k] == 0) continue;
      level[k] += d[k];
      counter_event(o, cycle, k == 0 ? "dram.read_bytes_in_flight" : "dram.write_bytes_in_flight", level[k]);
    }
  }
  o += "\n]}\n";
  return o;
}

}  // namespace bitgrid
