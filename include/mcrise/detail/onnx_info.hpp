#pragma once
/// @file onnx_info.hpp
/// @brief The declared inputs and outputs of an ONNX model, read from the file's protobuf
///        encoding (the few fields needed; no protobuf library). OpenCV's DNN module does not
///        report them, and the adapter must check an image's size before the model runs.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mcrise {
namespace detail {

/// One graph input or output: its name and dims (-1 for a symbolic or missing dimension);
/// `ranked` is false if the file gives no shape at all.
struct OnnxValueInfo {
  std::string name;
  std::vector<std::int64_t> dims;
  bool ranked = false;
};

/// The graph's real inputs (initializers listed as inputs are left out) and its outputs.
struct OnnxGraphInfo {
  std::vector<OnnxValueInfo> inputs;
  std::vector<OnnxValueInfo> outputs;
};

/// Reads protobuf wire format: varints, length-delimited fields and fixed-size fields.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view bytes) : bytes_(bytes) {}
  bool done() const noexcept { return pos_ >= bytes_.size(); }

  /// Next field: its number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
  void next(std::uint64_t& field, int& wire) {
    const std::uint64_t key = varint();
    field = key >> 3;
    wire = static_cast<int>(key & 7);
    if (field == 0 || (wire != 0 && wire != 1 && wire != 2 && wire != 5))
      throw std::runtime_error("invalid protobuf field key at byte " + std::to_string(pos_));
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (done()) throw std::runtime_error("truncated varint");
      const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    throw std::runtime_error("varint longer than 10 bytes");
  }
  std::string_view bytes() {
    const std::uint64_t n = varint();
    if (n > bytes_.size() - pos_) throw std::runtime_error("a field runs past the end of its message");
    const std::string_view v = bytes_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  void skip(int wire) {
    const std::size_t n = wire == 1 ? 8 : wire == 5 ? 4 : 0;
    if (wire == 0) varint();
    else if (wire == 2) bytes();
    else if (n > bytes_.size() - pos_) throw std::runtime_error("a fixed-size field runs past the end");
    else pos_ += n;
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

/// ValueInfoProto {1: name, 2: TypeProto {1: Tensor {2: TensorShapeProto {1: Dimension {1: dim_value}}}}}.
inline OnnxValueInfo parse_onnx_value_info(std::string_view msg) {
  OnnxValueInfo info;
  std::uint64_t f;
  int w;
  ProtoReader r(msg);
  while (!r.done()) {
    r.next(f, w);
    if (f == 1 && w == 2) {
      info.name = std::string(r.bytes());
    } else if (f == 2 && w == 2) {
      ProtoReader type(r.bytes());
      while (!type.done()) {
        type.next(f, w);
        if (f != 1 || w != 2) { type.skip(w); continue; }
        ProtoReader tensor(type.bytes());
        while (!tensor.done()) {
          tensor.next(f, w);
          if (f != 2 || w != 2) { tensor.skip(w); continue; }
          info.ranked = true;
          ProtoReader shape(tensor.bytes());
          while (!shape.done()) {
            shape.next(f, w);
            if (f != 1 || w != 2) { shape.skip(w); continue; }
            std::int64_t value = -1;
            ProtoReader dim(shape.bytes());
            while (!dim.done()) {
              dim.next(f, w);
              if (f == 1 && w == 0) value = static_cast<std::int64_t>(dim.varint());
              else dim.skip(w);
            }
            info.dims.push_back(value > 0 ? value : -1);
          }
        }
      }
    } else {
      r.skip(w);
    }
  }
  return info;
}

/// ModelProto {7: GraphProto {5: initializer TensorProto {8: name}, 11: input, 12: output}}.
/// @throws std::runtime_error if the bytes are not a protobuf message with a graph.
inline OnnxGraphInfo read_onnx_info(std::string_view model) {
  std::uint64_t f;
  int w;
  std::string_view graph;
  bool has_graph = false;
  ProtoReader r(model);
  while (!r.done()) {
    r.next(f, w);
    if (f == 7 && w == 2) {
      graph = r.bytes();
      has_graph = true;
    } else {
      r.skip(w);
    }
  }
  if (!has_graph) throw std::runtime_error("no graph in the file");
  OnnxGraphInfo info;
  std::set<std::string, std::less<>> initializers;
  std::vector<OnnxValueInfo> inputs;
  ProtoReader g(graph);
  while (!g.done()) {
    g.next(f, w);
    if (f == 11 && w == 2) {
      inputs.push_back(parse_onnx_value_info(g.bytes()));
    } else if (f == 12 && w == 2) {
      info.outputs.push_back(parse_onnx_value_info(g.bytes()));
    } else if (f == 5 && w == 2) {
      ProtoReader t(g.bytes());
      while (!t.done()) {
        t.next(f, w);
        if (f == 8 && w == 2) initializers.emplace(t.bytes());
        else t.skip(w);
      }
    } else {
      g.skip(w);
    }
  }
  for (auto& in : inputs)
    if (!initializers.count(in.name)) info.inputs.push_back(std::move(in));
  return info;
}

}  // namespace detail
}  // namespace mcrise
