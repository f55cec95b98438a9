// mcrise: explain an image classifier's decisions from the command line.
//   mcrise explain MODEL IMAGE... [options]      figure, overlay, maps (.npy) and JSON per image
//   mcrise evaluate MODEL --images DIR|LIST --metric M --out results.csv [--resume] [--mpi]
// Every error is one line on stderr and a non-zero exit code; see docs/cli.md.
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace {

using mcrise::cli::ToolOptions;

// Options that explain and evaluate share.
void add_tool_options(CLI::App& cmd, ToolOptions& t) {
  cmd.add_option("MODEL", t.model, "model file: .onnx (OpenCV DNN) or .pt / .torchscript (LibTorch)")->required();
  cmd.add_option("--method", t.method, "mc_rise (colour-wise maps), rise or debiased_rise")
      ->check(CLI::IsMember({"mc_rise", "rise", "debiased_rise"}))
      ->capture_default_str();
  cmd.add_option("--masks", t.masks, "number of masks N (the maximum with --target-se)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
      ->capture_default_str();
  cmd.add_option("--target-se", t.target_se, "stop once the relative standard error is at most X (0: off)")
      ->check(CLI::Range(0.0, 1e300))
      ->capture_default_str();
  cmd.add_option("--colors", t.colors, "mask colours (mc_rise): names, #rrggbb or blur:S (a blurred copy, σ = S px), comma-separated")
      ->delimiter(',')
      ->default_str("red,green,blue,white,black");
  cmd.add_option("--input-size", t.input_size, "HxW the images are brought to (default: the model's input size)");
  cmd.add_option("--resize", t.resize, "how an image of another size is brought to the input size")
      ->check(CLI::IsMember({"stretch", "cover-crop"}))
      ->capture_default_str();
  cmd.add_option("--mean", t.mean, "per-channel mean subtracted from the [0,1] input, a,b,c")->delimiter(',');
  cmd.add_option("--std", t.std, "per-channel standard deviation the input is divided by, a,b,c")->delimiter(',');
  cmd.add_flag("--bgr", t.bgr, "hand the model BGR instead of RGB");
  cmd.add_flag("--softmax", t.softmax, "apply a softmax to the model's outputs (for a model that returns logits)");
  cmd.add_option("--threads", t.threads, "threads that draw masks and perturb images (0: all CPUs)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd.add_option("--batch", t.batch, "images per model call")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cmd.add_option("--seed", t.seed, "random seed: mask n depends only on (seed, n)")->capture_default_str();
}

// One line: a message that spans lines (e.g. from a runtime) is joined.
int fail(const std::string& what, int code) {
  std::string line = what;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "mcrise: %s\n", line.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mcrise: colour-wise saliency maps (MC-RISE), RISE and their faithfulness metrics for an ONNX or "
               "TorchScript image classifier"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mcrise " MCRISE_CLI_VERSION);

  mcrise::cli::ExplainOptions ex;
  CLI::App* explain = app.add_subcommand("explain", "write a figure, an overlay, the maps (.npy) and a JSON summary "
                                                    "for each image");
  add_tool_options(*explain, ex.tool);
  explain->add_option("IMAGE", ex.images, "image files (PNG, JPEG, BMP, ...)")->required();
  auto* cls = explain->add_option("--class", ex.cls, "explain class C (default: the model's top class)");
  explain->add_option("--top", ex.top, "explain the K highest-scoring classes")->excludes(cls);
  explain->add_option("--labels", ex.labels, "text file with one class name per line");
  explain->add_option("--out", ex.out, "folder for the outputs (created if needed)")->capture_default_str();

  mcrise::cli::EvaluateOptions ev;
  CLI::App* evaluate = app.add_subcommand("evaluate", "score the maps of a set of images with a faithfulness metric, "
                                                      "one CSV row per image");
  add_tool_options(*evaluate, ev.tool);
  evaluate->add_option("--images", ev.images, "folder of images, or a text file with one image path per line")
      ->required();
  evaluate->add_option("--labels-csv", ev.labels_csv, "CSV of image,class (default: the model's top class)");
  evaluate->add_option("--metric", ev.metric, "deletion, insertion or ca-deletion")
      ->check(CLI::IsMember({"deletion", "insertion", "ca-deletion"}))
      ->required();
  evaluate->add_option("--out", ev.out, "results CSV, one row per image as it completes")->required();
  evaluate->add_flag("--resume", ev.resume, "keep the rows already in --out and run only the missing images");
  evaluate->add_flag("--mpi", ev.mpi, "split the images over the MPI ranks (run under mpirun or srun); rank 0 "
                                      "writes --out in image order");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (mcrise --help for the options)", 2);
  }
  try {
    return explain->parsed() ? mcrise::cli::run_explain(ex) : mcrise::cli::run_evaluate(ev);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}
