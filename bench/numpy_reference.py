"""The NumPy side of `cargo xtask bench`: the book's chapter 3-4 code, for timing.

Written for this repository after what *Deep Learning from Scratch* does in
ch03/neuralnet_mnist.py, ch03/neuralnet_mnist_batch.py, dataset/mnist.py,
common/functions.py, common/gradient.py, ch04/two_layer_net.py and
ch04/train_neuralnet.py: the same functions, the same loops, the same float
types (float32 inference with sample_weight.pkl; float64 training, as the
book's randn weights make it). It takes the same command line as the Rust
side (`nn-bench`), so that the xtask can run the two in turn:

    numpy_reference.py info
    numpy_reference.py time TASK... --data-dir D [--repeat N] [--warmup W]
    numpy_reference.py check --data-dir D --expect RUST.json
    numpy_reference.py eval --data-dir D --cache C [--batch-size N]
    numpy_reference.py train --data-dir D --cache C [--iters N]

`time` prints one line per task, `TASK s1 s2 ...` (seconds, perf_counter).
`check` recomputes what `nn-bench check` printed and exits 1 on a mismatch.
`eval` and `train` are whole programs, for timing as processes: they load
MNIST as the book's `load_mnist` does, through a pickle in C.

Needs numpy (and threadpoolctl for `info`).
"""

import argparse
import gzip
import json
import os
import pickle
import sys
import time

import numpy as np

FILES = {
    "train_img": "train-images-idx3-ubyte.gz",
    "train_label": "train-labels-idx1-ubyte.gz",
    "test_img": "t10k-images-idx3-ubyte.gz",
    "test_label": "t10k-labels-idx1-ubyte.gz",
}


# --- dataset/mnist.py: gz files -> arrays -> pickle cache -> load_mnist ------

def read_gz(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def convert(data_dir, keys=FILES):
    out = {}
    for key in keys:
        data = read_gz(os.path.join(data_dir, FILES[key]), 16 if key.endswith("img") else 8)
        out[key] = data.reshape(-1, 784) if key.endswith("img") else data
    return out


def one_hot(t):
    out = np.zeros((t.size, 10))
    out[np.arange(t.size), t] = 1
    return out


def load_mnist(data_dir, cache, normalize=True, one_hot_label=False):
    """The book's load_mnist: build the pickle on first use, then read it."""
    pkl = os.path.join(cache, "mnist.pkl")
    if not os.path.exists(pkl):
        os.makedirs(cache, exist_ok=True)
        with open(pkl, "wb") as f:
            pickle.dump(convert(data_dir), f, -1)
    with open(pkl, "rb") as f:
        dataset = pickle.load(f)
    if normalize:
        for key in ("train_img", "test_img"):
            dataset[key] = dataset[key].astype(np.float32)
            dataset[key] /= 255.0
    if one_hot_label:
        dataset["train_label"] = one_hot(dataset["train_label"])
        dataset["test_label"] = one_hot(dataset["test_label"])
    return ((dataset["train_img"], dataset["train_label"]),
            (dataset["test_img"], dataset["test_label"]))


# --- common/functions.py -----------------------------------------------------

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


# --- common/gradient.py --------------------------------------------------------

def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        keep = x[i]
        x[i] = float(keep) + h
        fxh1 = f(x)
        x[i] = keep - h
        fxh2 = f(x)
        grad[i] = (fxh1 - fxh2) / (2 * h)
        x[i] = keep
        it.iternext()
    return grad


# --- ch03: the 784-50-100-10 network with sample_weight.pkl -------------------

def init_network(data_dir):
    with open(os.path.join(data_dir, "sample_weight.pkl"), "rb") as f:
        return pickle.load(f)


def predict(network, x):
    a1 = np.dot(x, network["W1"]) + network["b1"]
    z1 = sigmoid(a1)
    a2 = np.dot(z1, network["W2"]) + network["b2"]
    z2 = sigmoid(a2)
    a3 = np.dot(z2, network["W3"]) + network["b3"]
    return softmax(a3)


def count_correct(network, x, t, batch_size):
    """neuralnet_mnist.py (batch_size 1) and neuralnet_mnist_batch.py."""
    correct = 0
    if batch_size == 1:
        for i in range(len(x)):
            y = predict(network, x[i])
            if np.argmax(y) == t[i]:
                correct += 1
    else:
        for i in range(0, len(x), batch_size):
            y = predict(network, x[i:i + batch_size])
            correct += np.sum(np.argmax(y, axis=1) == t[i:i + batch_size])
    return int(correct)


# --- ch04: TwoLayerNet ---------------------------------------------------------

def weights(rows, cols, scale):
    """The deterministic weights nn-bench uses: scale*(((i*7 + j*13) % 17) - 8)/8."""
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    return scale * (((i * 7 + j * 13) % 17).astype(np.float64) - 8.0) / 8.0


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, det=False):
        if det:
            w1, w2 = weights(input_size, hidden_size, 0.01), weights(hidden_size, output_size, 0.01)
        else:
            w1 = weight_init_std * np.random.randn(input_size, hidden_size)
            w2 = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params = {"W1": w1, "b1": np.zeros(hidden_size),
                       "W2": w2, "b2": np.zeros(output_size)}

    def predict(self, x):
        p = self.params
        z1 = sigmoid(np.dot(x, p["W1"]) + p["b1"])
        return softmax(np.dot(z1, p["W2"]) + p["b2"])

    def loss(self, x, t):
        return cross_entropy_error(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])

    def numerical_gradient(self, x, t):
        loss_w = lambda _: self.loss(x, t)
        return {k: numerical_gradient(loss_w, self.params[k]) for k in ("W1", "b1", "W2", "b2")}

    def gradient(self, x, t):
        p = self.params
        batch_num = x.shape[0]
        a1 = np.dot(x, p["W1"]) + p["b1"]
        z1 = sigmoid(a1)
        y = softmax(np.dot(z1, p["W2"]) + p["b2"])
        if t.ndim == 1:
            t = one_hot(t)
        dy = (y - t) / batch_num
        grads = {"W2": np.dot(z1.T, dy), "b2": np.sum(dy, axis=0)}
        dz1 = sigmoid_grad(a1) * np.dot(dy, p["W2"].T)
        grads["W1"] = np.dot(x.T, dz1)
        grads["b1"] = np.sum(dz1, axis=0)
        return grads


def train_step(network, x_train, t_train, batch_size=100, lr=0.1):
    """One iteration of train_neuralnet.py's loop."""
    mask = np.random.choice(x_train.shape[0], batch_size)
    x_batch, t_batch = x_train[mask], t_train[mask]
    grad = network.gradient(x_batch, t_batch)
    for key in ("W1", "b1", "W2", "b2"):
        network.params[key] -= lr * grad[key]
    return network.loss(x_batch, t_batch)


# --- subcommands -----------------------------------------------------------------

def activation_input(rows, cols):
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    return ((i * 31 + j * 17) % 1601).astype(np.float32) / np.float32(100) - np.float32(8)


def test_split(data_dir):
    d = convert(data_dir, ("test_img", "test_label"))
    return d["test_img"].astype(np.float32) / np.float32(255.0), d["test_label"]


def train_head(data_dir, n):
    d = convert(data_dir, ("train_img", "train_label"))
    return d["train_img"][:n].astype(np.float32) / np.float32(255.0), d["train_label"][:n]


def repeat(n, warmup, work):
    times = []
    for _ in range(warmup + n):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times[warmup:]


def time_task(name, data_dir, n, warmup, cache):
    if name.startswith(("sigmoid-", "softmax-")):
        rows, cols = map(int, name.split("-")[1].split("x"))
        x = activation_input(rows, cols)
        f = sigmoid if name.startswith("sigmoid") else softmax
        return repeat(n, warmup, lambda: f(x))
    if name == "load-test":
        return repeat(n, warmup, lambda: test_split(data_dir))
    if name in ("load-full-first", "load-full-cached"):
        # The book's first run converts the gz files and writes the pickle;
        # later runs read the pickle. Both normalise.
        pkl = os.path.join(cache, "mnist.pkl")

        def first():
            if os.path.exists(pkl):
                os.remove(pkl)
            load_mnist(data_dir, cache)

        load_mnist(data_dir, cache)
        return repeat(n, warmup, first if name.endswith("first") else lambda: load_mnist(data_dir, cache))
    if name.startswith("infer-"):
        batch = int(name.split("-")[1])
        network = init_network(data_dir)
        x, t = test_split(data_dir)
        correct = []
        times = repeat(n, warmup, lambda: correct.append(count_correct(network, x, t, batch)))
        if correct[-1] != 9352:
            raise SystemExit(f"{name}: {correct[-1]} correct, expected 9352")
        return times
    if name == "train-step":
        (x_train, t_train), _ = load_mnist(data_dir, cache, one_hot_label=True)
        network = TwoLayerNet(784, 50, 10, det=True)
        np.random.seed(0)
        return repeat(n, warmup, lambda: train_step(network, x_train, t_train))
    if name == "numgrad":
        x, t = train_head(data_dir, 100)
        network = TwoLayerNet(784, 50, 10, det=True)
        return repeat(n, warmup, lambda: network.numerical_gradient(x, one_hot(t)))
    raise SystemExit(f"unknown task {name}")


def check(data_dir, expect_path):
    with open(expect_path) as f:
        rust = json.load(f)
    failures = []

    def close(name, ours, theirs, tol):
        ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
        worst = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
        ok = ours.shape == theirs.shape and worst <= tol
        print(f"{'ok ' if ok else 'BAD'} {name}: max |numpy - rust| = {worst:.3g} (tolerance {tol:g})")
        if not ok:
            failures.append(name)

    network = init_network(data_dir)
    x, t = test_split(data_dir)
    correct = count_correct(network, x[:1000], t[:1000], 100)
    close("correct_first_1000", correct, rust["correct_first_1000"], 0)
    close("probabilities_0", predict(network, x[0]), rust["probabilities_0"], 1e-6)
    a = activation_input(4, 5)
    close("sigmoid_4x5", sigmoid(a).ravel(), rust["sigmoid_4x5"], 1e-6)
    close("softmax_4x5", softmax(a).ravel(), rust["softmax_4x5"], 1e-6)

    xs, ts = train_head(data_dir, 5)
    small = TwoLayerNet(784, 8, 10, det=True)
    close("small_loss", small.loss(xs, ts), rust["small_loss"], 1e-12)
    numerical = small.numerical_gradient(xs, ts)
    backprop = small.gradient(xs, ts)
    for key in ("W1", "b1", "W2", "b2"):
        close(f"small_numerical {key}", numerical[key].ravel(), rust["small_numerical"][key], 1e-8)
        close(f"small_backprop {key}", backprop[key].ravel(), rust["small_backprop"][key], 1e-12)
    for key in ("W1", "b1", "W2", "b2"):
        small.params[key] -= 0.1 * backprop[key]
    close("small_loss_after_step", small.loss(xs, ts), rust["small_loss_after_step"], 1e-12)
    if failures:
        raise SystemExit(f"check failed: {', '.join(failures)}")
    print("check passed: NumPy computes what the Rust side computes")


def info():
    print(f"python {sys.version.split()[0]}")
    print(f"numpy {np.__version__}")
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        print(f"{key}={os.environ.get(key, '(unset)')}")
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            print("blas {internal_api} {version} kernel {architecture} threads {num_threads}".format(
                internal_api=pool.get("internal_api"), version=pool.get("version"),
                architecture=pool.get("architecture"), num_threads=pool.get("num_threads")))
    except ImportError:
        print("blas unknown (threadpoolctl is not installed)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["info", "time", "check", "eval", "train"])
    p.add_argument("tasks", nargs="*")
    p.add_argument("--data-dir", default=os.environ.get("NN_DATA_DIR"))
    p.add_argument("--cache", default=os.path.join("target", "bench", "numpy-cache"))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--iters", type=int, default=10000)
    p.add_argument("--expect")
    a = p.parse_args()
    if a.command == "info":
        return info()
    if not a.data_dir:
        raise SystemExit("set --data-dir or NN_DATA_DIR")
    if a.command == "time":
        for name in a.tasks:
            times = time_task(name, a.data_dir, a.repeat, a.warmup, a.cache)
            print(name, " ".join(f"{s:.6f}" for s in times), flush=True)
    elif a.command == "check":
        check(a.data_dir, a.expect)
    elif a.command == "eval":
        # neuralnet_mnist_batch.py (or neuralnet_mnist.py with --batch-size 1).
        _, (x, t) = load_mnist(a.data_dir, a.cache)
        network = init_network(a.data_dir)
        print("Accuracy:" + str(float(count_correct(network, x, t, a.batch_size)) / len(x)))
    elif a.command == "train":
        # train_neuralnet.py: 10 000 iterations of batch 100, lr 0.1, an
        # evaluation of both whole sets every epoch.
        (x_train, t_train), (x_test, t_test) = load_mnist(a.data_dir, a.cache, one_hot_label=True)
        network = TwoLayerNet(784, 50, 10)
        iter_per_epoch = max(x_train.shape[0] / 100, 1)
        losses = []
        for i in range(a.iters):
            losses.append(train_step(network, x_train, t_train))
            if i % iter_per_epoch == 0:
                train_acc = network.accuracy(x_train, t_train)
                test_acc = network.accuracy(x_test, t_test)
                print(f"train acc, test acc | {train_acc}, {test_acc}", flush=True)


if __name__ == "__main__":
    main()
