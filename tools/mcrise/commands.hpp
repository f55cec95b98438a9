#pragma once
/// @file commands.hpp
/// @brief The two commands of the mcrise tool.

#include "options.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mcrise::cli {

/// @brief Options of `mcrise explain`.
struct ExplainOptions {
  ToolOptions tool;                    ///< shared options
  std::vector<std::string> images;     ///< image files, at least one
  std::optional<int> cls;              ///< --class: explain this class
  std::optional<int> top;              ///< --top: explain the K best classes
  std::string labels;                  ///< --labels: one class name per line; empty: none
  std::string out = ".";               ///< --out: folder of the outputs
};

/// @brief Options of `mcrise evaluate`.
struct EvaluateOptions {
  ToolOptions tool;                    ///< shared options
  std::string images;                  ///< --images: a folder of images or a text file listing them
  std::string labels_csv;              ///< --labels-csv: image,class rows; empty: the model's top class
  std::string metric;                  ///< deletion, insertion or ca-deletion
  std::string out;                     ///< --out: the results CSV
  bool resume = false;                 ///< --resume: keep the rows already in `out`
  bool mpi = false;                    ///< --mpi: split the images over the MPI ranks (under mpirun or srun)
};

/// @brief Runs `mcrise explain`; returns the exit code. Throws on any error (main prints it).
int run_explain(const ExplainOptions& opt);

/// @brief Runs `mcrise evaluate`; returns the exit code. Throws on any error (main prints it).
int run_evaluate(const EvaluateOptions& opt);

/// @brief True if stderr is a terminal (the progress bar is drawn only then).
bool stderr_is_terminal();

}  // namespace mcrise::cli
