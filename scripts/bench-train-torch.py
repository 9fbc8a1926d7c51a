#!/usr/bin/python3
"""PyTorch reference for `npm run bench:train` (bench/train.ts): milliseconds per Adam step of the
DCGAN generator, discriminator and inference network of issue 11, on the CPU.

The same architectures as src/tfjs/dcgan.ts (PyTorch is NCHW, tfjs NHWC; 'same' padding of a 4x4
stride-2 convolution on an even side is padding 1 on each side):

    generator      z (64) -> Linear(64 -> 4*4*128, no bias), BatchNorm1d, ReLU -> 128 x 4 x 4
                   ConvTranspose2d(128 -> 64, 4, 2, 1, no bias), BatchNorm2d, ReLU -> 64 x 8 x 8
                   ConvTranspose2d(64 -> 32, 4, 2, 1, no bias), BatchNorm2d, ReLU  -> 32 x 16 x 16
                   ConvTranspose2d(32 -> 1, 4, 2, 1), tanh                         -> 1 x 32 x 32
    discriminator  Conv2d(1 -> 32, 4, 2, 1), LeakyReLU(0.2)
                   Conv2d(32 -> 64, 4, 2, 1, no bias), BatchNorm2d, LeakyReLU(0.2)
                   Conv2d(64 -> 128, 4, 2, 1, no bias), BatchNorm2d, LeakyReLU(0.2)
                   flatten, Linear(2048 -> 1)        (a logit)
    encoder        the discriminator's body, flatten, Linear(2048 -> z)

One step = forward in training mode, the loss, backward, Adam(lr 2e-4, betas (0.5, 0.999)):
generator MSE(G(z), x); discriminator binary cross-entropy with logits against labels (half 1,
half 0); encoder MSE(E(x), z). "gan" is one iteration of GAN training as in
src/tfjs/dcgan-steps.ts (ganIteration): a discriminator step on the real batch and G(z), a
generator step through the (frozen) discriminator against label 1, an encoder step on the
detached G(z) against z. Inputs are fixed random tensors (seed 0). Each network: `--warmup`
untimed steps, then `--repeats` timed steps; the median is reported.

Prints one JSON object: {"torch": version, "threads": n, "batch": b, "results": {net: {"ms":
median, "runs": repeats, "params": count}}}.
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn


def generator(z, w):
    return nn.Sequential(
        nn.Linear(z, 16 * 4 * w, bias=False),
        nn.BatchNorm1d(16 * 4 * w),
        nn.ReLU(),
        nn.Unflatten(1, (4 * w, 4, 4)),
        nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False),
        nn.BatchNorm2d(2 * w),
        nn.ReLU(),
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),
        nn.BatchNorm2d(w),
        nn.ReLU(),
        nn.ConvTranspose2d(w, 1, 4, 2, 1),
        nn.Tanh(),
    )


def body(w):
    return [
        nn.Conv2d(1, w, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),
        nn.BatchNorm2d(2 * w),
        nn.LeakyReLU(0.2),
        nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False),
        nn.BatchNorm2d(4 * w),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--z", type=int, default=64)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    b, z, w = a.batch, a.z, a.width
    zs = torch.randn(b, z)
    xs = torch.rand(b, 1, 32, 32) * 2 - 1
    labels = torch.cat([torch.ones(b // 2, 1), torch.zeros(b - b // 2, 1)])
    nets = {
        "generator": (generator(z, w), zs, xs, nn.MSELoss()),
        "discriminator": (nn.Sequential(*body(w), nn.Linear(16 * 4 * w, 1)), xs, labels, nn.BCEWithLogitsLoss()),
        "encoder": (nn.Sequential(*body(w), nn.Linear(16 * 4 * w, z)), xs, zs, nn.MSELoss()),
    }
    results = {}
    G, D, E = generator(z, w), nn.Sequential(*body(w), nn.Linear(16 * 4 * w, 1)), nn.Sequential(*body(w), nn.Linear(16 * 4 * w, z))
    opts = [torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (G, D, E)]
    bce, mse = nn.BCEWithLogitsLoss(), nn.MSELoss()
    ones, zeros = torch.ones(b, 1), torch.zeros(b, 1)

    def gan_step():
        fake = G(zs)
        opts[1].zero_grad()
        ld = bce(D(xs), ones) + bce(D(fake.detach()), zeros)
        ld.backward()
        opts[1].step()
        opts[0].zero_grad()
        D.requires_grad_(False)
        lg = bce(D(G(zs)), ones)
        lg.backward()
        D.requires_grad_(True)
        opts[0].step()
        opts[2].zero_grad()
        le = mse(E(fake.detach()), zs)
        le.backward()
        opts[2].step()
        return ld.item() + lg.item() + le.item()

    for name, (net, inp, target, loss_fn) in nets.items():
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))

        def step():
            opt.zero_grad()
            loss = loss_fn(net(inp), target)
            loss.backward()
            opt.step()
            return loss.item()

        for _ in range(a.warmup):
            step()
        times = []
        for _ in range(a.repeats):
            t = time.perf_counter()
            step()
            times.append((time.perf_counter() - t) * 1000)
        results[name] = {
            "ms": statistics.median(times),
            "runs": a.repeats,
            "params": sum(q.numel() for q in net.parameters()),
        }
    for m in (G, D, E):
        m.train()
    for _ in range(a.warmup):
        gan_step()
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        gan_step()
        times.append((time.perf_counter() - t) * 1000)
    results["gan"] = {
        "ms": statistics.median(times),
        "runs": a.repeats,
        "params": sum(q.numel() for m in (G, D, E) for q in m.parameters()),
    }
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": b, "results": results}))


if __name__ == "__main__":
    main()
