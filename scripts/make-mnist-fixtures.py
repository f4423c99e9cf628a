#!/usr/bin/env python3
"""Writes the MNIST test fixtures under tests/fixtures/ from the genuine IDX files.

    python3 scripts/make-mnist-fixtures.py ../shared/data/mnist

- tests/fixtures/mnist/: the first 600 training and 200 test images of MNIST, with their labels,
  as gzip IDX files under their usual names (a real subset; the tests never read ../shared);
- tests/fixtures/mnist-broken/<case>/: one deliberately broken test-set file per case, beside
  good files of a 10-image training set and a 20-image test set, for the loader's error tests.

The gzip streams carry no timestamp (mtime=0), so running the script again gives the same bytes.
Standard library only.
"""
import gzip
import os
import shutil
import struct
import sys

TRAIN, TEST = 600, 200
BROKEN_TRAIN, BROKEN_TEST = 10, 20
NAMES = {
    "train-images": "train-images-idx3-ubyte",
    "train-labels": "train-labels-idx1-ubyte",
    "test-images": "t10k-images-idx3-ubyte",
    "test-labels": "t10k-labels-idx1-ubyte",
}


def read(path):
    with gzip.open(path, "rb") as f:
        return f.read()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(data)


def images(data, n):
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    assert magic == 2051 and count >= n and (rows, cols) == (28, 28)
    return struct.pack(">IIII", 2051, n, rows, cols) + data[16:16 + n * rows * cols]


def labels(data, n):
    magic, count = struct.unpack(">II", data[:8])
    assert magic == 2049 and count >= n
    return struct.pack(">II", 2049, n) + data[8:8 + n]


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else os.path.join("..", "shared", "data", "mnist")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    good = {
        "train-images": images(read(os.path.join(source, NAMES["train-images"] + ".gz")), TRAIN),
        "train-labels": labels(read(os.path.join(source, NAMES["train-labels"] + ".gz")), TRAIN),
        "test-images": images(read(os.path.join(source, NAMES["test-images"] + ".gz")), TEST),
        "test-labels": labels(read(os.path.join(source, NAMES["test-labels"] + ".gz")), TEST),
    }
    for key, data in good.items():
        write(os.path.join(root, "mnist", NAMES[key] + ".gz"), data)

    small = {
        "train-images": images(good["train-images"], BROKEN_TRAIN),
        "train-labels": labels(good["train-labels"], BROKEN_TRAIN),
        "test-images": images(good["test-images"], BROKEN_TEST),
        "test-labels": labels(good["test-labels"], BROKEN_TEST),
    }
    test_labels = small["test-labels"]
    broken = {
        # The image file stops in the middle of its last image.
        "truncated": ("test-images", small["test-images"][:-100]),
        # An image file whose magic number is that of a label file.
        "wrong-magic": ("test-images", struct.pack(">I", 2049) + small["test-images"][4:]),
        # Label 11 where a digit 0-9 belongs (the 8th label, after the 8-byte header).
        "label-out-of-range": ("test-labels", test_labels[:15] + bytes([11]) + test_labels[16:]),
        # 19 labels for 20 images.
        "counts-disagree": ("test-labels", struct.pack(">II", 2049, BROKEN_TEST - 1) + test_labels[8:-1]),
    }
    for case, (key, data) in broken.items():
        directory = os.path.join(root, "mnist-broken", case)
        shutil.rmtree(directory, ignore_errors=True)
        for other, good_data in small.items():
            write(os.path.join(directory, NAMES[other] + ".gz"), data if other == key else good_data)

if __name__ == "__main__":
    main()
