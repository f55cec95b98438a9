#include "commands.hpp"
#include "csv.hpp"
#include "explainer.hpp"
#include "files.hpp"
#include "model.hpp"

#include <mcrise/ca_deletion.hpp>
#include <mcrise/deletion.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise::cli {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> csv_header{"image", "class", "method", "metric", "auc", "masks_used", "seconds"};

struct ImageEntry {
  std::string key;   // as written in the CSV: the name inside the folder, or the list's line
  std::string path;  // where to read it
};

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> known{".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".psd",
                                           ".pnm", ".ppm", ".pgm", ".hdr", ".pic"};
  return known.count(ext) > 0;
}

// --images: a folder (its image files, sorted by name; not recursive) or a text file with one
// path per line (relative paths are relative to the list's folder; blank lines are skipped).
std::vector<ImageEntry> list_images(const std::string& where) {
  std::error_code ec;
  if (!fs::exists(where, ec)) throw std::runtime_error("--images '" + where + "' does not exist");
  std::vector<ImageEntry> out;
  if (fs::is_directory(where, ec)) {
    for (const auto& e : fs::directory_iterator(where, ec))
      if (e.is_regular_file() && is_image_name(e.path()))
        out.push_back({e.path().filename().string(), e.path().string()});
    if (ec) throw std::runtime_error("cannot list --images folder '" + where + "': " + ec.message());
    std::sort(out.begin(), out.end(), [](const ImageEntry& a, const ImageEntry& b) { return a.key < b.key; });
    if (out.empty()) throw std::runtime_error("--images folder '" + where + "' holds no image files");
    return out;
  }
  const fs::path base = fs::path(where).parent_path();
  std::set<std::string> seen;
  for (const std::string& line : split_lines(read_text_file(where, "image list"))) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (!seen.insert(line).second) throw std::runtime_error("image list '" + where + "' names '" + line + "' twice");
    const fs::path p(line);
    out.push_back({line, (p.is_absolute() ? p : base / p).string()});
  }
  if (out.empty()) throw std::runtime_error("image list '" + where + "' names no images");
  return out;
}

int parse_class(const std::string& text, const std::string& where) {
  const bool digits = !text.empty() && text.size() <= 9 &&
                      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  if (!digits) throw std::runtime_error(where + ": class must be a non-negative integer, got '" + text + "'");
  return std::stoi(text);
}

// --labels-csv: rows image,class (an optional first row "image,class").
std::map<std::string, int> read_labels_csv(const std::string& path) {
  const auto rows = parse_csv(read_text_file(path, "labels CSV"), path);
  std::map<std::string, int> out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::string where = "labels CSV '" + path + "' row " + std::to_string(r + 1);
    if (rows[r].size() != 2) throw std::runtime_error(where + " has " + std::to_string(rows[r].size()) +
                                                      " fields; it needs image,class");
    if (r == 0 && rows[r][0] == "image" && rows[r][1] == "class") continue;
    if (!out.emplace(rows[r][0], parse_class(rows[r][1], where)).second)
      throw std::runtime_error(where + " gives image '" + rows[r][0] + "' a second class");
  }
  if (out.empty()) throw std::runtime_error("labels CSV '" + path + "' has no rows");
  return out;
}

std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

int run_evaluate(const EvaluateOptions& opt) {
  const ToolOptions& t = opt.tool;
  if (opt.metric == "ca-deletion" && t.method != "mc_rise")
    throw std::runtime_error("--metric ca-deletion needs the colour maps of --method mc_rise, got --method " +
                             t.method);
  parse_colors(t.colors);
  const ModelInput input = model_input(t);
  if (!t.input_size.empty()) parse_size(t.input_size);
  const std::vector<ImageEntry> images = list_images(opt.images);
  const std::map<std::string, int> given = opt.labels_csv.empty() ? std::map<std::string, int>{}
                                                                   : read_labels_csv(opt.labels_csv);
  for (const auto& im : images)
    if (!given.empty() && given.count(im.key) == 0)
      throw std::runtime_error("labels CSV '" + opt.labels_csv + "' has no class for image '" + im.key + "'");
  const std::string out_dir = fs::path(opt.out).parent_path().string();
  ensure_writable_dir(out_dir.empty() ? "." : out_dir);
  std::unique_ptr<Model> model = load_model(t.model, input);
  const auto size = target_size(t, *model);
  // Every image is decoded and checked before the results file is touched.
  int L = 0;
  for (const auto& im : images) {
    const Image img = load_model_image(im.path, size, t.resize, *model);
    if (L == 0) L = static_cast<int>(model_scores(*model, img).size());
  }
  for (const auto& [key, cls] : given)
    if (cls >= L)
      throw std::runtime_error("labels CSV '" + opt.labels_csv + "' gives image '" + key + "' class " +
                               std::to_string(cls) + ", out of range: the model has " + std::to_string(L) +
                               " classes (0.." + std::to_string(L - 1) + ")");

  // The rows already done (--resume), then the others, one durable line each.
  std::map<std::string, double> aucs;
  std::unique_ptr<DurableLog> log;
  std::error_code ec;
  if (opt.resume && fs::exists(opt.out, ec)) {
    std::string content;
    log = std::make_unique<DurableLog>(DurableLog::open_for_resume(opt.out, content));
    const auto rows = parse_csv(content, opt.out);
    if (rows.empty() || rows[0] != csv_header)
      throw std::runtime_error("'" + opt.out + "' is not a results file of mcrise evaluate (its first line must be " +
                               csv_line(csv_header).substr(0, csv_line(csv_header).size() - 1) + ")");
    std::set<std::string> keys;
    for (const auto& im : images) keys.insert(im.key);
    for (std::size_t r = 1; r < rows.size(); ++r) {
      const auto& row = rows[r];
      const std::string where = "'" + opt.out + "' row " + std::to_string(r + 1);
      if (row.size() != csv_header.size()) throw std::runtime_error(where + " has " + std::to_string(row.size()) +
                                                                    " fields, not " + std::to_string(csv_header.size()));
      if (row[2] != t.method || row[3] != opt.metric)
        throw std::runtime_error(where + " is " + row[2] + " / " + row[3] + ", this run is " + t.method + " / " +
                                 opt.metric + ": resume with the same options or write to another --out");
      if (keys.count(row[0]) == 0)
        throw std::runtime_error(where + " is image '" + row[0] + "', which --images does not list");
      char* end = nullptr;
      const double auc = std::strtod(row[4].c_str(), &end);
      if (row[4].empty() || *end != '\0' || !std::isfinite(auc))
        throw std::runtime_error(where + " has the AUC '" + row[4] + "', not a number");
      aucs[row[0]] = auc;
    }
  } else {
    log = std::make_unique<DurableLog>(DurableLog::create(opt.out, csv_line(csv_header)));
  }

  const bool progress = stderr_is_terminal();
  std::size_t skipped = 0;
  for (const auto& im : images) {
    if (aucs.count(im.key)) {
      ++skipped;
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const Image img = load_model_image(im.path, size, t.resize, *model);
    const int cls = given.empty() ? top_class(model_scores(*model, img)) : given.at(im.key);
    const Explanation e = explain_image(*model, img, {cls}, t, progress);
    ModelRef ref{model.get()};
    std::unique_ptr<ProgressBar> bar = progress ? std::make_unique<ProgressBar>(std::cerr) : nullptr;
    auto report = [&](const Progress& p) {
      if (bar) (*bar)(p);
    };
    double auc = 0.0;
    if (opt.metric == "ca-deletion") {
      const std::vector<Fill> colors = make_fills(e.colors, img);
      CaDeletionOptions o;
      o.batch_size = t.batch;
      o.layout = batch_layout;
      auc = ca_deletion(ref, img, e.maps[0], colors, cls, o, report).auc;
    } else if (opt.metric == "deletion") {
      DeletionOptions o;
      o.batch_size = t.batch;
      o.layout = batch_layout;
      auc = deletion(ref, img, importance_map(e, 0), cls, o, report).auc;
    } else {
      InsertionOptions o;
      o.batch_size = t.batch;
      o.layout = batch_layout;
      auc = insertion(ref, img, importance_map(e, 0), cls, o, report).auc;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char sec[32];
    std::snprintf(sec, sizeof sec, "%.3f", seconds);
    log->append(csv_line({im.key, std::to_string(cls), t.method, opt.metric, exact(auc), std::to_string(e.masks_used),
                          sec}));
    aucs[im.key] = auc;
    std::printf("%s: class %d, %s AUC %.4f (%s s)\n", im.key.c_str(), cls, opt.metric.c_str(), auc, sec);
    std::fflush(stdout);
  }

  std::vector<double> values;
  for (const auto& im : images) values.push_back(aucs.at(im.key));
  const MetricSummary s = summarize_metric(values);
  if (skipped > 0) std::printf("%zu images were already in %s\n", skipped, opt.out.c_str());
  if (s.count > 1)
    std::printf("%s AUC of %s over %zu images: %.4f ± %.4f (mean ± standard error)\n", opt.metric.c_str(),
                t.method.c_str(), s.count, s.mean, s.standard_error);
  else
    std::printf("%s AUC of %s over 1 image: %.4f (no standard error from one image)\n", opt.metric.c_str(),
                t.method.c_str(), s.mean);
  return 0;
}

}  // namespace mcrise::cli
