"""The NumPy counterpart of benches/numerical.rs: the book's
TwoLayerNet.numerical_gradient (ch04/two_layer_net.py with
common/gradient.py), 784-50-10, batch 100, float64.

    python3 crates/nn-grad/benches/numerical.py

prints the seconds per full gradient (39 760 parameters, 79 520 losses).
"""
import time

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad


rng = np.random.default_rng(42)
params = {
    "W1": 0.01 * rng.standard_normal((784, 50)),
    "b1": np.zeros(50),
    "W2": 0.01 * rng.standard_normal((50, 10)),
    "b2": np.zeros(10),
}
x = rng.random((100, 784))
t = rng.integers(0, 10, 100)


def loss(_):
    a1 = np.dot(x, params["W1"]) + params["b1"]
    z1 = sigmoid(a1)
    a2 = np.dot(z1, params["W2"]) + params["b2"]
    return cross_entropy_error(softmax(a2), t)


start = time.perf_counter()
grads = {k: numerical_gradient(loss, v) for k, v in params.items()}
print(f"{time.perf_counter() - start:.1f} s per gradient")
