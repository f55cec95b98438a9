// Link test, TU 2: the user compiles the stb implementations *themselves* (as
// stb's docs tell them to), with the default extern linkage, and includes
// mcrise/io.hpp afterwards in the same file. Both copies must coexist.
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <mcrise/io.hpp>

#include <string>

// Uses the user's global stb, then mcrise's private copy, in one function.
int io_link_user_first(const std::string& path) {
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load(path.c_str(), &w, &h, &c, 3);
  if (!px) return -1;
  stbi_image_free(px);
  return w * 1000 + mcrise::load_image(path).width();
}

// The user's stb_image_write (global, extern) writes a file.
bool io_link_user_write(const std::string& path) {
  const unsigned char rgb[6] = {255, 0, 0, 0, 0, 255};
  return stbi_write_png(path.c_str(), 2, 1, 3, rgb, 6) != 0;
}
