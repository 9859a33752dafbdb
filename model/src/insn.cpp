#include "bitgrid/insn.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "bitgrid/error.h"

namespace bitgrid {

uint64_t Insn::get(const isa::FieldDef& f) const {
  if (f.lsb / 64 == (f.lsb + f.width - 1) / 64) {  // the field lies in one word: shift and mask
    const uint64_t word = w[f.lsb / 64] >> (f.lsb % 64);
    return f.width >= 64 ? word : word & ((uint64_t{1} << f.width) - 1);
  }
  uint64_t v = 0;
  for (int b = 0; b < f.width; ++b) {
    const int bit = f.lsb + b;
    v |= ((w[bit / 64] >> (bit % 64)) & 1u) << b;
  }
  return v;
}

void Insn::set(const isa::FieldDef& f, uint64_t v) {
  if (f.width < 64 && (v >> f.width) != 0)
    throw Error(std::string("field ") + f.name + ": " + std::to_string(v) + " does not fit " + std::to_string(f.width) +
                " bits");
  for (int b = 0; b < f.width; ++b) {
    const int bit = f.lsb + b;
    const uint64_t mask = uint64_t{1} << (bit % 64);
    if ((v >> b) & 1u)
      w[bit / 64] |= mask;
    else
      w[bit / 64] &= ~mask;
  }
}

const isa::OpDef* Insn::def() const { return isa::op_def(opcode()); }

isa::Queue Insn::queue() const {
  const isa::OpDef* d = def();
  return d ? d->queue : isa::Queue::kCompute;
}

void throw_field_overflow(isa::Op op, const char* field) {
  const isa::OpDef* d = isa::op_def(static_cast<uint64_t>(op));
  int width = 0;
  for (int f = 0; d && f < d->num_fields; ++f)
    if (std::string(d->fields[f].name) == field) width = d->fields[f].width;
  throw Error(std::string(d ? d->name : "instruction") + "." + field + ": value does not fit " + std::to_string(width) +
              " bits");
}

namespace {

const char* kDepNames[4] = {"pop_prev", "pop_next", "push_prev", "push_next"};
const isa::FieldDef* kDepFields[4] = {&isa::kPopPrevField, &isa::kPopNextField, &isa::kPushPrevField,
                                      &isa::kPushNextField};

}  // namespace

Insn make_nop(Deps d) { return encode(isa::NopInsn{d}); }
Insn make_finish(Deps d) { return encode(isa::FinishInsn{d}); }
Insn make_load(isa::Buf buf, uint64_t spm_addr, uint64_t nwords, uint64_t dram_addr, Deps d) {
  return encode(isa::LoadInsn{static_cast<uint64_t>(buf), spm_addr, nwords, dram_addr, d});
}
Insn make_store(isa::Buf buf, uint64_t spm_addr, uint64_t nwords, uint64_t dram_addr, Deps d) {
  return encode(isa::StoreInsn{static_cast<uint64_t>(buf), spm_addr, nwords, dram_addr, d});
}

std::string disassemble(const Insn& i) {
  std::ostringstream os;
  const isa::OpDef* d = i.def();
  if (!d) {
    os << ".word 0x" << std::hex << i.w[1] << "_" << i.w[0];
    return os.str();
  }
  os << d->name;
  for (int f = 0; f < d->num_fields; ++f) {
    os << " " << d->fields[f].name << "=";
    if (std::string(d->fields[f].name) == "buf" && i.get(d->fields[f]) < isa::kNumBufs)
      os << isa::kBufNames[i.get(d->fields[f])];
    else
      os << i.get(d->fields[f]);
  }
  std::string deps;
  for (int k = 0; k < 4; ++k)
    if (i.get(*kDepFields[k])) deps += std::string(deps.empty() ? "" : " ") + kDepNames[k];
  if (!deps.empty()) os << " [" << deps << "]";
  return os.str();
}

Insn assemble(const std::string& line) {
  std::istringstream is(line);
  std::string name;
  is >> name;
  const isa::OpDef* d = nullptr;
  for (const auto& o : isa::kOps)
    if (name == o.name) d = &o;
  if (!d) throw Error("unknown mnemonic '" + name + "'");
  Insn i;
  i.set(isa::kOpcodeField, d->value);
  std::string tok;
  bool in_deps = false;
  while (is >> tok) {
    if (!tok.empty() && tok.front() == '[') {
      in_deps = true;
      tok.erase(0, 1);
    }
    bool close = !tok.empty() && tok.back() == ']';
    if (close) tok.pop_back();
    if (in_deps) {
      bool ok = false;
      for (int k = 0; k < 4; ++k)
        if (tok == kDepNames[k]) {
          i.set(*kDepFields[k], 1);
          ok = true;
        }
      if (!ok && !tok.empty()) throw Error("unknown dependency flag '" + tok + "'");
      if (close) in_deps = false;
      continue;
    }
    const auto eq = tok.find('=');
    if (eq == std::string::npos) throw Error("expected field=value, got '" + tok + "'");
    const std::string fname = tok.substr(0, eq), val = tok.substr(eq + 1);
    const isa::FieldDef* f = nullptr;
    for (int k = 0; k < d->num_fields; ++k)
      if (fname == d->fields[k].name) f = &d->fields[k];
    if (!f) throw Error(std::string(d->name) + ": unknown field '" + fname + "'");
    uint64_t v = 0;
    bool named = false;
    for (int b = 0; b < isa::kNumBufs; ++b)
      if (val == isa::kBufNames[b]) {
        v = static_cast<uint64_t>(b);
        named = true;
      }
    if (!named) {
      try {
        size_t used = 0;
        v = std::stoull(val, &used, 0);
        if (used != val.size()) throw std::invalid_argument("x");
      } catch (const std::exception&) {
        throw Error(std::string(d->name) + "." + fname + ": '" + val + "' is not a number");
      }
    }
    i.set(*f, v);
  }
  return i;
}

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

namespace {
constexpr char kProgMagic[8] = {'B', 'G', 'P', 'R', 'O', 'G', '0', '1'};
constexpr uint32_t kProgVersion = 1;

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int k = 0; k < 4; ++k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
}
void put64(std::vector<uint8_t>& b, uint64_t v) {
  for (int k = 0; k < 8; ++k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
}
uint64_t get_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= uint64_t{p[k]} << (8 * k);
  return v;
}
}  // namespace

void save_program(const std::string& path, const Program& p) {
  std::vector<uint8_t> body;
  for (const auto& i : p.insns) {
    put64(body, i.w[0]);
    put64(body, i.w[1]);
  }
  std::vector<uint8_t> out(kProgMagic, kProgMagic + 8);
  put32(out, kProgVersion);
  put32(out, static_cast<uint32_t>(p.insns.size()));
  put32(out, crc32(body.data(), body.size()));
  put32(out, 0);
  out.insert(out.end(), body.begin(), body.end());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    if (!f) throw Error(path + ": cannot write");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(path + ": cannot write");
}

Program load_program(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open program");
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (b.size() < 24) throw Error(path + ": truncated program header (" + std::to_string(b.size()) + " of 24 bytes)");
  if (std::memcmp(b.data(), kProgMagic, 8) != 0) throw Error(path + ": not a bitgrid program (bad magic)");
  const uint32_t version = static_cast<uint32_t>(get_le(b.data() + 8, 4));
  if (version != kProgVersion)
    throw Error(path + ": program version " + std::to_string(version) + " (this bitgrid reads " +
                std::to_string(kProgVersion) + ")");
  const uint64_t count = get_le(b.data() + 12, 4);
  const uint32_t crc = static_cast<uint32_t>(get_le(b.data() + 16, 4));
  const uint64_t need = 24 + count * 16;
  if (b.size() < need)
    throw Error(path + ": truncated program: header says " + std::to_string(count) + " instructions (" +
                std::to_string(need) + " bytes), file has " + std::to_string(b.size()) + " bytes");
  if (b.size() > need) throw Error(path + ": " + std::to_string(b.size() - need) + " trailing bytes after the program");
  if (crc32(b.data() + 24, count * 16) != crc) throw Error(path + ": program CRC mismatch (corrupt file)");
  Program p;
  p.insns.resize(count);
  for (uint64_t k = 0; k < count; ++k) {
    p.insns[k].w[0] = get_le(b.data() + 24 + 16 * k, 8);
    p.insns[k].w[1] = get_le(b.data() + 24 + 16 * k + 8, 8);
  }
  return p;
}

}  // namespace bitgrid
