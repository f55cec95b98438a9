// libFuzzer target for mcrise's public API: the input bytes become options, image shapes and
// values (NaN, inf, huge included), colours and fills, a fake model's behaviour (its number of
// scores, rows, NaN / huge scores, an exception on its n-th call) and rendering parameters, and
// drive one entry point per input: rise, debiased_rise, mc_rise (with adaptive stopping),
// deletion, insertion, ca_deletion, the accumulators, MaskGenerator and Perturber directly,
// the results' accessors, colorize / overlay / figures / colour bars / curve plots,
// Picture::paste and the Image / ImageBatch / Picture constructors.
//
// The property: no crash, no sanitizer report, no hang, and nothing the library returns as
// complete holds a NaN or an infinity (a map, a standard error, an AUC, a curve); the fuzzer
// aborts otherwise. Exceptions derived from std::exception (the library's refusals) and the
// fake model's own exception are fine.
//
// The work per input is bounded here, not by the library: images of at most 12 x 12 x 4, at
// most 64 masks, small figures. Huge sizes are asked for on purpose (every side and count can
// come from `huge()`), but only in combinations the library must refuse without allocating
// them: products that overflow, or exceed its 16 GiB limit on one buffer (above libFuzzer's
// 2 GiB -malloc_limit_mb, which turns an attempt into a reported crash).
// Build and run: fuzz/run.sh api (clang++ -fsanitize=fuzzer,address,undefined,float-cast-overflow).
#include <mcrise/mcrise.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// Reads the fuzz input; past its end every value is 0.
struct In {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t u8() { return n ? (--n, *p++) : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | u8();
    return v;
  }
  bool flag() { return u8() & 1; }
  int small(int lo, int hi) { return lo + static_cast<int>(u8() % static_cast<unsigned>(hi - lo + 1)); }
  // A side or count the library must refuse cheaply: negative, or far too large.
  int huge() {
    static const int table[] = {-1, -7, std::numeric_limits<int>::min(), 1 << 17, 1 << 20, 1 << 24,
                                1 << 29, (1 << 29) + 1, 1 << 30, std::numeric_limits<int>::max()};
    return table[u8() % (sizeof table / sizeof table[0])];
  }
  // A double: ordinary, tiny, huge or not finite.
  double real() {
    switch (u8() % 16) {
      case 0: return std::numeric_limits<double>::quiet_NaN();
      case 1: return std::numeric_limits<double>::infinity();
      case 2: return -std::numeric_limits<double>::infinity();
      case 3: return std::numeric_limits<double>::max();
      case 4: return -1e300;
      case 5: return 1e-300;
      case 6: return std::numeric_limits<double>::denorm_min();
      case 7: return 3.5e38;  // just above FLT_MAX
      case 8: return 1e20;
      case 9: return 0.0;
      case 10: return 1.0 - 1e-12;
      default: return static_cast<double>(static_cast<std::int32_t>(u32())) / 65536.0;
    }
  }
  float realf() {
    const double v = real();
    // A float-cast of an out-of-range double is UB: squash it to float's range (inf stays inf).
    if (std::isfinite(v) && std::abs(v) > 3.0e38) return v > 0 ? std::numeric_limits<float>::max()
                                                              : -std::numeric_limits<float>::max();
    return static_cast<float>(v);
  }
  double prob() {
    switch (u8() % 8) {
      case 0: return real();
      case 1: return 1e-300;
      case 2: return 1.0 - 1e-16;
      case 3: return 1e-7;
      default: return 0.05 + (u8() % 90) / 100.0;
    }
  }
};

// A short label: ASCII, control characters, UTF-8 and other high bytes.
std::string text(In& in) {
  std::string s(static_cast<std::size_t>(in.small(0, 12)), ' ');
  for (char& ch : s) ch = static_cast<char>(in.u8());
  return s;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "api_fuzz: property violated: %s\n", what);
  std::abort();
}

void check_finite(const mcrise::SaliencyMap& m, const char* what) {
  if (!m.allFinite()) fail(what);
}
void check_finite(const std::vector<mcrise::SaliencyMap>& ms, const char* what) {
  for (const auto& m : ms) check_finite(m, what);
}
// A standard error may be +inf (fewer than 2 groups hold samples), never NaN or negative.
void check_se(const mcrise::SaliencyMap& m) {
  for (Eigen::Index i = 0; i < m.size(); ++i)
    if (std::isnan(m.data()[i]) || m.data()[i] < 0) fail("standard error NaN or negative");
}

struct ModelError : std::exception {
  const char* what() const noexcept override { return "fake model failure"; }
};

// A batch classifier whose answers come from the input.
struct FakeModel {
  int classes = 3;
  int wrong_rows = 0;         // != 0: return this many extra rows
  int bad_mode = 0;           // 0 none, 1 NaN, 2 inf, 3 huge (FLT_MAX), 4 1e30, 5 1e20, 6 negative huge
  int bad_call = -1;          // the call on which bad_mode applies (-1: every call)
  int throw_call = -1;        // the call that throws ModelError
  int calls = 0;
  Eigen::MatrixXf operator()(const mcrise::ImageBatch& b) {
    const int call = calls++;
    if (call == throw_call) throw ModelError();
    Eigen::MatrixXf out(std::max(0, b.size() + wrong_rows), classes);
    for (Eigen::Index r = 0; r < out.rows(); ++r)
      for (Eigen::Index j = 0; j < out.cols(); ++j) {
        // A deterministic function of the image, so that the maps are not constant.
        const int rr = std::min<int>(static_cast<int>(r), b.size() - 1);
        double s = 0.1 * static_cast<double>(j);
        if (rr >= 0 && b.height() > 0 && b.width() > 0)
          s += static_cast<double>(b(rr, 0, 0, 0)) * (1.0 + static_cast<double>(j));
        out(r, j) = static_cast<float>(std::isfinite(s) ? std::clamp(s, -1e6, 1e6) : 0.0);
      }
    if (bad_mode && (bad_call < 0 || bad_call == call) && out.size() > 0) {
      const float v[] = {0, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                         std::numeric_limits<float>::max(), 1e30f, 1e20f, -std::numeric_limits<float>::max()};
      out(0, 0) = v[bad_mode];
      if (out.rows() > 1) out(out.rows() - 1, out.cols() - 1) = v[bad_mode];
    }
    return out;
  }
};

FakeModel make_model(In& in) {
  FakeModel m;
  m.classes = in.u8() % 8 == 0 ? in.small(0, 1) : in.small(1, 4);
  m.wrong_rows = in.u8() % 16 == 0 ? in.small(-2, 2) : 0;
  m.bad_mode = in.u8() % 4 == 0 ? in.small(0, 6) : 0;
  m.bad_call = in.flag() ? -1 : in.small(0, 4);
  m.throw_call = in.u8() % 8 == 0 ? in.small(0, 4) : -1;
  return m;
}

mcrise::Image make_image(In& in, int* channels_out = nullptr) {
  const int h = in.small(1, 12), w = in.small(1, 12), c = in.small(1, 4);
  mcrise::Image img(h, w, c);
  const int mode = in.u8() % 8;
  for (std::size_t i = 0; i < img.size(); ++i)
    img.data()[i] = mode == 0 ? in.realf() : static_cast<float>(in.u8()) / 255.0f;
  if (channels_out) *channels_out = c;
  return img;
}

mcrise::SaliencyMap make_map(In& in, int h, int w) {
  mcrise::SaliencyMap m(h, w);
  const int mode = in.u8() % 6;
  for (Eigen::Index i = 0; i < m.size(); ++i)
    m.data()[i] = mode == 0 ? in.real() : mode == 1 ? 1e300 * (in.u8() % 3 - 1.0) : (in.u8() - 128.0) / 64.0;
  return m;
}

std::vector<mcrise::Color> make_colors(In& in, int channels) {
  std::vector<mcrise::Color> cs(static_cast<std::size_t>(in.u8() % 8 == 0 ? in.small(0, 6) : in.small(1, 4)));
  for (auto& c : cs) {
    c.resize(static_cast<std::size_t>(in.u8() % 16 == 0 ? in.small(0, 5) : channels));
    for (auto& v : c) v = in.u8() % 8 == 0 ? in.realf() : static_cast<float>(in.u8()) / 255.0f;
  }
  return cs;
}

template <class Opt>
void sampling_options(In& in, Opt& o, const mcrise::Image& img) {
  o.n_masks = in.u8() % 16 == 0 ? static_cast<std::int64_t>(in.huge()) * (in.flag() ? 1 : 1 << 20) : in.small(1, 64);
  o.mask_probability = in.prob();
  o.grid_h = in.u8() % 16 == 0 ? in.huge() : in.small(1, img.height());
  o.grid_w = in.u8() % 16 == 0 ? in.huge() : in.small(1, img.width());
  o.seed = in.u32();
  o.batch_size = in.u8() % 16 == 0 ? in.huge() : in.small(1, 16);
  o.threads = in.small(0, 2);
  o.layout = static_cast<mcrise::Layout>(in.small(0, 2) % 3 == 2 && in.flag() ? 7 : in.small(0, 1));
  o.upsampling = in.flag() ? mcrise::Upsampling::nearest : mcrise::Upsampling::bilinear;
  o.random_shift = in.flag();
  o.se_groups = in.u8() % 4 == 0 ? 0 : in.u8() % 8 == 0 ? in.huge() : in.small(2, 8);
  o.target_relative_se = in.u8() % 4 == 0 ? (in.flag() ? in.real() : 0.05 * in.small(0, 20)) : 0.0;
  o.overlap = in.flag();
  o.sampler = static_cast<mcrise::Sampler>(in.small(0, 2));
  o.maps_on_demand = in.u8() % 4 == 0;
  o.all_classes = in.u8() % 4 == 0;
  if (!o.all_classes && in.flag()) {
    o.classes.resize(static_cast<std::size_t>(in.small(1, 3)));
    for (auto& c : o.classes) c = in.small(-1, 4);
  }
  // The harness bounds the work: the library is asked for at most 64 masks with a real image.
  if (o.n_masks > 64) o.n_masks = o.n_masks % 64 + 1;
}

// Figure options: sizes (some huge), overlay, value range, colour bar and title from the input.
mcrise::FigureOptions figure_options(In& in) {
  mcrise::FigureOptions fo;
  fo.panel_size = in.u8() % 4 == 0 ? in.huge() : in.small(8, 24);
  fo.text_scale = in.u8() % 4 == 0 ? in.huge() : in.small(1, 2);
  fo.overlay_alpha = in.flag() ? in.real() : 0.0;
  fo.value_max = in.u8() % 8 == 0 ? in.realf() : 1.0f;
  fo.color_bar = in.flag();
  fo.title = text(in);
  return fo;
}

// A callback that may stop the run after some batches.
struct Stopper {
  int after = -1;
  int seen = 0;
  bool operator()(const mcrise::Progress&) { return after >= 0 && ++seen > after; }
};

template <class Result>
void edit_classes(In& in, Result& r) {
  // Public fields are the user's: whatever is written there, accessors must not read out of bounds.
  switch (in.u8() % 6) {
    case 0: r.classes.push_back(in.small(0, 4)); break;
    case 1: if (!r.classes.empty()) r.classes.pop_back(); break;
    case 2: r.classes.insert(r.classes.begin(), in.small(0, 4)); break;
    default: break;
  }
}

void rise_like(In& in, bool debiased) {
  const mcrise::Image img = make_image(in);
  mcrise::RiseOptions o;
  sampling_options(in, o, img);
  FakeModel model = make_model(in);
  Stopper stop{in.u8() % 4 == 0 ? in.small(0, 3) : -1};
  mcrise::SaliencyResult r = debiased ? mcrise::debiased_rise(model, img, o, stop) : mcrise::rise(model, img, o, stop);
  if (r.complete) {
    for (int c : r.classes) {
      check_finite(r.map(c), "RISE map complete but not finite");
      if (r.se_groups > 0) check_se(r.standard_error(c));
    }
    if (r.target_reached && !(r.relative_standard_error <= o.target_relative_se)) fail("target reached but SE above");
  }
  if (r.se_groups > 0 && std::isnan(r.relative_standard_error) && r.masks_used > 0) fail("relative SE is NaN");
  edit_classes(in, r);
  for (int c = -1; c < 5; ++c) {
    try {
      check_finite(r.map(c), "RISE map after edit not finite");
      (void)r.standard_error(c);
    } catch (const std::invalid_argument&) {
    } catch (const std::logic_error&) {
    }
  }
}

void mc_rise_run(In& in) {
  int C = 3;
  const mcrise::Image img = make_image(in, &C);
  mcrise::McRiseOptions o;
  sampling_options(in, o, img);
  if (in.flag()) o.colors = make_colors(in, C);
  o.value_max = in.u8() % 8 == 0 ? in.realf() : 1.0f;
  FakeModel model = make_model(in);
  Stopper stop{in.u8() % 4 == 0 ? in.small(0, 3) : -1};
  mcrise::McRiseResult r = mcrise::mc_rise(model, img, o, stop);
  if (r.complete) {
    for (int c : r.classes) {
      check_finite(r.map(c), "MC-RISE map complete but not finite");
      check_finite(r.baseline(c), "MC-RISE baseline complete but not finite");
      check_finite(r.raw_maps(c), "MC-RISE raw map complete but not finite");
      if (r.se_groups > 0 && !r.on_demand())
        for (const auto& se : r.standard_error(c)) check_se(se);
    }
  }
  // Rendering of the result (figures, bars) with parameters from the input.
  if (!r.classes.empty() && in.flag()) {
    mcrise::FigureOptions fo = figure_options(in);
    fo.image_label = text(in);
    (void)mcrise::color_saliency_figure(img, r, r.classes[0], fo);
  }
  edit_classes(in, r);
  for (int c = -1; c < 5; ++c) {
    try {
      check_finite(r.map(c), "MC-RISE map after edit not finite");
      (void)r.baseline(c);
      (void)r.raw_maps(c);
      (void)r.standard_error(c);
    } catch (const std::invalid_argument&) {
    } catch (const std::logic_error&) {
    }
  }
}

void metric_run(In& in, int which) {
  int C = 3;
  const mcrise::Image img = make_image(in, &C);
  FakeModel model = make_model(in);
  Stopper stop{in.u8() % 4 == 0 ? in.small(0, 3) : -1};
  const int cls = in.small(-1, 4);
  const std::int64_t step = in.u8() % 8 == 0 ? static_cast<std::int64_t>(in.huge()) * 4096 : in.small(1, 40);
  mcrise::MetricCurve curve;
  if (which == 0) {
    mcrise::DeletionOptions o;
    if (in.flag()) o.step = step;
    o.batch_size = in.u8() % 8 == 0 ? in.huge() : in.small(1, 16);
    if (in.flag()) {
      const auto fills = make_colors(in, C);
      if (!fills.empty()) o.fill = fills[0];
    }
    const mcrise::SaliencyMap map = make_map(in, in.u8() % 16 == 0 ? 1 : img.height(), img.width());
    curve = mcrise::deletion(model, img, map, cls, o, stop);
  } else if (which == 1) {
    mcrise::InsertionOptions o;
    if (in.flag()) o.step = step;
    o.batch_size = in.small(1, 16);
    o.blur_sigma = in.flag() ? in.real() : 0.5 * in.small(0, 10);
    const mcrise::SaliencyMap map = make_map(in, img.height(), img.width());
    curve = mcrise::insertion(model, img, map, cls, o, stop);
  } else {
    mcrise::CaDeletionOptions o;
    if (in.flag()) o.step = step;
    o.batch_size = in.small(1, 16);
    const auto colors = make_colors(in, C);
    std::vector<mcrise::SaliencyMap> maps;
    const std::size_t n_maps = colors.size() + (in.u8() % 16 == 0 ? 1 : 0);
    for (std::size_t k = 0; k < n_maps; ++k)
      maps.push_back(make_map(in, img.height(), img.width()));
    curve = mcrise::ca_deletion(model, img, maps, colors, cls, o, stop);
  }
  if (curve.complete) {
    if (!std::isfinite(curve.auc)) fail("metric AUC complete but not finite");
    for (double v : curve.confidences)
      if (!std::isfinite(v)) fail("metric confidence not finite");
  }
  if (in.flag() && curve.confidences.size() >= 2) {
    mcrise::CurvePlotOptions po;
    po.width = in.u8() % 8 == 0 ? in.huge() : in.small(160, 240);
    po.height = in.u8() % 8 == 0 ? in.huge() : in.small(120, 200);
    po.text_scale = in.u8() % 8 == 0 ? in.huge() : in.small(1, 2);
    po.y_min = in.flag() ? in.real() : 0.0;
    po.y_max = in.flag() ? in.real() : 1.0;
    po.title = text(in);
    po.x_label = text(in);
    (void)mcrise::curve_plot({mcrise::Curve{text(in), curve.confidences, curve.fractions}}, po);
  }
}

void accumulators(In& in) {
  const int H = in.small(1, 10), W = in.small(1, 10);
  const bool colour = in.flag();
  const int K = colour ? in.small(1, 4) : 1;
  mcrise::MaskOptions mo;
  mo.grid_h = in.small(1, H);
  mo.grid_w = in.small(1, W);
  mo.mask_probability = in.prob();
  mo.seed = in.u32();
  mo.random_shift = in.flag();
  mo.upsampling = in.flag() ? mcrise::Upsampling::nearest : mcrise::Upsampling::bilinear;
  mo.sampler = static_cast<mcrise::Sampler>(in.small(0, 2));
  const mcrise::MaskGenerator gen(H, W, K, mo);
  // A second generator that differs in one option: its samples must be refused (or fit exactly).
  mcrise::MaskOptions other = mo;
  int K2 = K;
  switch (in.u8() % 6) {
    case 0: other.mask_probability = mo.mask_probability < 0.5 ? 0.75 : 0.25; break;
    case 1: K2 = K == 1 ? 1 : K - 1; break;
    case 2: other.seed = mo.seed + 1; break;
    case 3: other.grid_h = std::max(1, mo.grid_h - 1); break;
    default: break;
  }
  const mcrise::MaskGenerator gen2(H, W, K2, other);
  const bool foreign = in.u8() % 4 == 0;
  std::vector<int> classes{in.small(0, 2)};
  if (in.flag()) classes.push_back(in.small(0, 3));
  const int se = in.flag() ? 0 : in.small(2, 4);
  const double score_scale = in.u8() % 4 == 0 ? in.real() : 1.0;
  const int n = in.small(1, 24);
  Eigen::VectorXd scores(4);
  auto feed = [&](auto& acc) {
    for (int i = 0; i < n; ++i) {
      const mcrise::MaskSample s = (foreign ? gen2 : gen).sample(static_cast<std::uint64_t>(i));
      for (Eigen::Index j = 0; j < scores.size(); ++j) scores(j) = score_scale * (0.25 * j + (s.cells[0] ? 1 : 0));
      acc.add(s, scores);
    }
  };
  // Feeds the samples (a refusal stops the feeding, the accumulator keeps what it took) and
  // tells whether there is anything to read back.
  auto fed = [&](auto& acc) {
    try {
      feed(acc);
    } catch (const std::invalid_argument&) {
    }
    return acc.count() > 0;
  };
  if (K == 1 && in.flag()) {
    mcrise::RiseAccumulator acc(gen, classes, se);
    if (fed(acc))
      for (int c : classes) {
        check_finite(acc.rise(c), "accumulator RISE map not finite");
        check_finite(acc.debiased(c), "accumulator debiased map not finite");
        if (se) check_se(acc.rise_standard_error(c));
      }
  } else {
    mcrise::McRiseAccumulator acc(gen, classes, se);
    if (fed(acc))
      for (int c : classes) {
        check_finite(acc.maps(c), "accumulator MC-RISE map not finite");
        check_finite(acc.baseline(c), "accumulator baseline not finite");
        if (se)
          for (const auto& m : acc.standard_errors(c)) check_se(m);
      }
  }
  // The perturber on the same generator, with fills from the input.
  mcrise::Image img(H, W, in.small(1, 4));
  for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = static_cast<float>(in.u8()) / 255.0f;
  const auto fills = make_colors(in, img.channels());
  const mcrise::Perturber pert(img, gen, fills);
  const mcrise::Image out = pert(gen.sample(in.u32()));
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!std::isfinite(out.data()[i])) fail("perturbed image not finite from finite image and fills");
  (void)gen.planes(gen2.sample(0));
}

void generator_shapes(In& in) {
  // Sides over max_side, and grids whose cell count overflows int. The interpolation tables
  // take about 32 bytes per pixel of a side, so the harness keeps the accepted sides at 2^17.
  static const int sides[] = {-1, 0, 46341, 65536, 1 << 17, (1 << 29) + 1, std::numeric_limits<int>::max()};
  const int H = in.flag() ? sides[in.u8() % 7] : in.small(1, 64);
  const int W = in.flag() ? sides[in.u8() % 7] : in.small(1, 64);
  mcrise::MaskOptions mo;
  mo.grid_h = H > 64 ? H - in.small(0, 3) : in.small(1, 64);
  mo.grid_w = W > 64 ? W - in.small(0, 3) : in.small(1, 64);
  mo.mask_probability = in.prob();
  const mcrise::MaskGenerator gen(H, W, in.small(0, 256), mo);
  if (gen.geometry().grid_h * static_cast<long long>(gen.geometry().grid_w) <= 4096) (void)gen.sample(in.u32());
}

void shapes(In& in) {
  // Constructors asked for sizes that cannot be allocated: refused before any allocation.
  const int a = in.huge(), b = in.huge(), c = in.flag() ? in.huge() : in.small(-1, 4);
  const int n = in.flag() ? in.huge() : in.small(0, 3);
  switch (in.u8() % 4) {
    case 0: (void)mcrise::Image(a, b, c); break;
    case 1:
      (void)mcrise::ImageBatch(n, a, b, c);
      if (n == 0) return;  // a batch of no images holds nothing, whatever their shape
      break;
    case 2: (void)mcrise::Picture(a, b); break;
    default: {
      mcrise::ImageBatch batch;
      batch.reshape(n, a, b, c < 1 ? 1 : c, mcrise::Layout::HWC);
      if (n == 0) return;
    }
  }
  fail("a size that cannot be allocated was accepted");
}

void rendering(In& in) {
  int C = 3;
  const mcrise::Image img = make_image(in, &C);
  const mcrise::SaliencyMap map = make_map(in, img.height(), img.width());
  const auto cm = static_cast<mcrise::Colormap>(in.small(0, 3));
  switch (in.u8() % 7) {
    case 0: {
      const mcrise::Picture p = mcrise::colorize(map, cm);
      if (p.height() != map.rows() || p.width() != map.cols()) fail("colorize shape");
      break;
    }
    case 1: {
      mcrise::ColorScale s{in.real(), in.real()};
      (void)mcrise::colorize(map, cm, s);
      break;
    }
    case 2: {
      mcrise::OverlayOptions o;
      o.alpha = in.real();
      o.value_max = in.realf();
      (void)mcrise::overlay(img, map, o);
      break;
    }
    case 3: {
      mcrise::ColorBarOptions o;
      o.height = in.u8() % 4 == 0 ? in.huge() : in.small(8, 64);
      o.bar_width = in.u8() % 4 == 0 ? in.huge() : in.small(1, 20);
      o.ticks = in.u8() % 4 == 0 ? in.huge() : in.small(2, 8);
      o.text_scale = in.u8() % 4 == 0 ? in.huge() : in.small(1, 2);
      (void)mcrise::color_bar(cm, mcrise::ColorScale{in.real(), in.real()}, o);
      break;
    }
    case 4: {
      mcrise::Picture dst(in.small(0, 16), in.small(0, 16));
      const mcrise::Picture src(in.small(0, 8), in.small(0, 8), mcrise::Rgb{1, 2, 3});
      const int y = in.flag() ? in.huge() : in.small(-8, 16);
      const int x = in.flag() ? in.huge() : in.small(-8, 16);
      dst.paste(src, y, x);
      dst.fill(mcrise::Rect{in.flag() ? in.huge() : 0, in.flag() ? in.huge() : 0, in.huge(), in.huge()},
               mcrise::Rgb{9, 9, 9});
      break;
    }
    case 5: {
      const auto colors = make_colors(in, C);
      std::vector<mcrise::SaliencyMap> maps;
      for (std::size_t k = 0; k < colors.size(); ++k) maps.push_back(make_map(in, img.height(), img.width()));
      mcrise::FigureOptions fo = figure_options(in);
      fo.color_names = {text(in), text(in)};
      (void)mcrise::color_saliency_figure(img, maps, colors, fo);
      break;
    }
    default: {
      std::vector<double> y(static_cast<std::size_t>(in.small(0, 6)));
      for (auto& v : y) v = in.real();
      std::vector<double> x;
      if (in.flag()) {
        x.resize(y.size());
        double t = in.real();
        for (auto& v : x) v = (t += std::abs(in.real()));
      }
      const double auc = mcrise::curve_auc(y, x);
      if (!std::isfinite(auc)) fail("curve_auc returned a non-finite area");
      std::vector<mcrise::SaliencyMap> ms{map}, ses{make_map(in, img.height(), img.width())};
      const double rse = mcrise::relative_standard_error(ms, ses);
      if (std::isnan(rse)) fail("relative_standard_error is NaN");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  In in{data, size};
  try {
    switch (in.u8() % 11) {
      case 0: rise_like(in, false); break;
      case 1: rise_like(in, true); break;
      case 2: mc_rise_run(in); break;
      case 3: metric_run(in, 0); break;
      case 4: metric_run(in, 1); break;
      case 5: metric_run(in, 2); break;
      case 6: accumulators(in); break;
      case 7: generator_shapes(in); break;
      case 8: shapes(in); break;
      default: rendering(in); break;
    }
  } catch (const ModelError&) {
  } catch (const std::exception&) {
  }
  return 0;
}
