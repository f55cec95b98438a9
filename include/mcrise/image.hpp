#pragma once
/// @file image.hpp
/// @brief Core value types shared by every part of mcrise: Image, ImageBatch,
///        Color, SaliencyMap and the batch Layout.

#include <mcrise/detail/limits.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// MCRISE_FRESH_PAGES: large buffers straight from the kernel (see BufferAllocator); define it to 0
// (the same in every translation unit) to take every buffer from operator new. Off under
// AddressSanitizer, which puts guard zones around operator new's blocks but not around mmap's
// pages: an overrun of a large buffer must stay detectable in the sanitizer builds.
#if defined(__SANITIZE_ADDRESS__)
#define MCRISE_DETAIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MCRISE_DETAIL_ASAN 1
#endif
#endif
#if !defined(MCRISE_FRESH_PAGES) && (defined(__unix__) || defined(__APPLE__)) && !defined(MCRISE_DETAIL_ASAN)
/// @brief 1: buffers of 1 MiB or more come from mmap, untouched (POSIX, not under AddressSanitizer);
///        define it to 0 in every translation unit to take every buffer from operator new.
#define MCRISE_FRESH_PAGES 1
#elif !defined(MCRISE_FRESH_PAGES)
/// @brief 0: every buffer comes from operator new (no POSIX, AddressSanitizer, or your choice).
#define MCRISE_FRESH_PAGES 0
#endif
#if MCRISE_FRESH_PAGES
#include <sys/mman.h>
#endif

namespace mcrise {

/// @brief A saliency map (or any per-pixel scalar plane): H rows x W columns,
///        row-major so that `map.data()[y * W + x]` is pixel (y, x), the same
///        pixel index used everywhere in mcrise (ties are broken by it).
using SaliencyMap = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// @brief Row-major double matrix: the scores of a batch, one row of L per image.
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// @brief One colour: C values in the same value range as the image
///        (for example {1, 0, 0} for red in a [0,1] RGB image).
using Color = std::vector<float>;

namespace detail {

/// Allocator for large numeric buffers (images, batches, the accumulators' sums):
/// - 64-byte (cache-line) aligned, so that every image and every batch slot whose size is a
///   multiple of 64 bytes starts on a cache line. A copy between two buffers whose addresses
///   differ modulo 32 runs up to 1.5x slower on this project's test machine, and with the
///   default allocator that depended on what happened to be allocated first;
/// - resize(n) without a value leaves trivially constructible elements uninitialised, so that
///   a large table can be cleared by several threads (detail::assign_zeros), or a batch filled
///   by several threads (ImageBatch::reshape_for_overwrite), each taking its own pages, instead
///   of one thread zeroing it all first. Everything else passes a value.
template <class T>
struct BufferAllocator {
  using value_type = T;
  static constexpr std::size_t alignment = 64;
  BufferAllocator() noexcept = default;
  template <class U>
  BufferAllocator(const BufferAllocator<U>&) noexcept {}
  /// Allocations of at least this many bytes come straight from the kernel (mmap on POSIX systems):
  /// page-aligned and zero, each page taken on its first touch (see fresh_zeros()).
  static constexpr std::size_t fresh_pages_bytes = std::size_t{1} << 20;
  /// Fresh allocations of at least this many bytes ask for transparent huge pages (Linux).
  static constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;
  /// True if a fresh allocation of n elements is known to be all zero bits, its pages not yet
  /// taken: a table that must start at zero then costs only the pages that are written.
  static constexpr bool fresh_zeros(std::size_t n) noexcept {
#if MCRISE_FRESH_PAGES
    return n <= std::numeric_limits<std::size_t>::max() / sizeof(T) && n * sizeof(T) >= fresh_pages_bytes;
#else
    (void)n;
    return false;
#endif
  }
  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
#if MCRISE_FRESH_PAGES
    if (fresh_zeros(n)) {
      void* p = ::mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
      // Transparent huge pages where the system offers them on request: a fresh 37 MB batch
      // buffer is then 19 faults, not 9,000 (each costs about 1.5 us on a virtual machine).
      if (n * sizeof(T) >= huge_page_bytes) (void)::madvise(p, n * sizeof(T), MADV_HUGEPAGE);
#endif
      return static_cast<T*>(p);
    }
#endif
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{alignment}));
  }
  void deallocate(T* p, [[maybe_unused]] std::size_t n) noexcept {
#if MCRISE_FRESH_PAGES
    if (fresh_zeros(n)) {
      ::munmap(p, n * sizeof(T));
      return;
    }
#endif
    ::operator delete(p, std::align_val_t{alignment});
  }
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
template <class T, class U>
bool operator==(const BufferAllocator<T>&, const BufferAllocator<U>&) noexcept {
  return true;
}
template <class T, class U>
bool operator!=(const BufferAllocator<T>&, const BufferAllocator<U>&) noexcept {
  return false;
}

}  // namespace detail

/// @brief Memory layout of the images inside an ImageBatch.
/// HWC: pixel-interleaved, `((b*H + y)*W + x)*C + c`.
/// CHW: planar, `((b*C + c)*H + y)*W + x` (what most ONNX / LibTorch models take).
enum class Layout { HWC, CHW };

namespace detail {
/// Throws std::invalid_argument ("<where>: unknown layout N") for a value that is neither HWC nor CHW.
/// `where` is a view, so a valid layout costs two comparisons and no string (the perturber calls it per image).
inline void check_layout(Layout layout, std::string_view where) {
  if (layout != Layout::HWC && layout != Layout::CHW)
    throw std::invalid_argument(std::string(where) + ": unknown layout " + std::to_string(static_cast<int>(layout)));
}
}  // namespace detail

/// @brief An H x W image with C channels of float, stored pixel-interleaved
///        (HWC, row-major). Values are in whatever range the user's model
///        expects; load_image() gives [0,1].
class Image {
 public:
  /// @brief An empty 0 x 0 image.
  Image() = default;

  /// @brief An image of the given size filled with `fill`.
  /// @param height rows, >= 0
  /// @param width columns, >= 0
  /// @param channels channels per pixel, >= 1 (3 for RGB)
  /// @param fill initial value of every channel
  /// @throws std::invalid_argument on a negative size, channels < 1, or more than 16 GiB of values
  ///         (detail::max_buffer_bytes), before any allocation.
  Image(int height, int width, int channels = 3, float fill = 0.0f)
      : height_(height), width_(width), channels_(channels) {
    if (height < 0 || width < 0 || channels < 1)
      throw std::invalid_argument("mcrise::Image(): invalid size " + std::to_string(height) + " x " +
                                  std::to_string(width) + " x " + std::to_string(channels));
    data_.assign(detail::checked_count("mcrise::Image()", "image", {height, width, channels}, sizeof(float)), fill);
  }

  /// @brief Rows.
  int height() const noexcept { return height_; }
  /// @brief Columns.
  int width() const noexcept { return width_; }
  /// @brief Channels per pixel.
  int channels() const noexcept { return channels_; }
  /// @brief Number of pixels, H * W.
  std::size_t pixels() const noexcept {
    return static_cast<std::size_t>(height_) * static_cast<std::size_t>(width_);
  }
  /// @brief Number of floats, H * W * C.
  std::size_t size() const noexcept { return data_.size(); }
  /// @brief True for a 0-pixel image.
  bool empty() const noexcept { return data_.empty(); }

  /// @brief Contiguous HWC storage.
  float* data() noexcept { return data_.data(); }
  /// @brief Contiguous HWC storage.
  const float* data() const noexcept { return data_.data(); }

  /// @brief Channel c of pixel (y, x); no bounds check.
  float& operator()(int y, int x, int c) noexcept { return data_[index(y, x, c)]; }
  /// @brief Channel c of pixel (y, x); no bounds check.
  float operator()(int y, int x, int c) const noexcept { return data_[index(y, x, c)]; }

  /// @brief Pointer to the C channels of pixel (y, x).
  float* pixel(int y, int x) noexcept { return data_.data() + index(y, x, 0); }
  /// @brief Pointer to the C channels of pixel (y, x).
  const float* pixel(int y, int x) const noexcept { return data_.data() + index(y, x, 0); }

  /// @brief Exact equality of size and every value.
  friend bool operator==(const Image& a, const Image& b) {
    return a.height_ == b.height_ && a.width_ == b.width_ && a.channels_ == b.channels_ &&
           a.data_ == b.data_;
  }
  /// @brief Negation of ==.
  friend bool operator!=(const Image& a, const Image& b) { return !(a == b); }

 private:
  std::size_t index(int y, int x, int c) const noexcept {
    return (static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) + static_cast<std::size_t>(x)) *
               static_cast<std::size_t>(channels_) +
           static_cast<std::size_t>(c);
  }

  int height_ = 0;
  int width_ = 0;
  int channels_ = 0;
  std::vector<float, detail::BufferAllocator<float>> data_;
};

/// @brief B images of the same H x W x C in one contiguous float buffer, in
///        the Layout the user chose, so `data()` can be handed to ONNX Runtime,
///        LibTorch or TensorRT without a copy.
class ImageBatch {
 public:
  /// @brief An empty batch.
  ImageBatch() = default;

  /// @brief A zero-filled batch with capacity for `size` images.
  /// @param size images, >= 0
  /// @param height rows, >= 0
  /// @param width columns, >= 0
  /// @param channels >= 1
  /// @param layout HWC or CHW
  /// @throws std::invalid_argument on a negative size, height or width, channels < 1, an unknown layout,
  ///         or more than 16 GiB of values (detail::max_buffer_bytes), before any allocation.
  ImageBatch(int size, int height, int width, int channels, Layout layout = Layout::HWC)
      : size_(size), height_(height), width_(width), channels_(channels), layout_(layout) {
    detail::check_layout(layout, "mcrise::ImageBatch()");
    if (size < 0 || height < 0 || width < 0 || channels < 1)
      throw std::invalid_argument("mcrise::ImageBatch(): invalid shape " + std::to_string(size) + " x " +
                                  std::to_string(height) + " x " + std::to_string(width) + " x " +
                                  std::to_string(channels));
    data_.assign(detail::checked_count("mcrise::ImageBatch()", "batch", {size, height, width, channels}, sizeof(float)),
                 0.0f);
  }

  /// @brief Number of images B in this batch (may be less than the capacity
  ///        the batch was created with, see resize()).
  int size() const noexcept { return size_; }
  /// @brief Rows of each image.
  int height() const noexcept { return height_; }
  /// @brief Columns of each image.
  int width() const noexcept { return width_; }
  /// @brief Channels of each image.
  int channels() const noexcept { return channels_; }
  /// @brief Layout of `data()`.
  Layout layout() const noexcept { return layout_; }

  /// @brief Floats per image, H * W * C.
  std::size_t image_floats() const noexcept {
    return static_cast<std::size_t>(height_) * static_cast<std::size_t>(width_) *
           static_cast<std::size_t>(channels_);
  }
  /// @brief The whole batch: B * H * W * C contiguous floats.
  float* data() noexcept { return data_.data(); }
  /// @brief The whole batch: B * H * W * C contiguous floats.
  const float* data() const noexcept { return data_.data(); }
  /// @brief Start of image b (0 <= b < size()).
  float* image_data(int b) noexcept { return data_.data() + static_cast<std::size_t>(b) * image_floats(); }
  /// @brief Start of image b (0 <= b < size()).
  const float* image_data(int b) const noexcept {
    return data_.data() + static_cast<std::size_t>(b) * image_floats();
  }

  /// @brief Channel c of pixel (y, x) of image b, in either layout; no bounds check.
  float operator()(int b, int y, int x, int c) const noexcept { return image_data(b)[offset(y, x, c)]; }
  /// @brief Channel c of pixel (y, x) of image b, in either layout; no bounds check.
  float& operator()(int b, int y, int x, int c) noexcept { return image_data(b)[offset(y, x, c)]; }

  /// @brief Offset of (y, x, c) inside one image for this batch's layout.
  std::size_t offset(int y, int x, int c) const noexcept {
    const auto H = static_cast<std::size_t>(height_), W = static_cast<std::size_t>(width_),
               C = static_cast<std::size_t>(channels_);
    return layout_ == Layout::HWC
               ? (static_cast<std::size_t>(y) * W + static_cast<std::size_t>(x)) * C + static_cast<std::size_t>(c)
               : (static_cast<std::size_t>(c) * H + static_cast<std::size_t>(y)) * W + static_cast<std::size_t>(x);
  }

  /// @brief Copy of image b as an HWC Image.
  /// @throws std::out_of_range if b is not in [0, size()).
  Image image(int b) const {
    if (b < 0 || b >= size_) throw std::out_of_range("mcrise::ImageBatch::image(): index out of range");
    Image out(height_, width_, channels_);
    copy_to(b, out);
    return out;
  }

  /// @brief Copy image b into `out` (HWC). Not checked: 0 <= b < size() and `out` must already have
  ///        this batch's image shape (H x W x C).
  void copy_to(int b, Image& out) const noexcept {
    const float* src = image_data(b);
    if (layout_ == Layout::HWC) {
      std::copy(src, src + image_floats(), out.data());
      return;
    }
    for (int y = 0; y < height_; ++y)
      for (int x = 0; x < width_; ++x)
        for (int c = 0; c < channels_; ++c) out(y, x, c) = src[offset(y, x, c)];
  }

  /// @brief Give the batch a new shape and layout, keeping its memory when it is large enough
  ///        (so a batch reused across calls costs no new pages). The image contents are
  ///        unspecified until written.
  /// @throws std::invalid_argument on a negative size, height or width, channels < 1, an unknown layout
  ///         or more than 16 GiB of values (the batch is then unchanged).
  void reshape(int size, int height, int width, int channels, Layout layout) {
    reshape_impl(size, height, width, channels, layout, true, "mcrise::ImageBatch::reshape()");
  }

  /// @brief As reshape(), but memory that has to be allocated is not cleared: its contents are
  ///        indeterminate, so every image must be written before it is read. For code that fills
  ///        the whole batch on several threads (the drivers' perturbation), which then also take
  ///        the fresh pages in parallel instead of one thread clearing them first.
  /// @throws std::invalid_argument as reshape().
  void reshape_for_overwrite(int size, int height, int width, int channels, Layout layout) {
    reshape_impl(size, height, width, channels, layout, false, "mcrise::ImageBatch::reshape_for_overwrite()");
  }

  /// @brief Set the number of images in use, keeping the buffer if it is large enough.
  /// @throws std::invalid_argument if n < 0 or n images would take more than 16 GiB.
  void resize(int n) {
    if (n < 0) throw std::invalid_argument("mcrise::ImageBatch::resize(): size must be >= 0, got " + std::to_string(n));
    const std::size_t need = detail::checked_count("mcrise::ImageBatch::resize()", "batch",
                                                   {n, height_, width_, channels_}, sizeof(float));
    if (data_.size() < need) data_.resize(need, 0.0f);
    size_ = n;
  }

 private:
  void reshape_impl(int size, int height, int width, int channels, Layout layout, bool clear, const char* where) {
    detail::check_layout(layout, where);
    if (size < 0 || height < 0 || width < 0 || channels < 1)
      throw std::invalid_argument(std::string(where) + ": invalid shape " + std::to_string(size) + " x " +
                                  std::to_string(height) + " x " + std::to_string(width) + " x " +
                                  std::to_string(channels));
    const std::size_t need = detail::checked_count(where, "batch", {size, height, width, channels}, sizeof(float));
    height_ = height;
    width_ = width;
    channels_ = channels;
    layout_ = layout;
    // Growing: drop the old contents first (they are unspecified anyway) instead of copying them.
    // resize() then clears the new memory, unless it was already grown here without clearing:
    // leaving that to the first writer measured slower for the metrics (one thread copies the
    // step images: -9% on a 225-step curve), so only reshape_for_overwrite() does it.
    if (data_.size() < need) {
      decltype(data_)().swap(data_);
      if (!clear) data_.resize(need);  // BufferAllocator: not cleared
    }
    resize(size);
  }

  int size_ = 0;
  int height_ = 0;
  int width_ = 0;
  int channels_ = 1;
  Layout layout_ = Layout::HWC;
  std::vector<float, detail::BufferAllocator<float>> data_;
};

}  // namespace mcrise
