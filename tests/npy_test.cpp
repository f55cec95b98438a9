// NumPy .npy output (mcrise/npy.hpp): exact header bytes, payload, and (when
// python3 with numpy is available) a read-back by NumPy itself.
#include <mcrise/npy.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("mcrise_npy_test_" + name)).string();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("NPY 1.0 header bytes: magic, version, length, dict, 64-byte alignment", "[npy]") {
  const std::string h = mcrise::detail::npy_header({3, 4}, mcrise::NpyDtype::float64);
  REQUIRE(h.size() % 64 == 0);
  REQUIRE(h.size() == 128);  // 10 bytes + 60-character dict + newline = 71, padded to 128
  CHECK(h.substr(0, 6) == std::string("\x93NUMPY", 6));
  CHECK(h[6] == 1);
  CHECK(h[7] == 0);
  const std::size_t len = static_cast<unsigned char>(h[8]) + 256u * static_cast<unsigned char>(h[9]);
  CHECK(len == h.size() - 10);
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }";
  CHECK(h.substr(10, dict.size()) == dict);
  CHECK(h.back() == '\n');
  for (std::size_t i = 10 + dict.size(); i + 1 < h.size(); ++i) CHECK(h[i] == ' ');

  CHECK(mcrise::detail::npy_header({5, 2, 7}, mcrise::NpyDtype::float32).find("'descr': '<f4'") != std::string::npos);
  CHECK(mcrise::detail::npy_header({5, 2, 7}, mcrise::NpyDtype::float32).find("'shape': (5, 2, 7), }") !=
        std::string::npos);
  CHECK(mcrise::detail::npy_header({9}, mcrise::NpyDtype::float64).find("'shape': (9,), }") != std::string::npos);
  // A long shape still aligns.
  CHECK(mcrise::detail::npy_header({123456789, 987654321, 555555555}, mcrise::NpyDtype::float64).size() % 64 == 0);
}

TEST_CASE("write_npy payload is the row-major little-endian values", "[npy]") {
  mcrise::SaliencyMap m(2, 3);
  m << 1.5, -2.0, 0.25, 1e-300, 3.0, -0.0;
  const std::string p = tmp_path("one.npy");
  mcrise::write_npy(p, m);
  const std::string f = read_all(p);
  const std::size_t hs = mcrise::detail::npy_header({2, 3}, mcrise::NpyDtype::float64).size();
  REQUIRE(f.size() == hs + 6 * 8);
  for (int i = 0; i < 6; ++i) {
    double v;
    std::memcpy(&v, f.data() + hs + 8 * i, 8);  // this test host is little-endian (x86 / ARM)
    CHECK(v == m.data()[i]);
  }
  mcrise::write_npy(p, std::vector<mcrise::SaliencyMap>{m, 2.0 * m}, mcrise::NpyDtype::float32);
  const std::string g = read_all(p);
  const std::size_t gs = mcrise::detail::npy_header({2, 2, 3}, mcrise::NpyDtype::float32).size();
  REQUIRE(g.size() == gs + 12 * 4);
  CHECK(g.find("'shape': (2, 2, 3)") != std::string::npos);
  float v;
  std::memcpy(&v, g.data() + gs + 4 * 7, 4);  // [1, 0, 1] = 2 * -2.0
  CHECK(v == -4.0f);
  std::remove(p.c_str());

  REQUIRE_THROWS_AS(mcrise::write_npy(p, std::vector<mcrise::SaliencyMap>{}), std::invalid_argument);
  REQUIRE_THROWS_AS(mcrise::write_npy(p, std::vector<mcrise::SaliencyMap>{m, mcrise::SaliencyMap(3, 2)}),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(mcrise::write_npy("/nonexistent_dir_mcrise/a.npy", m), mcrise::io_error);
}

TEST_CASE("write_npy's header gives the shape of a non-square map and of a stack of them", "[npy]") {
  const mcrise::SaliencyMap m = mcrise::SaliencyMap::Zero(2, 3);  // H = 2, W = 3
  const std::string p = tmp_path("shape.npy");
  mcrise::write_npy(p, m);
  const std::string f = read_all(p);
  CHECK(f.substr(0, mcrise::detail::npy_header({2, 3}, mcrise::NpyDtype::float64).size()) ==
        mcrise::detail::npy_header({2, 3}, mcrise::NpyDtype::float64));
  CHECK(f.find("'shape': (2, 3), }") != std::string::npos);
  mcrise::write_npy(p, std::vector<mcrise::SaliencyMap>{m, m, m, m}, mcrise::NpyDtype::float32);
  const std::string g = read_all(p);
  CHECK(g.substr(0, mcrise::detail::npy_header({4, 2, 3}, mcrise::NpyDtype::float32).size()) ==
        mcrise::detail::npy_header({4, 2, 3}, mcrise::NpyDtype::float32));
  std::remove(p.c_str());
}

TEST_CASE("NumPy reads the files with the right shape, dtype and values", "[npy][python]") {
  if (std::system("python3 -c \"import numpy\" > /dev/null 2>&1") != 0) {
    WARN("python3 with numpy not available: skipping the NumPy read-back");
    return;
  }
  std::vector<mcrise::SaliencyMap> maps;
  for (int k = 0; k < 3; ++k) {
    mcrise::SaliencyMap m(4, 5);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 5; ++x) m(y, x) = 100 * k + 10 * y + x;
    maps.push_back(m);
  }
  const std::string p64 = tmp_path("py64.npy"), p32 = tmp_path("py32.npy");
  mcrise::write_npy(p64, maps);
  mcrise::write_npy(p32, maps[2], mcrise::NpyDtype::float32);
  const std::string cmd = "python3 -c \"import numpy as np, sys; a = np.load(sys.argv[1]); b = np.load(sys.argv[2]); "
                          "ok = a.shape == (3, 4, 5) and a.dtype == np.float64 and a[2, 3, 4] == 234 and "
                          "b.shape == (4, 5) and b.dtype == np.float32 and b[1, 2] == 212; sys.exit(0 if ok else 1)\" " +
                          p64 + " " + p32;
  CHECK(std::system(cmd.c_str()) == 0);
  std::remove(p64.c_str());
  std::remove(p32.c_str());
}
