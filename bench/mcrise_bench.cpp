// mcrise_bench: throughput and peak memory of the estimators and the metrics
// with a trivial model, so that every second measured is the library's own.
//
// Every configuration runs in a fresh child process (fork), so the peak RSS
// (VmHWM from /proc/self/status) is that configuration's alone; each is
// repeated --repeat times and the median rate is printed as a Markdown table.
//
//   mcrise_bench                         # the default table, < 1 minute on 2 cores
//   mcrise_bench --size 224 --masks 8000 --threads 2 --classes 1 --colors 5 --method mc_rise
//   mcrise_bench --memory                # peak RSS at N = 1,000 and N = 64,000
#include <mcrise/ca_deletion.hpp>
#include <mcrise/deletion.hpp>
#include <mcrise/detail/thread_pool.hpp>
#include <mcrise/mc_rise.hpp>
#include <mcrise/rise.hpp>

#include <Eigen/Core>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// A trivial batch model: L scores per image, each one pixel value, so the
// model reads its input (the work cannot be optimised away) but costs ~nothing.
// The time spent inside it is measured so the table can show the overhead.
struct TrivialModel {
  int classes = 1;
  double busy_us = 0.0;  // simulated model latency per image (the thread sleeps, like a GPU call), --model-us
  double seconds = 0.0;
  Eigen::MatrixXf out;
  const Eigen::MatrixXf& operator()(const mcrise::ImageBatch& b) {
    const auto t0 = Clock::now();
    out.resize(b.size(), classes);
    const std::size_t n = b.image_floats();
    for (int i = 0; i < b.size(); ++i) {
      const float* p = b.image_data(i);
      for (int j = 0; j < classes; ++j) out(i, j) = p[(static_cast<std::size_t>(j) * 7919u) % n];
    }
    if (busy_us > 0)  // like a GPU: the calling thread waits, the CPU is free
      std::this_thread::sleep_for(std::chrono::duration<double, std::micro>(busy_us * b.size()));
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    return out;
  }
};

struct Config {
  std::string method = "mc_rise";
  int size = 224;
  int colors = 5;
  std::int64_t masks = 8000;
  int threads = 2;
  int classes = 1;  // L, the model's number of scores
  int targets = 1;  // target classes whose maps are computed (0 .. targets-1)
  int batch = 64;
  int grid = 8;
  double model_us = 0.0;
  int se_groups = 16;  // the library's default
  bool on_demand = false;  // maps_on_demand
  int look = 0;            // with on_demand: maps asked for after the run (classes 0 .. look-1), timed
};

struct Result {
  double rate = 0.0;        // masks/s (estimators) or step images/s (metrics)
  double model_share = 0.0; // fraction of the wall time spent inside the model
  double rss_mb = 0.0;      // VmHWM of the child, MiB
  double seconds = 0.0;
  double floor_rate = 0.0;  // estimators: perturb_floor's images/s with the same size, N, batch and threads
};

double vm_hwm_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return -1.0;
}

mcrise::Image bench_image(int size) {
  mcrise::Image img(size, size, 3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c) img(y, x, c) = static_cast<float>(((x * 3 + y * 5 + c * 11) % 97) / 96.0);
  return img;
}

bool is_estimator(const std::string& m) { return m == "rise" || m == "debiased_rise" || m == "mc_rise"; }

bool is_metric(const std::string& m) {
  return m == "deletion" || m == "deletion_warm" || m == "deletion_reuse" || m == "ca_deletion" || m == "copy_floor";
}

// The least any caller of the model must do for `count` images of img's size: a fresh batch buffer,
// each image written into it once, the model call. copy_floor (affine = false, one thread): a copy of
// the image, the floor of a metric. perturb_floor (affine = true, `threads` threads, the batch split by
// images like the drivers'): out = img·a + b with a, b per image, the perturber's work shape
// (H x W x C floats read, the same written), the floor of rise / debiased_rise / mc_rise.
double write_floor(const mcrise::Image& img, TrivialModel& model, std::int64_t count, int batch_size, int threads,
                   bool affine) {
  // As the drivers and the metrics: perturbed images overwrite a batch that is not cleared first,
  // step images are copied into a cleared one.
  mcrise::ImageBatch batch;
  const int first = static_cast<int>(std::min<std::int64_t>(batch_size, count));
  if (affine)
    batch.reshape_for_overwrite(first, img.height(), img.width(), img.channels(), mcrise::Layout::HWC);
  else
    batch.reshape(first, img.height(), img.width(), img.channels(), mcrise::Layout::HWC);
  mcrise::detail::ThreadPool pool(threads);
  double units = 0;
  for (std::int64_t done = 0; done < count; done += batch.size()) {
    batch.resize(static_cast<int>(std::min<std::int64_t>(batch_size, count - done)));
    if (!affine) {
      for (int b = 0; b < batch.size(); ++b) mcrise::detail::copy_into_batch(img, batch, b);
    } else {
      pool.parallel_for(batch.size(), [&](int b, int) {
        const auto n = static_cast<std::uint64_t>(done + b);
        const float a = 0.25f + static_cast<float>(n % 7) / 8.0f, c = static_cast<float>(n % 5) / 8.0f;
        const float* __restrict src = img.data();
        float* __restrict out = batch.image_data(b);
        for (std::size_t i = 0, e = img.size(); i < e; ++i) out[i] = src[i] * a + c;
      });
    }
    units += static_cast<double>(model(batch).rows());
  }
  return units;
}

// Runs one configuration in this process.
Result run_once(const Config& cfg) {
  const auto img = bench_image(cfg.size);
  TrivialModel model;
  model.classes = cfg.classes;
  model.busy_us = cfg.model_us;
  Result r;
  auto t0 = Clock::now();
  double units = 0;
  if (cfg.method == "rise" || cfg.method == "debiased_rise") {
    mcrise::RiseOptions o;
    o.n_masks = cfg.masks;
    o.threads = cfg.threads;
    o.batch_size = cfg.batch;
    o.grid_h = o.grid_w = cfg.grid;
    o.se_groups = cfg.se_groups;
    o.classes.clear();
    for (int j = 0; j < cfg.targets; ++j) o.classes.push_back(j);
    o.maps_on_demand = cfg.on_demand;
    auto res = cfg.method == "rise" ? mcrise::rise(model, img, o) : mcrise::debiased_rise(model, img, o);
    double sink = 0;
    for (int j = 0; j < cfg.look; ++j) sink += res.map(j)(0, 0);
    if (sink == 42.0) std::cout << "";
    units = static_cast<double>(res.masks_used);
  } else if (cfg.method == "mc_rise") {
    mcrise::McRiseOptions o;
    o.n_masks = cfg.masks;
    o.threads = cfg.threads;
    o.batch_size = cfg.batch;
    o.grid_h = o.grid_w = cfg.grid;
    o.colors = mcrise::paper_colors(3);
    o.colors.resize(static_cast<std::size_t>(cfg.colors), mcrise::Color{0.5f, 0.5f, 0.5f});
    o.se_groups = cfg.se_groups;
    o.classes.clear();
    for (int j = 0; j < cfg.targets; ++j) o.classes.push_back(j);
    o.maps_on_demand = cfg.on_demand;
    auto res = mcrise::mc_rise(model, img, o);
    double sink = 0;
    for (int j = 0; j < cfg.look; ++j) sink += res.map(j)[0](0, 0);
    if (sink == 42.0) std::cout << "";
    units = static_cast<double>(res.masks_used);
  } else if (cfg.method == "mc_rise_overlap" || cfg.method == "mc_rise_nooverlap") {
    // The driver's double-buffered mode (not yet an option of mc_rise()): the
    // same work as mc_rise, with perturbation of batch b+1 overlapping the model on b.
    mcrise::MaskOptions mo;
    mo.grid_h = mo.grid_w = cfg.grid;
    auto colors = mcrise::paper_colors(3);
    colors.resize(static_cast<std::size_t>(cfg.colors), mcrise::Color{0.5f, 0.5f, 0.5f});
    const mcrise::MaskGenerator gen(cfg.size, cfg.size, cfg.colors, mo);
    const mcrise::Perturber perturb(img, gen, colors);
    mcrise::McRiseAccumulator acc(gen, {0});
    mcrise::detail::ClassifierRunner<TrivialModel> run(model, "bench");
    units = static_cast<double>(mcrise::detail::run_masks_pipelined(
        run, gen, perturb, acc, cfg.masks, cfg.batch, cfg.threads, mcrise::Layout::HWC, 3,
        cfg.method == "mc_rise_overlap", nullptr, 0, 0, "bench"));
    (void)acc.maps(0);
  } else if (cfg.method == "upsample") {
    // The final-map step alone: N maps from dense pseudo-random per-shift grid sums, one thread.
    mcrise::MaskOptions mo;
    mo.grid_h = mo.grid_w = cfg.grid;
    const mcrise::MaskGenerator gen(cfg.size, cfg.size, 1, mo);
    const mcrise::detail::ShiftUpsampler up(gen.geometry());
    const auto& geo = gen.geometry();
    const auto cells = static_cast<std::size_t>(geo.cells());
    std::vector<double> v(static_cast<std::size_t>(geo.shifts_h() * geo.shifts_w()) * cells);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.7 * static_cast<double>(i));
    mcrise::detail::ShiftUpsampler::Scratch scratch;
    double sink = 0;
    t0 = Clock::now();
    for (std::int64_t n = 0; n < cfg.masks; ++n)
      sink += up([&](int sh, int c) { return v[static_cast<std::size_t>(sh) * cells + static_cast<std::size_t>(c)]; },
                 scratch)(0, 0);
    if (sink == 42.0) std::cout << "";  // keeps the maps from being optimised away
    units = static_cast<double>(cfg.masks);
  } else if (cfg.method == "maps_floor") {
    // The least any library must do to hand back `targets` final maps: allocate them (fresh
    // pages, as in a run) and write each pixel once, on `threads` threads. No computing.
    std::vector<mcrise::SaliencyMap> maps(static_cast<std::size_t>(cfg.targets));
    const int parts = std::max(1, cfg.threads);
    std::vector<std::thread> pool;
    for (int p = 0; p < parts; ++p)
      pool.emplace_back([&maps, &cfg, p, parts] {
        const std::size_t n = maps.size(), a = n * static_cast<std::size_t>(p) / static_cast<std::size_t>(parts),
                          b = n * static_cast<std::size_t>(p + 1) / static_cast<std::size_t>(parts);
        for (std::size_t i = a; i < b; ++i) {
          maps[i].resize(cfg.size, cfg.size);
          maps[i].setConstant(static_cast<double>(i));
        }
      });
    for (auto& t : pool) t.join();
    double sink = 0;
    for (const auto& m : maps) sink += m(0, 0);
    if (sink == 0.5) std::cout << "";
    units = static_cast<double>(cfg.targets);
  } else if (cfg.method == "perturb_floor") {
    units = write_floor(img, model, cfg.masks, cfg.batch, cfg.threads, true);
  } else if (is_metric(cfg.method)) {
    // A deterministic pseudo-random map, so the sort sees no structure. step = 1
    // pixel per step would be H*W model calls; use --masks as the number of steps.
    const int H = cfg.size, W = cfg.size;
    std::vector<mcrise::SaliencyMap> maps;
    for (int k = 0; k < cfg.colors; ++k) {
      mcrise::SaliencyMap m(H, W);
      for (Eigen::Index i = 0; i < m.size(); ++i)
        m.data()[i] = static_cast<double>(mcrise::detail::mix64(static_cast<std::uint64_t>(i * 31 + k)) >> 11);
      maps.push_back(m);
    }
    const std::int64_t steps = std::max<std::int64_t>(1, std::min<std::int64_t>(cfg.masks, std::int64_t(H) * W));
    const std::int64_t step = (std::int64_t(H) * W + steps - 1) / steps;
    t0 = Clock::now();  // the maps above are the test's input, not the metric's work
    if (cfg.method == "copy_floor") {
      units = write_floor(img, model, steps, cfg.batch, 1, false);
    } else if (cfg.method == "deletion") {
      mcrise::DeletionOptions o;
      o.step = step;
      o.batch_size = cfg.batch;
      units = static_cast<double>(mcrise::deletion(model, img, maps[0], 0, o).confidences.size());
    } else if (cfg.method == "deletion_warm" || cfg.method == "deletion_reuse") {
      // One untimed call first, then the timed one: with a fresh buffer per call (warm) or
      // with the same caller's buffer for both (reuse); the difference is the buffer alone.
      mcrise::ImageBatch buffer;
      mcrise::DeletionOptions o;
      o.step = step;
      o.batch_size = cfg.batch;
      if (cfg.method == "deletion_reuse") o.buffer = &buffer;
      (void)mcrise::deletion(model, img, maps[0], 0, o);
      model.seconds = 0.0;
      t0 = Clock::now();
      units = static_cast<double>(mcrise::deletion(model, img, maps[0], 0, o).confidences.size());
    } else {
      mcrise::CaDeletionOptions o;
      o.step = step;
      o.batch_size = cfg.batch;
      auto colors = mcrise::paper_colors(3);
      colors.resize(maps.size(), mcrise::Color{0.5f, 0.5f, 0.5f});
      units = static_cast<double>(mcrise::ca_deletion(model, img, maps, colors, 0, o).confidences.size());
    }
  } else {
    std::cerr << "unknown method " << cfg.method << "\n";
    std::exit(2);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.rate = units / r.seconds;
  r.model_share = model.seconds / r.seconds;
  r.rss_mb = vm_hwm_mb();
  return r;
}

// Runs one configuration in a fresh child process; the child's VmHWM is its own.
bool g_no_fork = false;  // --no-fork: run in this process (for valgrind --tool=callgrind)

Result run_child(const Config& cfg) {
  if (g_no_fork) return run_once(cfg);
  int fd[2];
  if (pipe(fd) != 0) std::exit(3);
  std::cout.flush();
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    const Result r = run_once(cfg);
    if (write(fd[1], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) _exit(4);
    _exit(0);
  }
  close(fd[1]);
  Result r;
  const ssize_t got = read(fd[0], &r, sizeof r);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != static_cast<ssize_t>(sizeof r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "mcrise_bench: the child for " << cfg.method << " failed\n";
    std::exit(5);
  }
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The median of `repeat` runs; for an estimator, each run is followed by one of perturb_floor with the
// same size, N, batch and threads, so the floor is measured in the same rounds as the rate.
Result run_median(const Config& cfg, int repeat) {
  std::vector<double> rate, share, rss, secs, floor;
  Config floor_cfg = cfg;
  floor_cfg.method = "perturb_floor";
  for (int i = 0; i < repeat; ++i) {
    const Result r = run_child(cfg);
    rate.push_back(r.rate);
    share.push_back(r.model_share);
    rss.push_back(r.rss_mb);
    secs.push_back(r.seconds);
    if (is_estimator(cfg.method)) floor.push_back(run_child(floor_cfg).rate);
  }
  return {median(rate), median(share), *std::max_element(rss.begin(), rss.end()), median(secs),
          floor.empty() ? 0.0 : median(floor)};
}

void header() {
  std::cout << "| method | image | K | N / steps | L | targets | threads | masks/s (steps/s) | time in model | peak RSS "
               "| floor, images/s | of floor |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
}

void row(const Config& c, const Result& r) {
  char buf[512];
  const bool metric = is_metric(c.method);
  std::string method = c.method;
  if (c.on_demand) method += " (on demand, " + std::to_string(c.look) + " looked at)";
  std::snprintf(buf, sizeof buf, "| %s | %dx%d | %s | %lld | %d | %d | %s | %.0f | %.1f%% | %.1f MiB | %s | %s |\n", method.c_str(),
                c.size, c.size, c.method.rfind("mc_rise", 0) == 0 || c.method == "ca_deletion" ? std::to_string(c.colors).c_str() : "-",
                static_cast<long long>(c.masks), c.classes, c.targets, metric ? "1" : std::to_string(c.threads).c_str(), r.rate,
                100.0 * r.model_share, r.rss_mb, r.floor_rate > 0 ? std::to_string(std::lround(r.floor_rate)).c_str() : "-",
                r.floor_rate > 0 ? (std::to_string(std::lround(100.0 * r.rate / r.floor_rate)) + "%").c_str() : "-");
  std::cout << buf << std::flush;
}

void usage() {
  std::cout << "usage: mcrise_bench [--method rise|debiased_rise|mc_rise|deletion|deletion_warm|deletion_reuse|\n"
               "                     ca_deletion|copy_floor|perturb_floor|mc_rise_overlap|mc_rise_nooverlap|upsample|maps_floor|all]\n"
               "                    [--size S] [--masks N] [--threads T] [--classes L] [--targets T] [--colors K]\n"
               "                    [--batch B] [--grid G] [--se-groups G] [--model-us U] [--repeat R] [--memory] [--no-fork]\n"
               "                    [--on-demand [--look M]]\n"
               "Without --method: the default table (all methods, 1 and 2 threads, 1 and 1000 classes).\n"
               "--memory: peak RSS of mc_rise and debiased_rise at N = 1,000 and N = 64,000.\n"
               "--model-us: the model sleeps U microseconds per image (like waiting for a GPU).\n"
               "Methods mc_rise_overlap / mc_rise_nooverlap: the driver with and without double buffering.\n"
               "Method copy_floor: the least a metric must do for N step images (a fresh batch buffer, one copy\n"
               "of the image into it per step, the model call), to compare deletion / ca_deletion with.\n"
               "Method perturb_floor: the least an estimator must do for N perturbed images (a fresh batch buffer,\n"
               "out = image * a + b written into it per image on --threads threads, the model call); every rise,\n"
               "debiased_rise and mc_rise row runs it after each repeat and prints the rate as a fraction of it.\n"
               "Methods deletion_warm / deletion_reuse: the second of two deletion calls, with a fresh batch\n"
               "buffer per call / with one caller's buffer for both.\n"
               "Method upsample: N final maps (one class, one plane) from per-shift grid sums, 1 thread.\n"
               "Method maps_floor: the least any library must do to return T final maps: allocate --targets\n"
               "fresh S x S double maps and write them once, on --threads threads (rate: maps/s).\n"
               "--on-demand: maps_on_demand (needs --se-groups 0 unless all classes); --look M: then ask for the maps\n"
               "of classes 0 .. M-1 (timed with the run).\n"
               "--no-fork: run in this process (RSS is then cumulative), e.g. under valgrind --tool=callgrind.\n";
}

}  // namespace

int main(int argc, char** argv) {
  Config base;
  base.masks = 8000;
  std::string method = "all";
  int repeat = 5;
  bool memory = false, threads_given = false, classes_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--method") method = next();
    else if (a == "--size") base.size = std::stoi(next());
    else if (a == "--masks") base.masks = std::stoll(next());
    else if (a == "--threads") base.threads = std::stoi(next()), threads_given = true;
    else if (a == "--classes") base.classes = std::stoi(next()), classes_given = true;
    else if (a == "--targets") base.targets = std::stoi(next());
    else if (a == "--colors") base.colors = std::stoi(next());
    else if (a == "--batch") base.batch = std::stoi(next());
    else if (a == "--grid") base.grid = std::stoi(next());
    else if (a == "--se-groups") base.se_groups = std::stoi(next());
    else if (a == "--model-us") base.model_us = std::stod(next());
    else if (a == "--repeat") repeat = std::max(1, std::stoi(next()));
    else if (a == "--memory") memory = true;
    else if (a == "--no-fork") g_no_fork = true;
    else if (a == "--on-demand") base.on_demand = true;
    else if (a == "--look") base.look = std::stoi(next());
    else {
      usage();
      return a == "--help" || a == "-h" ? 0 : 1;
    }
  }

  if (memory) {
    std::cout << "Peak RSS against N (" << base.size << "x" << base.size << ", K = " << base.colors << ", threads "
              << base.threads << ", batch " << base.batch << ")\n\n";
    header();
    for (const char* m : {"mc_rise", "debiased_rise"}) {
      Result small, large;
      for (std::int64_t n : {std::int64_t{1000}, std::int64_t{64000}}) {
        Config c = base;
        c.method = m;
        c.masks = n;
        const Result r = run_median(c, 1);
        row(c, r);
        (n == 1000 ? small : large) = r;
      }
      std::cout << "|  " << m << ": growth 1,000 -> 64,000 | | | | | | | | | " << (large.rss_mb - small.rss_mb)
                << " MiB |\n";
    }
    return 0;
  }

  std::vector<Config> configs;
  const std::vector<std::string> methods =
      method == "all" ? std::vector<std::string>{"rise", "debiased_rise", "mc_rise", "deletion", "ca_deletion"}
                      : std::vector<std::string>{method};
  const std::vector<int> thread_list = threads_given ? std::vector<int>{base.threads} : std::vector<int>{1, 2};
  const std::vector<int> class_list = classes_given ? std::vector<int>{base.classes} : std::vector<int>{1, 1000};
  for (const auto& m : methods) {
    if (is_metric(m)) {
      Config c = base;
      c.method = m;
      c.masks = std::min<std::int64_t>(base.masks, std::int64_t(base.size) * base.size);
      c.classes = class_list.front();
      configs.push_back(c);
      continue;
    }
    for (int L : class_list)
      for (int t : thread_list) {
        if (L != class_list.front() && t != thread_list.back()) continue;  // 1000 classes: the widest thread count only
        Config c = base;
        c.method = m;
        c.threads = t;
        c.classes = L;
        configs.push_back(c);
      }
  }
  std::cout << "mcrise_bench: median of " << repeat << " runs per row, each in a fresh process; trivial model; grid "
            << base.grid << "x" << base.grid << ", batch " << base.batch << ". Metrics: N = number of step images.\n\n";
  header();
  for (const auto& c : configs) row(c, run_median(c, repeat));
  return 0;
}
