// Tests of the mcrise command-line tool as a user runs it: the built program is started with
// posix_spawn, its files and messages are checked, and its maps are compared with the library's.
#include "signs/classes.hpp"
#include "signs/render.hpp"

#include <mcrise/deletion.hpp>
#include <mcrise/io.hpp>
#include <mcrise/mc_rise.hpp>
#include <mcrise/npy.hpp>
#include <mcrise/rise.hpp>
#if MCRISE_CLI_TEST_ONNX
#include <mcrise/opencv/dnn_classifier.hpp>
#endif

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fs = std::filesystem;
namespace signs = mcrise::signs;

namespace {

const std::string tool = MCRISE_CLI_PATH;
const std::string onnx = std::string(MCRISE_SOURCE_DIR) + "/paper/signs/sign_cnn.onnx";

// The test's own folder under the temporary folder, removed when the program ends.
const fs::path& scratch() {
  struct Scratch {
    fs::path path = fs::temp_directory_path() / ("mcrise_cli_test_" + std::to_string(::getpid()));
    ~Scratch() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Scratch s;
  return s.path;
}

// A fresh, empty folder per use.
fs::path fresh_dir(const std::string& name) {
  const fs::path d = scratch() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

// Starts the tool with `args`, stdout and stderr to files in `dir`; returns the pid. A `launcher`
// (e.g. mpirun and its options) starts the tool instead.
pid_t start(const std::vector<std::string>& args, const fs::path& dir, const std::vector<std::string>& launcher = {}) {
  std::vector<std::string> all = launcher;
  all.push_back(tool);
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string out = (dir / "stdout.txt").string(), err = (dir / "stderr.txt").string();
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, all[0].c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return pid;
}

struct Run {
  int code = -1;        // exit code (-1: killed by a signal)
  std::string out, err;
};

// Runs the tool to its end; its stdout and stderr are kept in `io` (a folder of their own).
Run run(const std::vector<std::string>& args, const fs::path& io, const std::vector<std::string>& launcher = {}) {
  const pid_t pid = start(args, io, launcher);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_all(io / "stdout.txt");
  r.err = read_all(io / "stderr.txt");
  return r;
}

// Every file under `dir`, as paths relative to it, sorted.
std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (!e.is_directory()) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

fs::path write_sign(const fs::path& dir, const std::string& name, const mcrise::Image& img) {
  const fs::path p = dir / name;
  mcrise::save_png(p.string(), img);
  return p;
}

#if MCRISE_CLI_TEST_ONNX
// The bundled sign CNN through the library's adapter, as the tool runs it with --softmax.
mcrise::OpenCvDnnClassifier& sign_model() {
  static mcrise::OpenCvDnnClassifier model = [] {
    mcrise::ModelInput mi;
    mi.softmax = true;
    return mcrise::OpenCvDnnClassifier(onnx, mi);
  }();
  return model;
}

fs::path write_labels(const fs::path& dir) {
  std::string text;
  for (int c = 0; c < signs::num_classes; ++c) text += signs::class_name(c) + "\n";
  write_all(dir / "labels.txt", text);
  return dir / "labels.txt";
}

// The rows of a results CSV without the seconds column (the one column that may differ).
std::vector<std::string> rows_without_seconds(const std::string& csv) {
  std::vector<std::string> rows;
  std::istringstream in(csv);
  std::string line;
  while (std::getline(in, line)) rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

// The float64 values of an .npy file written by mcrise::write_npy (little-endian host).
std::vector<double> npy_values(const std::string& bytes) {
  REQUIRE(bytes.size() >= 10);
  const std::size_t header = 10 + static_cast<unsigned char>(bytes[8]) + 256u * static_cast<unsigned char>(bytes[9]);
  REQUIRE(bytes.find("'<f8'") < header);
  std::vector<double> v((bytes.size() - header) / sizeof(double));
  std::memcpy(v.data(), bytes.data() + header, v.size() * sizeof(double));
  return v;
}

#endif

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

#if MCRISE_CLI_TEST_ONNX

TEST_CASE("mcrise explain writes the library's maps, a figure, an overlay and a JSON summary", "[cli]") {
  const fs::path in = fresh_dir("explain_in"), out = fresh_dir("explain_out") / "results", io = fresh_dir("explain_io");
  const fs::path png = write_sign(in, "stop.png", signs::render_sign(signs::canonical_sign_params(signs::SignClass::stop)));
  const fs::path labels = write_labels(in);
  const Run r = run({"explain", onnx, png.string(), "--softmax", "--masks", "200", "--threads", "2", "--labels",
                     labels.string(), "--out", out.string()},
                    io);
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.err.empty());  // stderr is not a terminal: no progress bar
  REQUIRE(files_in(out) == std::vector<std::string>{"stop.c0.maps.npy", "stop.c0.overlay.png", "stop.figure.png",
                                                     "stop.json"});

  // The library on the same file with the same options gives the same maps, byte for byte.
  auto& model = sign_model();
  const mcrise::Image img = mcrise::load_image(png.string());
  mcrise::McRiseOptions o;
  o.n_masks = 200;
  o.threads = 2;
  o.layout = mcrise::Layout::CHW;
  const auto res = mcrise::mc_rise(model, img, o);
  REQUIRE(res.classes == std::vector<int>{0});
  const fs::path ref = in / "reference.npy";
  mcrise::write_npy(ref.string(), res.map(0));
  REQUIRE(read_all(out / "stop.c0.maps.npy") == read_all(ref));

  const auto j = nlohmann::json::parse(read_all(out / "stop.json"));
  CHECK(j["class"] == 0);
  CHECK(j["label"] == "stop");
  CHECK(j["score"].get<double>() == Approx(res.scores(0)).epsilon(1e-6));
  CHECK(j["masks_used"] == 200);
  CHECK(j["relative_standard_error"].get<double>() == Approx(res.relative_standard_error).epsilon(1e-9));
  CHECK(j["seconds"].get<double>() >= 0.0);
  CHECK(j["method"] == "mc_rise");
  CHECK(j["options"]["masks"] == 200);
  CHECK(j["options"]["softmax"] == true);
  CHECK(j["options"]["colors"] == nlohmann::json({"red", "green", "blue", "white", "black"}));
  CHECK(j["targets"][0]["maps"] == "stop.c0.maps.npy");
  const mcrise::Image overlay = mcrise::load_image((out / "stop.c0.overlay.png").string());
  CHECK(overlay.height() == 48 * 5);  // magnified by the largest whole factor up to 256 pixels
  CHECK(overlay.width() == 48 * 5);
  CHECK(mcrise::load_image((out / "stop.figure.png").string()).width() > 6 * 48);

  // The same command with one thread and batches of 7: the same maps, bit for bit.
  const fs::path out1 = fresh_dir("explain_out1");
  REQUIRE(run({"explain", onnx, png.string(), "--softmax", "--masks", "200", "--threads", "1", "--batch", "7", "--out",
               out1.string()},
              io)
              .code == 0);
  REQUIRE(read_all(out1 / "stop.c0.maps.npy") == read_all(ref));

#if MCRISE_CLI_TEST_TORCHSCRIPT
  // The TorchScript file of the same network: the same maps up to float rounding in the runtimes.
  const fs::path out_pt = fresh_dir("explain_out_pt");
  const std::string pt = std::string(MCRISE_SOURCE_DIR) + "/paper/signs/sign_cnn.pt";
  const Run rp = run({"explain", pt, png.string(), "--softmax", "--masks", "200", "--out", out_pt.string()}, io);
  INFO(rp.err);
  REQUIRE(rp.code == 0);
  const std::vector<double> a = npy_values(read_all(ref)), b = npy_values(read_all(out_pt / "stop.c0.maps.npy"));
  REQUIRE(a.size() == 5 * 48 * 48);
  REQUIRE(b.size() == a.size());
  double largest = 0.0, diff = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    largest = std::max(largest, std::abs(a[i]));
    diff = std::max(diff, std::abs(a[i] - b[i]));
  }
  CHECK(diff <= 1e-6 * largest);
#endif
}

TEST_CASE("mcrise explain --method debiased_rise --class C writes the library's debiased RISE map", "[cli]") {
  const fs::path in = fresh_dir("rise_in"), out = fresh_dir("rise_out"), io = fresh_dir("rise_io");
  // A 64 x 80 picture of a yield sign: stretched to the model's 48 x 48 by --resize stretch.
  const mcrise::Image big = mcrise::resize(signs::render_sign(signs::canonical_sign_params(signs::SignClass::yield)), 64, 80);
  const fs::path png = write_sign(in, "yield.png", big);
  const Run r = run({"explain", onnx, png.string(), "--softmax", "--method", "debiased_rise", "--class", "5",
                     "--resize", "stretch", "--masks", "200", "--seed", "7", "--out", out.string()},
                    io);
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto& model = sign_model();
  const mcrise::Image img = mcrise::resize(mcrise::load_image(png.string()), 48, 48);
  mcrise::RiseOptions o;
  o.n_masks = 200;
  o.seed = 7;
  o.classes = {5};
  o.layout = mcrise::Layout::CHW;
  const auto res = mcrise::debiased_rise(model, img, o);
  mcrise::write_npy((in / "reference.npy").string(), res.map(5));
  REQUIRE(read_all(out / "yield.c5.maps.npy") == read_all(in / "reference.npy"));
  const auto j = nlohmann::json::parse(read_all(out / "yield.json"));
  CHECK(j["class"] == 5);
  CHECK(j["label"].is_null());  // no --labels
  CHECK(j["image_size"] == nlohmann::json({64, 80}));
  CHECK(j["input_size"] == nlohmann::json({48, 48}));
}

TEST_CASE("mcrise explain --top 2 --colors with a hex colour explains two classes with those colours", "[cli]") {
  const fs::path in = fresh_dir("top_in"), out = fresh_dir("top_out"), io = fresh_dir("top_io");
  const fs::path png = write_sign(in, "s.png", signs::render_sample(3, 4).image);
  const Run r = run({"explain", onnx, png.string(), "--softmax", "--top", "2", "--colors", "#FF8000,cyan", "--masks",
                     "100", "--out", out.string()},
                    io);
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(read_all(out / "s.json"));
  REQUIRE(j["targets"].size() == 2);
  const int a = j["targets"][0]["class"], b = j["targets"][1]["class"];
  CHECK(j["targets"][0]["score"].get<double>() >= j["targets"][1]["score"].get<double>());
  CHECK(j["options"]["colors"] == nlohmann::json({"#ff8000", "cyan"}));

  auto& model = sign_model();
  const mcrise::Image img = mcrise::load_image(png.string());
  mcrise::McRiseOptions o;
  o.n_masks = 100;
  o.classes = {a, b};
  o.colors = {{1.0f, 128.0f / 255.0f, 0.0f}, {0.0f, 1.0f, 1.0f}};
  o.layout = mcrise::Layout::CHW;
  const auto res = mcrise::mc_rise(model, img, o);
  CHECK(res.scores(a) == Approx(j["targets"][0]["score"].get<double>()).epsilon(1e-9));
  CHECK(res.scores(a) >= res.scores.maxCoeff());  // the top class first
  for (int c : {a, b}) {
    const std::string name = "s.c" + std::to_string(c) + ".maps.npy";
    mcrise::write_npy((in / name).string(), res.map(c));
    CHECK(read_all(out / name) == read_all(in / name));
    CHECK(npy_values(read_all(out / name)).size() == 2 * 48 * 48);
  }
}

TEST_CASE("mcrise explain --colors red,blur:2 fills with a colour and a blurred copy, as mc_rise with those fills",
          "[cli]") {
  const fs::path in = fresh_dir("blur_in"), out = fresh_dir("blur_out"), io = fresh_dir("blur_io");
  const fs::path png = write_sign(in, "s.png", signs::render_sample(2, 5).image);
  const Run r = run({"explain", onnx, png.string(), "--softmax", "--colors", "red,blur:2", "--masks", "100", "--out",
                     out.string()},
                    io);
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(read_all(out / "s.json"));
  CHECK(j["options"]["colors"] == nlohmann::json({"red", "blur:2"}));
  const int a = j["targets"][0]["class"];

  mcrise::ModelInput mi;
  mi.softmax = true;
  mcrise::OpenCvDnnClassifier model(onnx, mi);
  const mcrise::Image img = mcrise::load_image(png.string());
  mcrise::McRiseOptions o;
  o.n_masks = 100;
  o.classes = {a};
  o.fills = {mcrise::Color{1, 0, 0}, mcrise::Fill::blurred(img, 2.0)};
  o.layout = mcrise::Layout::CHW;
  const auto res = mcrise::mc_rise(model, img, o);
  const std::string name = "s.c" + std::to_string(a) + ".maps.npy";
  mcrise::write_npy((in / name).string(), res.map(a));
  CHECK(read_all(out / name) == read_all(in / name));
}

TEST_CASE("mcrise evaluate killed part-way and resumed gives the rows of an uninterrupted run", "[cli]") {
  const fs::path in = fresh_dir("eval_in"), out = fresh_dir("eval_out"), io = fresh_dir("eval_io");
  const fs::path images = in / "images";
  fs::create_directories(images);
  std::string labels_csv = "image,class\n";
  const int n = 10;
  for (int i = 0; i < n; ++i) {
    const auto s = signs::render_sample(3, static_cast<std::uint64_t>(i));
    const std::string name = "sign" + std::to_string(i) + ".png";
    write_sign(images, name, s.image);
    labels_csv += name + "," + std::to_string(s.label) + "\n";
  }
  write_all(in / "labels.csv", labels_csv);
  const auto args = [&](const fs::path& csv) {
    return std::vector<std::string>{"evaluate", onnx, "--images", images.string(), "--labels-csv",
                                    (in / "labels.csv").string(), "--metric", "ca-deletion", "--softmax",
                                    "--masks", "200", "--threads", "1", "--out", csv.string()};
  };
  const Run full = run(args(out / "full.csv"), io);
  INFO(full.err);
  REQUIRE(full.code == 0);
  const std::string expected = read_all(out / "full.csv");
  REQUIRE(count_lines(expected) == n + 1);
  CHECK(full.out.find("± ") != std::string::npos);

  // Kill as soon as the first row is in.
  const fs::path part = out / "part.csv";
  const pid_t pid = start(args(part), io);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (count_lines(fs::exists(part) ? read_all(part) : std::string()) < 2 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(::kill(pid, SIGKILL) == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  const std::size_t kept = count_lines(read_all(part));
  CHECK(kept >= 2);
  CHECK(kept < n + 1);  // killed part-way
  const std::vector<std::string> want = rows_without_seconds(expected);
  const auto got_before = rows_without_seconds(read_all(part));
  REQUIRE(std::equal(got_before.begin(), got_before.end(), want.begin()));  // complete rows only

  auto resume = args(part);
  resume.push_back("--resume");
  const Run r = run(resume, io);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(rows_without_seconds(read_all(part)) == want);
  CHECK(files_in(out) == std::vector<std::string>{"full.csv", "part.csv"});  // no temporary left behind
}

#if MCRISE_CLI_TEST_MPI
TEST_CASE("mcrise evaluate --mpi under mpirun writes one process's CSV, resumes and fails on every rank", "[cli]") {
  const fs::path in = fresh_dir("mpi_in"), out = fresh_dir("mpi_out"), io = fresh_dir("mpi_io");
  const fs::path images = in / "images";
  fs::create_directories(images);
  const int n = 7;
  for (int i = 0; i < n; ++i)
    write_sign(images, "sign" + std::to_string(i) + ".png", signs::render_sample(4, static_cast<std::uint64_t>(i)).image);
  const auto args = [&](const fs::path& csv) {
    return std::vector<std::string>{"evaluate", onnx, "--images", images.string(), "--metric", "deletion",
                                    "--method", "rise", "--softmax", "--masks", "100", "--threads", "1",
                                    "--out", csv.string()};
  };
  const Run one = run(args(out / "one.csv"), io);
  INFO(one.err);
  REQUIRE(one.code == 0);
  const std::vector<std::string> want = rows_without_seconds(read_all(out / "one.csv"));
  REQUIRE(want.size() == n + 1);
  for (const char* np : {"2", "3"}) {
    const std::vector<std::string> mpirun{MCRISE_MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", np};
    INFO(np << " ranks");
    {  // the same CSV, in image order
      auto a = args(out / "spread.csv");
      a.push_back("--mpi");
      const Run r = run(a, io, mpirun);
      INFO(r.err);
      REQUIRE(r.code == 0);
      CHECK(rows_without_seconds(read_all(out / "spread.csv")) == want);
      CHECK(r.out.find(" ± ") != std::string::npos);  // one summary, from rank 0
    }
    {  // a resume computes only the missing rows
      // A run killed after three rows and during the fourth (a partial line).
      const std::string full = read_all(out / "one.csv");
      std::size_t cut = 0;
      for (int line = 0; line < 4; ++line) cut = full.find('\n', cut) + 1;
      write_all(out / "part.csv", full.substr(0, cut) + "sign3.png,1");
      auto a = args(out / "part.csv");
      a.push_back("--mpi");
      a.push_back("--resume");
      const Run r = run(a, io, mpirun);
      INFO(r.err);
      REQUIRE(r.code == 0);
      CHECK(rows_without_seconds(read_all(out / "part.csv")) == want);
      CHECK(r.out.find("3 images were already in") != std::string::npos);
      CHECK(std::count(r.out.begin(), r.out.end(), '\n') == n - 3 + 2);  // 4 rows, the skipped count, the summary
    }
    {  // an error on rank 0 ends every rank with it
      // Only rank 0 reads the results file: one of another method fails there.
      write_all(out / "other.csv", "image,class,method,metric,auc,masks_used,seconds\nsign0.png,1,mc_rise,deletion,0.5,100,1\n");
      auto a = args(out / "other.csv");
      a.push_back("--mpi");
      a.push_back("--resume");
      const Run r = run(a, io, mpirun);
      INFO(r.err);
      CHECK(r.code != 0);
      std::size_t seen = 0;
      for (std::size_t at = r.err.find("this run is rise / deletion"); at != std::string::npos;
           at = r.err.find("this run is rise / deletion", at + 1))
        ++seen;
      CHECK(seen == static_cast<std::size_t>(std::stoi(np)));  // every rank says why
      CHECK(r.err.find("evaluate: rank 0 failed:") != std::string::npos);
    }
  }
}
#endif

TEST_CASE("mcrise evaluate --resume drops a partial last line and runs its image again", "[cli]") {
  const fs::path in = fresh_dir("resume_in"), out = fresh_dir("resume_out"), io = fresh_dir("resume_io");
  std::string list;
  for (int i = 0; i < 4; ++i) {
    const std::string name = "s" + std::to_string(i) + ".png";
    write_sign(in, name, signs::render_sample(5, static_cast<std::uint64_t>(i)).image);
    list += name + "\n";
  }
  write_all(in / "list.txt", list);
  const auto args = [&](const fs::path& csv) {
    return std::vector<std::string>{"evaluate", onnx, "--images", (in / "list.txt").string(), "--metric",
                                    "deletion", "--method", "rise", "--softmax", "--masks", "200",
                                    "--out", csv.string()};
  };
  REQUIRE(run(args(out / "full.csv"), io).code == 0);
  const std::string full = read_all(out / "full.csv");
  REQUIRE(count_lines(full) == 5);
  // Two complete rows, then a row cut short (as a power cut might leave it).
  std::size_t cut = 0;
  for (int k = 0; k < 3; ++k) cut = full.find('\n', cut) + 1;
  write_all(out / "part.csv", full.substr(0, cut) + full.substr(cut, 9));
  auto resume = args(out / "part.csv");
  resume.push_back("--resume");
  const Run r = run(resume, io);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(rows_without_seconds(read_all(out / "part.csv")) == rows_without_seconds(full));
  CHECK(r.out.find("2 images were already in") != std::string::npos);

  // Row 1 is the library's deletion AUC of the RISE map of the model's top class, to the last bit.
  auto& model = sign_model();
  const mcrise::Image img = mcrise::load_image((in / "s0.png").string());
  mcrise::RiseOptions o;
  o.n_masks = 200;
  o.layout = mcrise::Layout::CHW;
  const auto res = mcrise::rise(model, img, o);
  mcrise::DeletionOptions d;
  d.layout = mcrise::Layout::CHW;
  const double auc = mcrise::deletion(model, img, res.map(res.classes[0]), res.classes[0], d).auc;
  char expected_row[128];
  std::snprintf(expected_row, sizeof expected_row, "s0.png,%d,rise,deletion,%.17g,200", res.classes[0], auc);
  CHECK(rows_without_seconds(full).at(1) == expected_row);
}

TEST_CASE("mcrise refuses bad input with one line, a non-zero exit code and no output file", "[cli]") {
  const fs::path in = fresh_dir("bad_in"), io = fresh_dir("bad_io");
  const fs::path png = write_sign(in, "stop.png", signs::render_sign(signs::canonical_sign_params(signs::SignClass::stop)));
  write_all(in / "corrupt.onnx", "this is not an ONNX model");
  write_all(in / "corrupt.png", std::string("\x89PNG\r\n\x1a\n", 8) + "truncated");
  write_all(in / "model.h5", "keras");
  write_all(in / "not_a_folder", "a file");
  write_all(in / "short_labels.txt", "stop\nno_entry\n");
  write_all(in / "gap_labels.txt", "stop\n\nno_entry\n");
  fs::create_directories(in / "imgs");
  mcrise::save_png((in / "imgs" / "a.png").string(), mcrise::load_image(png.string()));
  write_all(in / "three_fields.csv", "a.png,0,extra\n");
  write_all(in / "class_99.csv", "a.png,99\n");
  fs::create_directories(in / "with_corrupt");
  fs::copy_file(in / "imgs" / "a.png", in / "with_corrupt" / "a.png");
  fs::copy_file(in / "corrupt.png", in / "with_corrupt" / "b.png");

  struct Case {
    const char* what;
    std::vector<std::string> args;
    const char* message;
  };
  const std::string p = png.string(), I = in.string();
  const std::vector<Case> cases{
      {"missing model", {"explain", I + "/none.onnx", p}, "model file '" },
      {"corrupt model", {"explain", I + "/corrupt.onnx", p}, "corrupt.onnx"},
      {"unknown model kind", {"explain", I + "/model.h5", p}, "unknown kind"},
      {"missing image", {"explain", onnx, I + "/none.png"}, "none.png"},
      {"corrupt image", {"explain", onnx, p, I + "/corrupt.png"}, "corrupt.png"},
      {"wrong input size", {"explain", onnx, p, "--input-size", "32x32"}, "does not match the model's input 48x48"},
      {"malformed input size", {"explain", onnx, p, "--input-size", "32by32"}, "--input-size must be HxW"},
      {"unknown colour", {"explain", onnx, p, "--colors", "red,purpel"}, "unknown colour 'purpel'"},
      {"bad hex colour", {"explain", onnx, p, "--colors", "#12345g"}, "unknown colour '#12345g'"},
      {"bad blur fill", {"explain", onnx, p, "--colors", "red,blur:x"}, "bad blur fill 'blur:x'"},
      {"negative blur fill", {"explain", onnx, p, "--colors", "blur:-1"}, "bad blur fill 'blur:-1'"},
      {"class out of range", {"explain", onnx, p, "--class", "10"}, "--class 10 is out of range"},
      {"unwritable output folder", {"explain", onnx, p}, "cannot create output folder"},
      {"labels file with too few labels", {"explain", onnx, p, "--labels", I + "/short_labels.txt"}, "has 2 labels but the model has 10 classes"},
      {"labels file with an empty line", {"explain", onnx, p, "--labels", I + "/gap_labels.txt"}, "line 2 is empty"},
      {"missing labels file", {"explain", onnx, p, "--labels", I + "/none.txt"}, "none.txt' does not exist"},
      {"unknown option", {"explain", onnx, p, "--maks", "200"}, "--maks"},
      {"labels CSV with three fields", {"evaluate", onnx, "--images", I + "/imgs", "--labels-csv", I + "/three_fields.csv", "--metric", "deletion"}, "has 3 fields"},
      {"labels CSV class out of range", {"evaluate", onnx, "--images", I + "/imgs", "--labels-csv", I + "/class_99.csv", "--metric", "deletion"}, "class 99, out of range"},
      {"corrupt image in the set", {"evaluate", onnx, "--images", I + "/with_corrupt", "--metric", "deletion"}, "b.png"},
      {"ca-deletion without colour maps", {"evaluate", onnx, "--images", I + "/imgs", "--metric", "ca-deletion", "--method", "rise"}, "needs the colour maps"},
  };
  for (const auto& c : cases) {
    const fs::path out = fresh_dir("bad_out");
    std::vector<std::string> args = c.args;
    args.push_back("--out");
    if (std::string(c.what) == "unwritable output folder")
      args.push_back(I + "/not_a_folder/sub");
    else
      args.push_back(args[0] == "evaluate" ? (out / "results.csv").string() : (out / "maps").string());
    const Run r = run(args, io);
    INFO(c.what << ": " << r.err);
    CHECK(r.code != 0);
    CHECK(count_lines(r.err) == 1);
    CHECK(r.err.rfind("mcrise: ", 0) == 0);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(r.out.empty());
    CHECK(files_in(out).empty());
  }
}

#else

TEST_CASE("mcrise built without OpenCV DNN names the package to install for an ONNX model", "[cli]") {
  const fs::path in = fresh_dir("noruntime_in"), out = fresh_dir("noruntime_out"), io = fresh_dir("noruntime_io");
  write_all(in / "net.onnx", "model");
  const fs::path png = write_sign(in, "stop.png", signs::render_sign(signs::canonical_sign_params(signs::SignClass::stop)));
  const Run r = run({"explain", (in / "net.onnx").string(), png.string(), "--out", out.string()}, io);
  CHECK(r.code == 1);
  CHECK(count_lines(r.err) == 1);
  CHECK(r.err.find("libopencv-dnn-dev") != std::string::npos);
  CHECK(files_in(out).empty());
}

#endif
