"""Times the steps of the book's `load_mnist` (dataset/mnist.py) with NumPy,
for comparison with `cargo bench -p mnist-data --bench load`.

The book's first run decompresses the four .gz files with `gzip` and
`np.frombuffer`, pickles the arrays to `mnist.pkl`, then loads the pickle and
normalises (`astype(np.float32)`, `/= 255.0`); later runs only load the pickle
and normalise. This script does the same steps (written anew here, not copied)
and prints the best of a few runs of each.

    python3 book_load_mnist.py DATA_DIR    # needs numpy; writes a pickle in a temp dir
"""

import gzip
import os
import pickle
import sys
import tempfile
import time

import numpy as np

FILES = {
    "train_img": "train-images-idx3-ubyte.gz",
    "train_label": "train-labels-idx1-ubyte.gz",
    "test_img": "t10k-images-idx3-ubyte.gz",
    "test_label": "t10k-labels-idx1-ubyte.gz",
}


def read(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def convert(data_dir):
    out = {}
    for key, name in FILES.items():
        path = os.path.join(data_dir, name)
        if key.endswith("img"):
            out[key] = read(path, 16).reshape(-1, 784)
        else:
            out[key] = read(path, 8)
    return out


def normalise(dataset):
    for key in ("train_img", "test_img"):
        dataset[key] = dataset[key].astype(np.float32)
        dataset[key] /= 255.0
    return dataset


def first_run(data_dir, pkl):
    dataset = convert(data_dir)
    with open(pkl, "wb") as f:
        pickle.dump(dataset, f, -1)
    return cached_run(pkl)


def cached_run(pkl):
    with open(pkl, "rb") as f:
        dataset = pickle.load(f)
    return normalise(dataset)


def test_only(data_dir):
    x = read(os.path.join(data_dir, FILES["test_img"]), 16).reshape(-1, 784)
    t = read(os.path.join(data_dir, FILES["test_label"]), 8)
    return x.astype(np.float32) / 255.0, t


def best(f, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("NN_DATA_DIR", ".")
    with tempfile.TemporaryDirectory() as tmp:
        pkl = os.path.join(tmp, "mnist.pkl")
        print(f"numpy {np.__version__}")
        print(f"first run (gz -> pickle -> load + normalise): {best(lambda: first_run(data_dir, pkl)):.1f} ms")
        print(f"cached run (pickle load + normalise):         {best(lambda: cached_run(pkl)):.1f} ms")
        print(f"test split only from gz (+ normalise):        {best(lambda: test_only(data_dir)):.1f} ms")


if __name__ == "__main__":
    main()
