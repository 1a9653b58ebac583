#!/usr/bin/python3
"""Trains qtool's bundled example model: a small CNN on scikit-learn's 8x8 digits, exported to ONNX.

Run with Debian's interpreter (python3-torch, python3-sklearn, python3-onnx):
    /usr/bin/python3 examples/digits/train.py
Deterministic: fixed seeds, single thread. Writes digits_cnn.onnx beside this file. The split (first 1437
samples train, last 360 test, scikit-learn's order) and the input scaling (pixel / 16, values 0..1, shape
N x 1 x 8 x 8) are what qtool's tests and benchmarks use too (see examples/digits/export_data.py).
"""
import os
import sys

import numpy as np
import torch
from torch import nn
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = 1437


def load():
    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = d.target.astype(np.int64)
    return x[:TRAIN], y[:TRAIN], x[TRAIN:], y[TRAIN:]


class DigitsCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),                       # 8x8 -> 4x4
            nn.Conv2d(8, 8, 3, padding=1, groups=8),  # depthwise
            nn.ReLU6(),
            nn.Conv2d(8, 16, 1),                   # pointwise
            nn.ReLU(),
        )
        self.classifier = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def main():
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(1)
    xtr, ytr, xte, yte = load()
    model = DigitsCnn()
    opt = torch.optim.Adam(model.parameters(), lr=0.003)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for epoch in range(60):
        model.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
    print(f"test accuracy {acc * 100:.2f}% on {len(yte)} held-out digits", file=sys.stderr)
    out = os.path.join(HERE, "digits_cnn.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 8, 8), out, input_names=["image"], output_names=["logits"],
                      opset_version=13, do_constant_folding=True)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
