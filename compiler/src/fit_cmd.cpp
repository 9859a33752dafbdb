// `bitgrid fit`: trains a config's hash grid + MLP in float on the CPU to fit a PNG image and exports the
// parameters (the file the accelerator's image workload reads instead of refitting).
#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "bitgrid/datafile.h"
#include "bitgrid/error.h"
#include "bitgrid/field_fit.h"
#include "bitgrid/hashgrid_layer.h"
#include "bitgrid/job.h"
#include "bitgrid/progress.h"
#include "cli.h"

namespace bitgrid::cli {

namespace {

// The hashgrid layer and the linear layers after it (the MLP) of the config's model graph.
FieldModel field_of(const YAML::Node& root, const std::string& path, const std::string& name, uint64_t seed) {
  const HashgridLayer h = find_hashgrid_layer(root, path, name);
  const YAML::Node layers = root["workload"]["layers"];
  std::vector<FieldLayer> mlp;
  size_t prev = h.grid.out_features();
  for (size_t i = h.index + 1; i < layers.size(); ++i) {
    const YAML::Node n = layers[i];
    const std::string w = path + ": workload.layers[" + std::to_string(i) + "]";
    if (n["type"] && get_string(n["type"], w + ".type") != "linear") break;
    check_keys(n, w, {"name", "type", "in", "out", "dtype", "group", "bias", "relu", "out32", "input"});
    FieldLayer l;
    l.name = n["name"] ? get_string(n["name"], w + ".name") : "layer" + std::to_string(i);
    if (!n["in"] || !n["out"]) throw Error(w + ": in and out are required");
    l.in = get_count(n["in"], w + ".in", 1, 1u << 16);
    l.out = get_count(n["out"], w + ".out", 1, 1u << 16);
    l.relu = n["relu"] && get_bool(n["relu"], w + ".relu");
    if (l.in != prev)
      throw Error(w + ".in: " + std::to_string(l.in) + ", but " +
                  (mlp.empty() ? "the hashgrid layer '" + h.name + "' gives levels x features = "
                               : "layer '" + mlp.back().name + "' gives ") +
                  std::to_string(prev));
    prev = l.out;
    mlp.push_back(l);
  }
  if (mlp.empty()) throw Error(path + ": workload.layers: no linear layers after the hashgrid layer (the MLP)");
  return make_field(h.name, h.grid, mlp, seed);
}

}  // namespace

int cmd_fit(const std::string& image, const std::string& config, const std::vector<std::string>& sets,
            const std::string& layer, const std::string& out, const FitOptions& opt, const std::string& png,
            const std::string& log, bool quiet) {
  const YAML::Node root = load_root(config, sets);
  FieldModel m = field_of(root, config, layer, opt.seed);
  const Image img = read_png(image);
  if (m.grid.dims != 2)
    throw Error(config + ": the hashgrid layer '" + m.grid_name + "' has dims " + std::to_string(m.grid.dims) +
                ", an image needs 2");
  if (m.mlp.back().out != img.channels)
    throw Error(config + ": the last layer '" + m.mlp.back().name + "' has out " + std::to_string(m.mlp.back().out) +
                ", the image " + image + " has " + std::to_string(img.channels) + " channels");
  const bool by_steps = opt.steps > 0;
  Progress bar("fit", by_steps ? double(opt.steps) : opt.seconds, quiet, false, by_steps ? " steps" : " s");
  const FitReport rep = fit_field(m, img, opt, [&](size_t step, double t, double p) {
    const std::string note = fmt::format("step {}", step) + (std::isnan(p) ? "" : fmt::format(", PSNR {:.2f} dB", p));
    bar.update(by_steps ? double(step) : t, note);
  });
  bar.finish();
  // Every output only after the fit: an error leaves nothing behind.
  write_field(out, m);
  if (!png.empty()) write_png(png, render(m, img.width, img.height));
  if (!log.empty()) {
    std::string csv = "step,seconds,psnr_db\n";
    for (const auto& c : rep.curve) csv += fmt::format("{},{:.3f},{:.4f}\n", c.step, c.seconds, c.psnr);
    write_text(log, csv);
  }
  if (!quiet)
    fmt::print(
        "fit {} ({} x {}, {} channel{}): {} steps of {} pixels in {:.1f} s, PSNR {:.2f} dB (float model) -> {}{}\n",
        image, img.width, img.height, img.channels, img.channels == 1 ? "" : "s", rep.steps, opt.batch, rep.seconds,
        rep.psnr, out, png.empty() ? "" : ", " + png);
  return 0;
}

}  // namespace bitgrid::cli
