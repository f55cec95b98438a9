// Link test, TU 1 (with tests/io_link/*.cpp): mcrise's private stb copy and a
// user's own stb_image / stb_image_write implementation live in one program,
// in either include order, without duplicate or conflicting symbols.
#include <mcrise/io.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

int io_link_user_first(const std::string& path);
bool io_link_user_write(const std::string& path);
int io_link_mcrise_first(const std::string& path);

TEST_CASE("mcrise's stb and the user's stb link together and agree", "[io][link]") {
  const std::string p = (std::filesystem::temp_directory_path() / "mcrise_io_link.png").string();
  mcrise::save_png(p, mcrise::Image(3, 5, 3, 0.5f));
  CHECK(io_link_user_first(p) == 5005);
  CHECK(io_link_mcrise_first(p) == 3003);

  // A file written by the user's stb is read by mcrise's copy.
  REQUIRE(io_link_user_write(p));
  const mcrise::Image img = mcrise::load_image(p);
  REQUIRE(img.height() == 1);
  REQUIRE(img.width() == 2);
  CHECK(img(0, 0, 0) == 1.0f);
  CHECK(img(0, 1, 2) == 1.0f);
  CHECK(img(0, 1, 0) == 0.0f);
  std::remove(p.c_str());
}
