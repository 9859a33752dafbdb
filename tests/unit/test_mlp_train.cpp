// The digits reader (gzip CSV) on good and bad files, the seeded stratified split and the float MLP trainer:
// deterministic for a seed, and >= 95% test accuracy on the real UCI digits. The digits file is a declared
// dependency (python3-sklearn in scripts/setup.sh): these tests require it and do not skip.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "bitgrid/error.h"
#include "bitgrid/mlp_train.h"
#include "unit_util.h"

using namespace bitgrid;
namespace fs = std::filesystem;

namespace {
using bgtest::error_of;
using bgtest::has;

std::string tmp(const std::string& name) { return ::testing::TempDir() + "bitgrid_mlp_" + name; }

// Writes `text` gzip-compressed with zlib.
std::string write_gz(const std::string& name, const std::string& text) {
  const std::string p = tmp(name);
  gzFile f = gzopen(p.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
  return p;
}

// One CSV line: 64 pixels (i + k) % 17, then the label.
std::string line(int k, const std::string& label) {
  std::string s;
  for (int i = 0; i < 64; ++i) s += std::to_string((i + k) % 17) + ",";
  return s + label + "\n";
}

}  // namespace

TEST(Digits, ReadsSmallFile) {
  const std::string p = write_gz("ok.csv.gz", line(0, "3") + line(5, "9"));
  const Dataset d = read_digits(p);
  EXPECT_EQ(d.n, 2u);
  EXPECT_EQ(d.dim, 64u);
  EXPECT_EQ(d.classes, 10u);
  EXPECT_EQ(d.y, (std::vector<int>{3, 9}));
  EXPECT_FLOAT_EQ(d.x[1], 1.0f / 16);   // pixel 1 of line 0: 1 / 16
  EXPECT_FLOAT_EQ(d.x[64 + 11], 1.0f);  // pixel 11 of line 1: 16 / 16
  EXPECT_FLOAT_EQ(d.x[64 + 12], 0.0f);  // 17 % 17
}

TEST(Digits, ReaderErrorsNameFileAndLine) {
  EXPECT_TRUE(has(error_of([] { read_digits(tmp("none.csv.gz")); }), "none.csv.gz: file not found"));
  // A gzip stream cut short.
  const std::string full = write_gz("full.csv.gz", line(0, "1") + line(1, "2") + line(2, "3"));
  std::ifstream in(full, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = tmp("cut.csv.gz");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 12);
  const std::string e = error_of([&] { read_digits(cut); });
  EXPECT_TRUE(has(e, "cut.csv.gz: truncated gzip data")) << e;
  // Wrong column count, label out of range, a non-number, a pixel out of range, no samples.
  const std::string cols = write_gz("cols.csv.gz", line(0, "1") + "1,2,3\n");
  EXPECT_TRUE(has(error_of([&] { read_digits(cols); }), "cols.csv.gz: line 2: 3 columns, expected 65"));
  const std::string extra = write_gz("extra.csv.gz", line(0, "1,4"));
  EXPECT_TRUE(has(error_of([&] { read_digits(extra); }), "extra.csv.gz: line 1: 66 columns, expected 65"));
  const std::string lab = write_gz("lab.csv.gz", line(0, "1") + line(1, "2") + line(2, "10"));
  EXPECT_TRUE(has(error_of([&] { read_digits(lab); }), "lab.csv.gz: line 3: label 10 is not an integer in 0..9"));
  const std::string neg = write_gz("neg.csv.gz", line(0, "-1"));
  EXPECT_TRUE(has(error_of([&] { read_digits(neg); }), "neg.csv.gz: line 1: label -1"));
  const std::string frac = write_gz("frac.csv.gz", line(0, "2.5"));
  EXPECT_TRUE(has(error_of([&] { read_digits(frac); }), "frac.csv.gz: line 1: label 2.5"));
  const std::string nan = write_gz("nan.csv.gz", "x" + line(0, "1"));
  EXPECT_TRUE(has(error_of([&] { read_digits(nan); }), "nan.csv.gz: line 1: column 1: 'x0' is not a number"));
  const std::string pix = write_gz("pix.csv.gz", "17" + line(0, "1").substr(1));
  EXPECT_TRUE(has(error_of([&] { read_digits(pix); }), "pix.csv.gz: line 1: column 1: pixel 17 outside 0..16"));
  const std::string empty = write_gz("empty.csv.gz", "");
  EXPECT_TRUE(has(error_of([&] { read_digits(empty); }), "empty.csv.gz: no samples"));
}

TEST(Digits, RealFileAndStratifiedSplit) {
  const Dataset d = read_digits(kDigitsPath);
  ASSERT_EQ(d.n, 1797u);
  std::vector<size_t> per_class(10, 0);
  for (int y : d.y) ++per_class[static_cast<size_t>(y)];
  const Split s = split_dataset(d, 0.2, 1);
  EXPECT_EQ(s.train.n + s.test.n, d.n);
  std::vector<size_t> test_class(10, 0);
  for (int y : s.test.y) ++test_class[static_cast<size_t>(y)];
  for (size_t c = 0; c < 10; ++c)
    EXPECT_EQ(test_class[c], static_cast<size_t>(std::llround(per_class[c] * 0.2))) << "class " << c;
  const Split again = split_dataset(d, 0.2, 1), other = split_dataset(d, 0.2, 2);
  EXPECT_EQ(again.test.x, s.test.x);
  EXPECT_NE(other.test.x, s.test.x);
  EXPECT_TRUE(has(error_of([&] { split_dataset(d, 1.0, 1); }), "test_fraction 1 is not in (0, 1)"));
}

TEST(Mlp, DeterministicForASeed) {
  const Split s = split_dataset(read_digits(kDigitsPath), 0.2, 1);
  TrainOptions o;
  o.epochs = 3;
  const Mlp a = train_mlp(s.train, {64, 32, 10}, o), b = train_mlp(s.train, {64, 32, 10}, o);
  o.seed = 2;
  const Mlp c = train_mlp(s.train, {64, 32, 10}, o);
  ASSERT_EQ(a.layers.size(), 2u);
  for (size_t l = 0; l < 2; ++l) {
    EXPECT_EQ(a.layers[l].w, b.layers[l].w);
    EXPECT_EQ(a.layers[l].b, b.layers[l].b);
    EXPECT_NE(a.layers[l].w, c.layers[l].w);
  }
  EXPECT_EQ(a.layers[0].w.size(), 32u * 64);
  EXPECT_TRUE(has(error_of([&] { train_mlp(s.train, {32, 10}, o); }), "the first layer takes 32 features"));
  EXPECT_TRUE(has(error_of([&] { train_mlp(s.train, {64, 12}, o); }), "gives 12 outputs, the dataset has 10"));
}

TEST(Mlp, FloatAccuracyOnDigits) {
  const Split s = split_dataset(read_digits(kDigitsPath), 0.2, 1);
  const Mlp m = train_mlp(s.train, {64, 64, 10}, TrainOptions{});  // 60 epochs, Adam 1e-3, batch 32
  const double acc = accuracy(m.forward(s.test.x, s.test.n), 10, s.test.y);
  EXPECT_GE(acc, 0.95);
  EXPECT_GE(accuracy(m.forward(s.train.x, s.train.n), 10, s.train.y), acc - 0.01);
}
