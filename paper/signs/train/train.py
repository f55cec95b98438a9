#!/usr/bin/python3
"""Train a sign classifier on rendered signs and export it for the C++/Eigen runtime.

Run through train.sh (which renders the data with dump_signs first):
    paper/signs/train/train.sh                      # the CNN (--arch cnn)
    SIGNS_ARCH=resnet paper/signs/train/train.sh    # the residual network (--arch resnet)
Uses Debian's python3-torch (apt-get install -y python3-torch) on the CPU.

Writes (--out, --reference)
  sign_cnn.bin / sign_resnet.bin  weights, formats documented in paper/signs/cnn.hpp
                                  and paper/signs/resnet.hpp
  *_reference.bin                 the first 10 held-out inputs and this model's logits
                                  and probabilities on them (eval mode, torch's own
                                  batch norm), to check the C++ inference
"""
import argparse
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CHANNELS = (16, 24, 48)  # conv widths; each conv is 3x3 'same' + ReLU + 2x2 max-pool
RESNET_STEM = 16  # the residual network's stem: 3x3 conv, stride 2, + BN + ReLU (48 -> 24 pixels)
RESNET_BLOCKS = ((24, 2), (48, 2))  # (width, stride) of each basic block: 24 -> 12 -> 6 pixels


def read_dump(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"SIGNDUMP":
        raise RuntimeError(f"{path}: not a sign dump")
    n, h, w, c = struct.unpack("<4I", raw[8:24])
    labels = np.frombuffer(raw, np.uint8, n, 24).astype(np.int64)
    pixels = np.frombuffer(raw, np.uint8, n * h * w * c, 24 + n).reshape(n, h, w, c)
    return pixels, labels


def to_tensor(pixels):
    """uint8 N x H x W x C -> float N x C x H x W in [0, 1] (same float ops as the C++ test)."""
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(0, 3, 1, 2))).float() / 255.0


class SignNet(nn.Module):
    def __init__(self, size, num_classes):
        super().__init__()
        chans = (3,) + CHANNELS
        self.convs = nn.ModuleList(nn.Conv2d(chans[i], chans[i + 1], 3, padding=1) for i in range(len(CHANNELS)))
        side = size >> len(CHANNELS)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(CHANNELS[-1] * side * side, num_classes)

    def forward(self, x):
        for conv in self.convs:
            x = F.max_pool2d(F.relu(conv(x)), 2)
        return self.fc(self.drop(torch.flatten(x, 1)))


class BasicBlock(nn.Module):
    """ResNet's basic block (He et al., 2016): conv3x3-BN-ReLU-conv3x3-BN, plus the input
    (or its 1x1 strided conv + BN projection when the shape changes), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.proj is None else self.proj(x)))


class SignResNet(nn.Module):
    """A small residual network: strided stem, two basic blocks, global average pool, fc."""

    def __init__(self, size, num_classes):
        super().__init__()
        self.stem = nn.Conv2d(3, RESNET_STEM, 3, 2, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(RESNET_STEM)
        blocks, cin = [], RESNET_STEM
        for cout, stride in RESNET_BLOCKS:
            blocks.append(BasicBlock(cin, cout, stride))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        for block in self.blocks:
            x = block(x)
        return self.fc(self.drop(x.mean((2, 3))))


def fold_bn(conv, bn):
    """Batch norm (eval mode) folded into the preceding bias-free conv: (weight, bias)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return conv.weight * scale.reshape(-1, 1, 1, 1), bn.bias - bn.running_mean * scale


def f32(t):
    return t.detach().contiguous().numpy().astype("<f4").tobytes()


def export_resnet(model, size, num_classes, path):
    """Weights of SignResNet, batch norm folded, in the format of paper/signs/resnet.hpp."""

    def conv(c, bn):
        w, b = fold_bn(c, bn)
        cout, cin, k, _ = w.shape
        return [struct.pack("<4I", cin, cout, k, c.stride[0]), f32(w), f32(b)]

    out = [b"MCRSRES1", struct.pack("<5I", size, size, 3, num_classes, len(model.blocks))]
    out += conv(model.stem, model.stem_bn)
    for block in model.blocks:
        out += [struct.pack("<I", 0 if block.proj is None else 1)]
        out += conv(block.conv1, block.bn1) + conv(block.conv2, block.bn2)
        if block.proj is not None:
            out += conv(block.proj[0], block.proj[1])
    out += [struct.pack("<2I", model.fc.in_features, model.fc.out_features), f32(model.fc.weight), f32(model.fc.bias)]
    with open(path, "wb") as f:
        f.write(b"".join(out))


def export(model, size, num_classes, path):
    out = [b"MCRSCNN1", struct.pack("<5I", size, size, 3, num_classes, len(model.convs))]
    for conv in model.convs:
        cout, cin, k, _ = conv.weight.shape
        out += [struct.pack("<3I", cin, cout, k), f32(conv.weight), f32(conv.bias)]
    out += [struct.pack("<2I", model.fc.in_features, model.fc.out_features), f32(model.fc.weight), f32(model.fc.bias)]
    with open(path, "wb") as f:
        f.write(b"".join(out))


def accuracy(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=("cnn", "resnet"), default="cnn")
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="sign_cnn.bin")
    ap.add_argument("--reference", default="sign_cnn_reference.bin")
    args = ap.parse_args()

    torch.manual_seed(2020)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    px, y = read_dump(args.train)
    vpx, vy = read_dump(args.val)
    size, num_classes = px.shape[1], 10
    x, y = to_tensor(px), torch.from_numpy(y)
    vx, vy = to_tensor(vpx), torch.from_numpy(vy)
    print(f"train {tuple(x.shape)}, val {tuple(vx.shape)}", flush=True)

    model = (SignNet if args.arch == "cnn" else SignResNet)(size, num_classes)
    print(f"{args.arch}: {sum(p.numel() for p in model.parameters())} parameters", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(x) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(2020)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{args.epochs}  loss {total / len(x):.4f}  "
              f"val acc {accuracy(model, vx, vy):.4f}  {time.time() - t0:.0f}s", flush=True)

    model.eval()
    acc = accuracy(model, vx, vy)
    print(f"held-out accuracy (seed of --val, {len(vx)} signs): {acc:.4f}", flush=True)
    (export if args.arch == "cnn" else export_resnet)(model, size, num_classes, args.out)

    # Reference: the first 10 held-out signs (one per class), logits and probabilities.
    n = 10
    with torch.no_grad():
        logits = model(vx[:n])
        probs = torch.softmax(logits, 1)
    with open(args.reference, "wb") as f:
        f.write(b"MCRSREF1" + struct.pack("<5I", n, size, size, 3, num_classes))
        f.write(np.ascontiguousarray(vpx[:n]).tobytes())
        f.write(logits.numpy().astype("<f4").tobytes())
        f.write(probs.numpy().astype("<f4").tobytes())
    print(f"wrote {args.out} and {args.reference}")


if __name__ == "__main__":
    main()
