// Link test, TU 3: mcrise/io.hpp first, then the user's stb *declarations*
// (no implementation here; it lives in user_stb_first.cpp), plus a user
// configuration macro that must not be disturbed by mcrise's copy.
#include <mcrise/io.hpp>
#include <mcrise/render.hpp>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#ifdef STB_IMAGE_STATIC
#error "mcrise/io.hpp leaked STB_IMAGE_STATIC"
#endif
#ifdef stbi_load
#error "mcrise/io.hpp leaked its renaming macros"
#endif

#include <string>

int io_link_mcrise_first(const std::string& path) {
  int w = 0, h = 0, c = 0;
  if (!stbi_info(path.c_str(), &w, &h, &c)) return -1;  // the user's (global, extern) stb
  return h * 1000 + mcrise::load_image(path).height();
}
