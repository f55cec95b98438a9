#include "commands.hpp"
#include "csv.hpp"
#include "explainer.hpp"
#include "files.hpp"
#include "model.hpp"

#include <mcrise/ca_deletion.hpp>
#include <mcrise/deletion.hpp>
#if MCRISE_CLI_WITH_MPI
#include <mcrise/mpi/split_rows.hpp>
#endif

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
#include <utility>
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

namespace {

// What every run needs before its first image: the images, their classes, the model.
struct Setup {
  std::vector<ImageEntry> images;
  std::map<std::string, int> given;  // --labels-csv; empty: the model's top class
  std::unique_ptr<Model> model;
  std::pair<int, int> size{0, 0};
};

Setup prepare(const EvaluateOptions& opt) {
  const ToolOptions& t = opt.tool;
  if (opt.metric == "ca-deletion" && t.method != "mc_rise")
    throw std::runtime_error("--metric ca-deletion needs the colour maps of --method mc_rise, got --method " +
                             t.method);
  parse_colors(t.colors);
  const ModelInput input = model_input(t);
  if (!t.input_size.empty()) parse_size(t.input_size);
  Setup s;
  s.images = list_images(opt.images);
  s.given = opt.labels_csv.empty() ? std::map<std::string, int>{} : read_labels_csv(opt.labels_csv);
  for (const auto& im : s.images)
    if (!s.given.empty() && s.given.count(im.key) == 0)
      throw std::runtime_error("labels CSV '" + opt.labels_csv + "' has no class for image '" + im.key + "'");
  const std::string out_dir = fs::path(opt.out).parent_path().string();
  ensure_writable_dir(out_dir.empty() ? "." : out_dir);
  s.model = load_model(t.model, input);
  s.size = target_size(t, *s.model);
  // Every image is decoded and checked before the results file is touched.
  int L = 0;
  for (const auto& im : s.images) {
    const Image img = load_model_image(im.path, s.size, t.resize, *s.model);
    if (L == 0) L = static_cast<int>(model_scores(*s.model, img).size());
  }
  for (const auto& [key, cls] : s.given)
    if (cls >= L)
      throw std::runtime_error("labels CSV '" + opt.labels_csv + "' gives image '" + key + "' class " +
                               std::to_string(cls) + ", out of range: the model has " + std::to_string(L) +
                               " classes (0.." + std::to_string(L - 1) + ")");
  return s;
}

// The results file: the rows already done (--resume, their AUCs by image) and the log the others
// are appended to, one durable line each.
std::unique_ptr<DurableLog> open_results(const EvaluateOptions& opt, const Setup& s,
                                         std::map<std::string, double>& aucs) {
  const ToolOptions& t = opt.tool;
  std::error_code ec;
  if (!(opt.resume && fs::exists(opt.out, ec)))
    return std::make_unique<DurableLog>(DurableLog::create(opt.out, csv_line(csv_header)));
  std::string content;
  auto log = std::make_unique<DurableLog>(DurableLog::open_for_resume(opt.out, content));
  const auto rows = parse_csv(content, opt.out);
  if (rows.empty() || rows[0] != csv_header)
    throw std::runtime_error("'" + opt.out + "' is not a results file of mcrise evaluate (its first line must be " +
                             csv_line(csv_header).substr(0, csv_line(csv_header).size() - 1) + ")");
  std::set<std::string> keys;
  for (const auto& im : s.images) keys.insert(im.key);
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
  return log;
}

// The CSV fields of one image: its map, the metric's AUC, the time taken.
std::vector<std::string> evaluate_image(const EvaluateOptions& opt, const Setup& s, const ImageEntry& im,
                                        bool progress) {
  const ToolOptions& t = opt.tool;
  const auto t0 = std::chrono::steady_clock::now();
  const Image img = load_model_image(im.path, s.size, t.resize, *s.model);
  const int cls = s.given.empty() ? top_class(model_scores(*s.model, img)) : s.given.at(im.key);
  const Explanation e = explain_image(*s.model, img, {cls}, t, progress);
  ModelRef ref{s.model.get()};
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
  return {im.key, std::to_string(cls), t.method, opt.metric, exact(auc), std::to_string(e.masks_used), sec};
}

// A row in the log, its AUC kept, one line on stdout.
void record(DurableLog& log, const std::vector<std::string>& row, std::map<std::string, double>& aucs) {
  log.append(csv_line(row));
  aucs[row[0]] = std::strtod(row[4].c_str(), nullptr);
  std::printf("%s: class %s, %s AUC %.4f (%s s)\n", row[0].c_str(), row[1].c_str(), row[3].c_str(), aucs[row[0]],
              row[6].c_str());
  std::fflush(stdout);
}

void print_summary(const EvaluateOptions& opt, const Setup& s, const std::map<std::string, double>& aucs,
                   std::size_t skipped) {
  std::vector<double> values;
  for (const auto& im : s.images) values.push_back(aucs.at(im.key));
  const MetricSummary m = summarize_metric(values);
  if (skipped > 0) std::printf("%zu images were already in %s\n", skipped, opt.out.c_str());
  if (m.count > 1)
    std::printf("%s AUC of %s over %zu images: %.4f ± %.4f (mean ± standard error)\n", opt.metric.c_str(),
                opt.tool.method.c_str(), m.count, m.mean, m.standard_error);
  else
    std::printf("%s AUC of %s over 1 image: %.4f (no standard error from one image)\n", opt.metric.c_str(),
                opt.tool.method.c_str(), m.mean);
}

#if MCRISE_CLI_WITH_MPI
// --mpi: the images over the ranks of MPI_COMM_WORLD (mcrise::mpi::split_rows); rank 0 alone
// touches the results file and prints. Every error ends every rank with the message.
int run_evaluate_mpi(const EvaluateOptions& opt) {
  struct Session {
    bool mine = false;
    Session() {
      int up = 0;
      MPI_Initialized(&up);
      if (!up) mine = MPI_Init(nullptr, nullptr) == MPI_SUCCESS;
    }
    ~Session() {
      if (mine) MPI_Finalize();
    }
  } session;
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // srun without the MPI plugin Open MPI needs starts every task as a job of one rank: each would
  // then write the whole results file.
  const char* tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  if (size == 1 && tasks != nullptr && std::atoi(tasks) > 1)
    throw std::runtime_error(std::string("--mpi: srun started ") + tasks +
                             " tasks, but MPI sees one rank in each: start them with srun --mpi=pmix (srun --mpi=list "
                             "shows the choices)");
  Setup s;
  std::map<std::string, double> aucs;
  std::unique_ptr<DurableLog> log;
  std::vector<long long> todo;  // the images still missing, by number
  mcrise::mpi::together(
      [&] {
        s = prepare(opt);
        if (rank != 0) return;
        log = open_results(opt, s, aucs);
        for (std::size_t i = 0; i < s.images.size(); ++i)
          if (aucs.count(s.images[i].key) == 0) todo.push_back(static_cast<long long>(i));
      },
      MPI_COMM_WORLD, "evaluate");
  long long n = static_cast<long long>(todo.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  todo.resize(static_cast<std::size_t>(n));
  MPI_Bcast(todo.data(), static_cast<int>(n), MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  mcrise::mpi::split_rows(
      n,
      [&](std::int64_t i) {
        return csv_line(evaluate_image(opt, s, s.images[static_cast<std::size_t>(todo[static_cast<std::size_t>(i)])],
                                       false));
      },
      [&](std::int64_t, const std::string& line) { record(*log, parse_csv(line, "a rank's row")[0], aucs); });
  if (rank == 0) print_summary(opt, s, aucs, s.images.size() - todo.size());
  return 0;
}
#endif

}  // namespace

int run_evaluate(const EvaluateOptions& opt) {
  if (opt.mpi) {
#if MCRISE_CLI_WITH_MPI
    return run_evaluate_mpi(opt);
#else
    throw std::runtime_error("--mpi: this mcrise was built without MPI (install libopenmpi-dev and rebuild)");
#endif
  }
  const Setup s = prepare(opt);
  std::map<std::string, double> aucs;
  const std::unique_ptr<DurableLog> log = open_results(opt, s, aucs);
  const bool progress = stderr_is_terminal();
  std::size_t skipped = 0;
  for (const auto& im : s.images) {
    if (aucs.count(im.key)) {
      ++skipped;
      continue;
    }
    record(*log, evaluate_image(opt, s, im, progress), aucs);
  }
  print_summary(opt, s, aucs, skipped);
  return 0;
}

}  // namespace mcrise::cli
