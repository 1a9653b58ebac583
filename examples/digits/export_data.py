#!/usr/bin/python3
"""Writes the digits split the example model was trained on as .npy files (float32 N x 1 x 8 x 8, labels int64)
into a folder given on the command line, for tests, calibration and benchmarks. Nothing here is committed:
the data comes from Debian's python3-sklearn on each machine."""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits

TRAIN = 1437


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = d.target.astype(np.int64)
    np.save(os.path.join(out, "train_x.npy"), x[:TRAIN])
    np.save(os.path.join(out, "train_y.npy"), y[:TRAIN])
    np.save(os.path.join(out, "test_x.npy"), x[TRAIN:])
    np.save(os.path.join(out, "test_y.npy"), y[TRAIN:])
    # calib.npy beside this script (committed) is the first 200 training images, made by this line:
    # np.save("examples/digits/calib.npy", x[:200])


if __name__ == "__main__":
    main()
