#include "commands.hpp"
#include "explainer.hpp"
#include "files.hpp"
#include "model.hpp"

#include <mcrise/io.hpp>
#include <mcrise/npy.hpp>
#include <mcrise/render.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace mcrise::cli {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

namespace {

std::string class_label(const std::vector<std::string>& labels, int cls) {
  return cls >= 0 && static_cast<std::size_t>(cls) < labels.size() ? labels[static_cast<std::size_t>(cls)]
                                                                     : std::to_string(cls);
}

std::string score_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

// Small inputs (a 48 x 48 model) are magnified by the largest whole factor that keeps the longest
// side at most 256 pixels, so that the overlay can be looked at; each input pixel stays a square block.
Picture magnified(const Picture& pic) {
  const int k = std::max(1, 256 / std::max(pic.height(), pic.width()));
  return k == 1 ? pic : resize_nearest(pic, pic.height() * k, pic.width() * k);
}

Json options_json(const ExplainOptions& opt, const std::vector<NamedColor>& colors) {
  const ToolOptions& t = opt.tool;
  Json o;
  o["model"] = t.model;
  o["method"] = t.method;
  o["class"] = opt.cls ? Json(*opt.cls) : Json(nullptr);
  o["top"] = opt.top ? Json(*opt.top) : Json(nullptr);
  o["masks"] = t.masks;
  o["target_se"] = t.target_se;
  Json cs = Json::array();
  for (const auto& c : colors) cs.push_back(c.name);
  o["colors"] = t.method == "mc_rise" ? cs : Json(nullptr);
  o["input_size"] = t.input_size.empty() ? Json(nullptr) : Json(t.input_size);
  o["resize"] = t.resize;
  o["mean"] = t.mean;
  o["std"] = t.std;
  o["bgr"] = t.bgr;
  o["softmax"] = t.softmax;
  o["labels"] = opt.labels.empty() ? Json(nullptr) : Json(opt.labels);
  o["out"] = opt.out;
  o["threads"] = t.threads;
  o["batch"] = t.batch;
  o["seed"] = t.seed;
  return o;
}

// The figure: mc_rise, one row per class with the K colour maps (paper Fig. 1 / Fig. 6); rise and
// debiased_rise, one row per class with the image and the map.
Picture make_figure(const Image& img, const Explanation& e, const std::vector<std::string>& labels,
                    const std::string& title, const std::string& method) {
  FigureOptions fo;
  fo.title = title;
  std::vector<FigureRow> rows;
  std::vector<Color> colors;
  // A blur fill's swatch shows its mean colour, labelled with its name.
  const std::vector<Fill> fills = make_fills(e.colors, img);
  for (std::size_t k = 0; k < fills.size(); ++k) {
    colors.push_back(fills[k].representative(img.channels()));
    fo.color_names.push_back(e.colors[k].name);
  }
  for (std::size_t j = 0; j < e.classes.size(); ++j) {
    const int c = e.classes[j];
    FigureRow row;
    row.label = (labels.empty() ? "class " : "") + class_label(labels, c) + " " + score_text(e.scores(c));
    if (method == "mc_rise")
      row.color_maps = e.maps[j];
    else
      row.rise_map = e.maps[j][0];
    rows.push_back(std::move(row));
  }
  if (method != "mc_rise") {
    fo.rise_label = method == "rise" ? "RISE" : "debiased RISE";
    fo.rise_colormap = method == "rise" ? Colormap::jet : Colormap::diverging;
  }
  return class_comparison_figure(img, rows, colors, fo);
}

}  // namespace

int run_explain(const ExplainOptions& opt) {
  const ToolOptions& t = opt.tool;
  // Everything that can be checked without running the method is checked before any output.
  const std::vector<NamedColor> colors = parse_colors(t.colors);
  const ModelInput input = model_input(t);
  if (!t.input_size.empty()) parse_size(t.input_size);
  if (opt.cls && *opt.cls < 0) throw std::runtime_error("--class must be >= 0, got " + std::to_string(*opt.cls));
  if (opt.top && *opt.top < 1) throw std::runtime_error("--top must be >= 1, got " + std::to_string(*opt.top));
  const std::vector<std::string> labels = opt.labels.empty() ? std::vector<std::string>{} : read_labels(opt.labels);
  std::map<std::string, std::string> stems;
  for (const auto& path : opt.images) {
    const std::string stem = fs::path(path).stem().string();
    const auto [it, fresh] = stems.emplace(stem, path);
    if (!fresh)
      throw std::runtime_error("images '" + it->second + "' and '" + path + "' would write the same outputs '" +
                               stem + ".*': rename one or explain them in two runs");
  }
  ensure_writable_dir(opt.out);
  std::unique_ptr<Model> model = load_model(t.model, input);
  const auto size = target_size(t, *model);

  struct Item {
    std::string path;
    std::pair<int, int> original;
    Image image;
    std::vector<int> classes;
  };
  std::vector<Item> items;
  for (const auto& path : opt.images) {
    Item it;
    it.path = path;
    it.image = load_model_image(path, size, t.resize, *model, &it.original);
    const Eigen::VectorXd scores = model_scores(*model, it.image);
    const int L = static_cast<int>(scores.size());
    if (!labels.empty() && static_cast<int>(labels.size()) != L)
      throw std::runtime_error("labels file '" + opt.labels + "' has " + std::to_string(labels.size()) +
                               " labels but the model has " + std::to_string(L) + " classes");
    if (opt.cls && *opt.cls >= L)
      throw std::runtime_error("--class " + std::to_string(*opt.cls) + " is out of range: the model has " +
                               std::to_string(L) + " classes (0.." + std::to_string(L - 1) + ")");
    if (opt.top && *opt.top > L)
      throw std::runtime_error("--top " + std::to_string(*opt.top) + " is more than the model's " +
                               std::to_string(L) + " classes");
    if (opt.cls) {
      it.classes = {*opt.cls};
    } else {
      // The K best classes, best first (ties: the lower index).
      std::vector<int> order(static_cast<std::size_t>(L));
      for (int i = 0; i < L; ++i) order[static_cast<std::size_t>(i)] = i;
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores(a) > scores(b); });
      order.resize(static_cast<std::size_t>(opt.top.value_or(1)));
      it.classes = order;
    }
    items.push_back(std::move(it));
  }

  const bool progress = stderr_is_terminal();
  for (const Item& it : items) {
    const auto t0 = std::chrono::steady_clock::now();
    const Explanation e = explain_image(*model, it.image, it.classes, t, progress);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string stem = fs::path(it.path).stem().string();
    const fs::path dir(opt.out);

    StagedFiles staged;
    Json summary;
    summary["image"] = it.path;
    summary["image_size"] = {it.original.first, it.original.second};
    summary["input_size"] = {it.image.height(), it.image.width()};
    summary["method"] = t.method;
    const int first = e.classes.front();
    summary["class"] = first;
    summary["label"] = labels.empty() ? Json(nullptr) : Json(class_label(labels, first));
    summary["score"] = e.scores(first);
    summary["masks_used"] = e.masks_used;
    summary["relative_standard_error"] = e.relative_standard_error;
    summary["seconds"] = seconds;
    summary["sampler"] = e.sampler;
    const std::string figure_name = stem + ".figure.png";
    summary["figure"] = figure_name;
    Json targets = Json::array();
    for (std::size_t j = 0; j < e.classes.size(); ++j) {
      const int c = e.classes[j];
      const std::string base = stem + ".c" + std::to_string(c);
      Json tj;
      tj["class"] = c;
      tj["label"] = labels.empty() ? Json(nullptr) : Json(class_label(labels, c));
      tj["score"] = e.scores(c);
      tj["relative_standard_error"] =
          j < e.class_relative_se.size() ? Json(e.class_relative_se[j]) : Json(nullptr);
      tj["maps"] = base + ".maps.npy";
      tj["overlay"] = base + ".overlay.png";
      if (t.method == "mc_rise")
        write_npy(staged.stage((dir / (base + ".maps.npy")).string()), e.maps[j]);
      else
        write_npy(staged.stage((dir / (base + ".maps.npy")).string()), e.maps[j][0]);
      OverlayOptions oo;
      oo.colormap = t.method == "rise" ? Colormap::jet : Colormap::diverging;
      save_png(staged.stage((dir / (base + ".overlay.png")).string()), magnified(overlay(it.image, importance_map(e, j), oo)));
      targets.push_back(tj);
    }
    summary["targets"] = targets;
    summary["options"] = options_json(opt, colors);
    const std::string title = fs::path(it.path).filename().string() + ": " + t.method + ", " +
                              std::to_string(e.masks_used) + " masks";
    save_png(staged.stage((dir / figure_name).string()), make_figure(it.image, e, labels, title, t.method));
    const std::string json_path = (dir / (stem + ".json")).string();
    {
      const std::string tmp = staged.stage(json_path);
      std::FILE* f = std::fopen(tmp.c_str(), "wb");
      if (f == nullptr) throw std::runtime_error("cannot write '" + json_path + "'");
      const std::string text = summary.dump(2) + "\n";
      const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
      if (std::fclose(f) != 0 || !ok) throw std::runtime_error("cannot write '" + json_path + "' (disk full?)");
    }
    staged.commit();
    const std::string named = labels.empty() ? std::string() : " (" + class_label(labels, first) + ")";
    std::printf("%s: class %d%s, score %s, %lld masks, %.2f s -> %s\n", it.path.c_str(), first, named.c_str(),
                score_text(e.scores(first)).c_str(),
                static_cast<long long>(e.masks_used), seconds, json_path.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace mcrise::cli
