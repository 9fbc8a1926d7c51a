#!/usr/bin/python3
"""Trains a small injective-by-design generator in PyTorch and exports it to ONNX (float32).

The generator maps z in R^4 to R^16 through two expansive ReLU layers whose weights are paired
rows [B; -s^2 B] (Corollary 2, the construction of the paper's injective GAN), then a linear
output layer. It is trained for a few hundred Adam steps to fit a fixed random target map, as a
user's model would be: the weights are real trained float32 values, and -s^2 B is computed in
float32 by PyTorch, so each pair is antiparallel only up to float32 rounding.

That is the case the exact verifier must get right: as given (exact rationals), the layers are
generically NOT injective (a rounding wedge opens between the rows of each pair), while
`check --snap 1e-6` (injective up to noise) proves the snapped network injective.

Needs PyTorch (Debian: `apt-get install python3-torch`, then run with /usr/bin/python3). Writes
examples/models/torch-paired-trained.onnx and torch-paired-trained-expected.json; the tests only
read those committed files.

    /usr/bin/python3 scripts/train-paired-generator.py
"""

import json
import os

import torch

torch.manual_seed(7)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "examples", "models")


class Paired(torch.nn.Module):
    """x -> ReLU([B; -s^2 B] x + [c; -s^2 c']) with trainable B (k x n), scalar s and biases."""

    def __init__(self, n, k):
        super().__init__()
        self.B = torch.nn.Parameter(torch.randn(k, n) / n**0.5)
        self.log_s = torch.nn.Parameter(torch.zeros(1))
        self.b = torch.nn.Parameter(torch.zeros(k))

    def weight(self):
        s2 = torch.exp(2 * self.log_s)
        return torch.cat([self.B, -s2 * self.B], dim=0)

    def forward(self, x):
        # The bias pair (b, s^2 * b_pos) keeps one row of each pair active (b1 + b2/s^2 >= 0).
        s2 = torch.exp(2 * self.log_s)
        bias = torch.cat([self.b, s2 * torch.relu(-self.b) + s2 * 0.01])
        return torch.relu(torch.nn.functional.linear(x, self.weight(), bias))


class Generator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = Paired(4, 6)  # 4 -> 12
        self.l2 = Paired(12, 12)  # 12 -> 24
        self.out = torch.nn.Linear(24, 16)

    def forward(self, z):
        return self.out(self.l2(self.l1(z)))


class Exported(torch.nn.Module):
    """The trained generator with its weights frozen into ordinary Linear layers (Gemm in ONNX)."""

    def __init__(self, g):
        super().__init__()
        self.a = torch.nn.Linear(4, 12)
        self.b = torch.nn.Linear(12, 24)
        self.c = torch.nn.Linear(24, 16)
        with torch.no_grad():
            for lin, p in ((self.a, g.l1), (self.b, g.l2)):
                s2 = torch.exp(2 * p.log_s)
                lin.weight.copy_(p.weight())
                lin.bias.copy_(torch.cat([p.b, s2 * torch.relu(-p.b) + s2 * 0.01]))
            self.c.weight.copy_(g.out.weight)
            self.c.bias.copy_(g.out.bias)

    def forward(self, z):
        return self.c(torch.relu(self.b(torch.relu(self.a(z)))))


def main():
    g = Generator()
    target = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh())
    opt = torch.optim.Adam(g.parameters(), lr=1e-2)
    for step in range(400):
        z = torch.randn(64, 4)
        loss = ((g(z) - target(z).detach()) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"final loss {loss.item():.4f}")
    e = Exported(g).eval()
    z = torch.randn(5, 4)
    with torch.no_grad():
        y = e(z)
        assert torch.allclose(y, g(z), atol=1e-5)
    path = os.path.join(OUT, "torch-paired-trained.onnx")
    torch.onnx.export(e, torch.randn(1, 4), path, input_names=["z"], output_names=["x"], opset_version=13)
    with open(os.path.join(OUT, "torch-paired-trained-expected.json"), "w") as f:
        json.dump({"inputs": z.tolist(), "outputs": y.tolist(), "finalLoss": loss.item()}, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
