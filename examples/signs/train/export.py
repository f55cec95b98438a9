#!/usr/bin/python3
"""Export the bundled sign CNN to ONNX and TorchScript, without retraining.

    /usr/bin/python3 examples/signs/train/export.py        (from the repository root)

Reads examples/signs/sign_cnn.bin (the weights the Eigen runtime uses, format in
examples/signs/cnn.hpp) into train.py's SignNet and writes

  examples/signs/sign_cnn.onnx   ONNX opset 11, input "input" N x 3 x 48 x 48 float
                                 (N dynamic), output "logits" N x 10
  examples/signs/sign_cnn.pt     TorchScript trace, same input and output; its extra
                                 file "input_shape.txt" holds "3 48 48" (C H W), which
                                 mcrise::TorchScriptClassifier reads as the declared size
  tests/data/models/rank3_output.{onnx,pt}
                                 a tiny model (N x 3 x 8 x 8 -> N x 2 x 2) whose output is
                                 not 2-D, for the adapters' refusal tests

Both sign models return LOGITS (pre-softmax scores), as most PyTorch classifiers do;
the Eigen SignCnn returns probabilities, so run them with ModelInput::softmax = true
(`mcrise explain --softmax`) to get the same scores. The input is RGB in [0, 1],
channel-planar (NCHW), as rendered by render.hpp.

Uses Debian's python3-torch (1.13) on the CPU; torch.onnx needs no onnx package.
"""
import argparse
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import CHANNELS, SignNet  # noqa: E402  (the same network definition as training)


def load_bin(path):
    """sign_cnn.bin -> SignNet in eval mode (dropout off)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"MCRSCNN1":
        raise RuntimeError(f"{path}: not a sign CNN weights file")
    pos = 8

    def u32(n):
        nonlocal pos
        v = struct.unpack_from(f"<{n}I", raw, pos)
        pos += 4 * n
        return v

    def f32(shape):
        nonlocal pos
        count = int(np.prod(shape))
        a = np.frombuffer(raw, "<f4", count, pos).reshape(shape)
        pos += 4 * count
        return torch.from_numpy(a.astype(np.float32))

    height, width, channels, classes, n_conv = u32(5)
    if height != width or channels != 3 or n_conv != len(CHANNELS):
        raise RuntimeError(f"{path}: unexpected shape {height}x{width}x{channels}, {n_conv} convs")
    model = SignNet(height, classes)
    with torch.no_grad():
        for conv in model.convs:
            cin, cout, k = u32(3)
            conv.weight.copy_(f32((cout, cin, k, k)))
            conv.bias.copy_(f32((cout,)))
        fc_in, fc_out = u32(2)
        model.fc.weight.copy_(f32((fc_out, fc_in)))
        model.fc.bias.copy_(f32((fc_out,)))
    if pos != len(raw):
        raise RuntimeError(f"{path}: {len(raw) - pos} trailing bytes")
    return model.eval(), (channels, height, width)


class Rank3Output(nn.Module):
    """N x 3 x 8 x 8 -> N x 2 x 2: a model whose output is not N x L."""

    def forward(self, x):
        return nn.functional.avg_pool2d(x, 4).mean(1)


def save(model, example, chw, onnx_path, pt_path, output_name):
    dynamic = {"input": {0: "batch"}, output_name: {0: "batch"}}
    torch.onnx.export(model, example, onnx_path, opset_version=11, input_names=["input"],
                      output_names=[output_name], dynamic_axes=dynamic, do_constant_folding=True)
    traced = torch.jit.trace(model, example)
    torch.jit.save(traced, pt_path, _extra_files={"input_shape.txt": " ".join(map(str, chw))})


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(root, "examples/signs/sign_cnn.bin"))
    ap.add_argument("--out-dir", default=os.path.join(root, "examples/signs"))
    ap.add_argument("--test-dir", default=os.path.join(root, "tests/data/models"))
    args = ap.parse_args()
    torch.manual_seed(0)

    model, chw = load_bin(args.weights)
    example = torch.rand(2, *chw)
    onnx_path = os.path.join(args.out_dir, "sign_cnn.onnx")
    pt_path = os.path.join(args.out_dir, "sign_cnn.pt")
    save(model, example, chw, onnx_path, pt_path, "logits")

    # The exports must compute what torch computes, on the training code's own network.
    with torch.no_grad():
        x = torch.rand(5, *chw)
        want = model(x)
        got = torch.jit.load(pt_path)(x)
    err = (want - got).abs().max().item()
    if err > 1e-5:
        raise RuntimeError(f"TorchScript trace differs from the model by {err}")
    print(f"wrote {onnx_path} and {pt_path} (trace max |diff| {err:.2e})")

    os.makedirs(args.test_dir, exist_ok=True)
    bad = Rank3Output().eval()
    save(bad, torch.rand(2, 3, 8, 8), (3, 8, 8), os.path.join(args.test_dir, "rank3_output.onnx"),
         os.path.join(args.test_dir, "rank3_output.pt"), "out")
    print(f"wrote {args.test_dir}/rank3_output.onnx and .pt")


if __name__ == "__main__":
    main()
