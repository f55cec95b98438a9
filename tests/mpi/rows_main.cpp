// mcrise::mpi::split_rows under mpirun (1, 2 and 3 ranks): a small data set (a RISE map and its
// deletion AUC per image) gives the same CSV as one process, in image order; a resumed run computes
// only the missing rows; a row that throws on one rank, or a write that fails on rank 0, ends the
// call on every rank with the error, and the rows of the finished rounds are on disk for a resume.
// Exit status 0 when every check passed on every rank; a failure prints what differs.
#include <mcrise/mpi/split_rows.hpp>

#include <mcrise/deletion.hpp>
#include <mcrise/rise.hpp>

#include "mpi/support.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using mpi_test::expect;
using mpi_test::failures;
using mpi_test::rank;
using mpi_test::size;

constexpr int images = 7;

// Image i of the data set: a smooth pattern that depends on i.
mcrise::Image image_of(std::int64_t i) {
  mcrise::Image img(10, 12, 3);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 12; ++x)
      for (int k = 0; k < 3; ++k)
        img(y, x, k) = 0.5f + 0.45f * std::sin(0.3f * static_cast<float>(i + 1) * static_cast<float>(y + 1) +
                                               0.7f * static_cast<float>(x) + static_cast<float>(k));
  return img;
}

Eigen::MatrixXf model(const mcrise::ImageBatch& b) {
  Eigen::MatrixXf out(b.size(), 2);
  for (int j = 0; j < b.size(); ++j) {
    const mcrise::Image im = b.image(j);
    double s = 0;
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 6; ++x) s += im(y, x, 0) - 0.5 * im(y, x, 2);
    out(j, 0) = static_cast<float>(1.0 / (1.0 + std::exp(-s / 10.0)));
    out(j, 1) = 1.0f - out(j, 0);
  }
  return out;
}

int computed = 0;  // rows computed on this rank

// The row of image i: its name, the deletion AUC of its MC-RISE map (all bits: %.17g).
std::string row_of(std::int64_t i) {
  ++computed;
  const mcrise::Image img = image_of(i);
  mcrise::RiseOptions o;
  o.classes = {0};
  o.n_masks = 96;
  o.grid_h = o.grid_w = 3;
  o.threads = 1;
  const auto res = mcrise::rise(model, img, o);
  mcrise::DeletionOptions d;
  d.batch_size = 16;
  const double auc = mcrise::deletion(model, img, res.map(0), 0, d).auc;
  char buf[64];
  std::snprintf(buf, sizeof buf, "image%lld,%.17g\n", static_cast<long long>(i), auc);
  return buf;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The rows of a file, sorted by image number (a resumed file holds its rows in completion order).
std::vector<std::string> sorted_rows(const std::string& text) {
  std::vector<std::string> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) rows.push_back(line);
  std::sort(rows.begin(), rows.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a.substr(5)) < std::stoi(b.substr(5));
  });
  return rows;
}

// Images not in the file yet.
std::vector<std::int64_t> missing(const std::string& text) {
  std::vector<bool> have(images, false);
  for (const std::string& r : sorted_rows(text)) have[static_cast<std::size_t>(std::stoi(r.substr(5)))] = true;
  std::vector<std::int64_t> out;
  for (int i = 0; i < images; ++i)
    if (!have[static_cast<std::size_t>(i)]) out.push_back(i);
  return out;
}

int total_computed() {
  int all = 0;
  MPI_Allreduce(&computed, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  computed = 0;
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  mpi_test::start(argc, argv);
  const std::string path = "mpi_rows_np" + std::to_string(size) + ".csv";
  try {
    // One process's CSV, image by image (on every rank: each then compares its own copy).
    std::string reference;
    for (int i = 0; i < images; ++i) reference += row_of(i);
    computed = 0;

    // The whole set over the ranks: the same bytes, each row computed once.
    std::ofstream(path, std::ios::trunc).close();
    auto append = [&](std::int64_t, const std::string& row) { std::ofstream(path, std::ios::app) << row; };
    mcrise::mpi::split_rows(images, row_of, append);
    expect(total_computed() == images, "every row computed once");
    if (rank == 0) expect(read_file(path) == reference, "the CSV equals one process's, in image order");

    // A row that throws on the rank of image 4: every rank fails with its message; the rounds
    // before it are on disk, in order.
    if (rank == 0) std::ofstream(path, std::ios::trunc).close();
    auto failing = [](std::int64_t i) {
      if (i == 4) throw std::runtime_error("cannot read image4");
      return row_of(i);
    };
    bool threw = false;
    try {
      mcrise::mpi::split_rows(images, failing, append);
    } catch (const std::exception& e) {
      threw = true;
      expect(std::strstr(e.what(), "cannot read image4") != nullptr,
             std::string("a failing row: the message '") + e.what() + "' lacks its text");
    }
    expect(threw, "a failing row: every rank throws");
    MPI_Barrier(MPI_COMM_WORLD);
    const std::string partial = read_file(path);
    const std::size_t written = static_cast<std::size_t>(4 / size * size);  // the rounds before image 4's
    expect(partial == reference.substr(0, partial.size()) && sorted_rows(partial).size() == written,
           "a failing row: the finished rounds are written, in order");
    total_computed();

    // Resume: only the missing rows are computed, and the set is then complete.
    const std::vector<std::int64_t> todo = missing(partial);
    mcrise::mpi::split_rows(static_cast<std::int64_t>(todo.size()), [&](std::int64_t i) { return row_of(todo[i]); },
                            append);
    expect(total_computed() == static_cast<int>(todo.size()), "a resumed run computes only the missing rows");
    if (rank == 0)
      expect(sorted_rows(read_file(path)) == sorted_rows(reference), "a resumed run completes the set");

    // A write that fails on rank 0: every rank fails with its message.
    threw = false;
    try {
      mcrise::mpi::split_rows(images, row_of, [](std::int64_t i, const std::string&) {
        if (i == 2) throw std::runtime_error("disk full at row 2");
      });
    } catch (const std::exception& e) {
      threw = true;
      expect(std::strstr(e.what(), "disk full at row 2") != nullptr,
             std::string("a failing write: the message '") + e.what() + "' lacks its text");
    }
    expect(threw, "a failing write: every rank throws");

    // A row count that differs on the last rank.
    threw = false;
    try {
      mcrise::mpi::split_rows(rank == size - 1 && size > 1 ? images - 1 : images, row_of, append);
    } catch (const std::invalid_argument& e) {
      threw = true;
      expect(std::strstr(e.what(), "'s n is 6 and rank 0's is 7") != nullptr,
             std::string("n differs: the message '") + e.what() + "'");
    }
    expect(threw == (size > 1), "n differs: every rank throws std::invalid_argument");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: exception: %s\n", rank, e.what());
    ++failures;
  }
  return mpi_test::finish("mpi_rows_test");
}
