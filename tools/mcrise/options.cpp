#include "options.hpp"

#include "files.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise::cli {

namespace {

struct KnownColor {
  const char* name;
  float r, g, b;
};
constexpr KnownColor known_colors[] = {{"red", 1, 0, 0},    {"green", 0, 1, 0},   {"blue", 0, 0, 1},
                                       {"white", 1, 1, 1},  {"black", 0, 0, 0},   {"yellow", 1, 1, 0},
                                       {"cyan", 0, 1, 1},   {"magenta", 1, 0, 1}, {"grey", .5f, .5f, .5f},
                                       {"gray", .5f, .5f, .5f}, {"orange", 1, .5f, 0}};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::vector<NamedColor> parse_colors(const std::vector<std::string>& text) {
  std::vector<NamedColor> out;
  const std::vector<std::string> names =
      text.empty() ? std::vector<std::string>{"red", "green", "blue", "white", "black"} : text;
  for (const auto& raw : names) {
    std::string name = raw;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name.size() == 7 && name[0] == '#' &&
        std::all_of(name.begin() + 1, name.end(), [](char c) { return hex_digit(c) >= 0; })) {
      Color c;
      for (int i = 0; i < 3; ++i)
        c.push_back(static_cast<float>(hex_digit(name[1 + 2 * i]) * 16 + hex_digit(name[2 + 2 * i])) / 255.0f);
      out.push_back({name, c});
      continue;
    }
    if (name.rfind("blur:", 0) == 0) {
      const std::string num = name.substr(5);
      std::size_t used = 0;
      double sigma = -1.0;
      try {
        sigma = std::stod(num, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (num.empty() || used != num.size() || !(sigma >= 0.0 && sigma <= 1e5))
        throw std::runtime_error("bad blur fill '" + raw + "' in --colors: use blur:S with S in [0, 1e5] pixels");
      out.push_back({name, Color{}, sigma});
      continue;
    }
    const auto it = std::find_if(std::begin(known_colors), std::end(known_colors),
                                 [&](const KnownColor& k) { return name == k.name; });
    if (it == std::end(known_colors))
      throw std::runtime_error("unknown colour '" + raw +
                               "' in --colors: use red, green, blue, white, black, yellow, cyan, magenta, grey, "
                               "orange, #rrggbb or blur:S");
    out.push_back({name, Color{it->r, it->g, it->b}});
  }
  return out;
}

std::vector<Fill> make_fills(const std::vector<NamedColor>& colors, const Image& image) {
  std::vector<Fill> fills;
  for (const auto& c : colors)
    fills.push_back(c.blur_sigma >= 0.0 ? Fill::blurred(image, c.blur_sigma) : Fill(c.value));
  return fills;
}

std::pair<int, int> parse_size(const std::string& text) {
  const auto bad = [&] {
    return std::runtime_error("--input-size must be HxW with H and W in 1..65535 (e.g. 224x224), got '" + text + "'");
  };
  const std::size_t x = text.find_first_of("xX");
  if (x == std::string::npos || x == 0 || x + 1 == text.size() || x > 5 || text.size() - x - 1 > 5) throw bad();
  const std::string h = text.substr(0, x), w = text.substr(x + 1);
  const auto digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  if (!digits(h) || !digits(w)) throw bad();
  const int hv = std::stoi(h), wv = std::stoi(w);
  if (hv < 1 || wv < 1 || hv > 65535 || wv > 65535) throw bad();
  return {hv, wv};
}

ModelInput model_input(const ToolOptions& opt) {
  if (!opt.mean.empty() && opt.mean.size() != 3)
    throw std::runtime_error("--mean needs 3 values (one per channel), got " + std::to_string(opt.mean.size()));
  if (!opt.std.empty() && opt.std.size() != 3)
    throw std::runtime_error("--std needs 3 values (one per channel), got " + std::to_string(opt.std.size()));
  for (float s : opt.std)
    if (!(s > 0.0f) || !std::isfinite(s))
      throw std::runtime_error("--std values must be finite and > 0, got " + std::to_string(s));
  for (float m : opt.mean)
    if (!std::isfinite(m)) throw std::runtime_error("--mean values must be finite, got " + std::to_string(m));
  ModelInput in;
  in.mean = opt.mean;
  in.std = opt.std;
  in.bgr = opt.bgr;
  in.softmax = opt.softmax;
  return in;
}

std::vector<std::string> read_labels(const std::string& path) {
  const std::vector<std::string> labels = split_lines(read_text_file(path, "labels file"));
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i].find_first_not_of(" \t") == std::string::npos)
      throw std::runtime_error("labels file '" + path + "' line " + std::to_string(i + 1) +
                               " is empty: it needs one label per line, one line per class");
  if (labels.empty()) throw std::runtime_error("labels file '" + path + "' is empty");
  return labels;
}

}  // namespace mcrise::cli
