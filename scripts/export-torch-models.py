#!/usr/bin/python3
"""Exports small PyTorch generators to ONNX with torch.onnx.export, for the import tests.

Needs PyTorch (Debian: `apt-get install python3-torch`, then run with /usr/bin/python3; PyPI is
not reachable on the project's machines). The tests only read the committed files:

    examples/models/torch-injective.onnx      Linear+ReLU (Corollary 2 weights) x2, BatchNorm1d, Linear, LeakyReLU, Linear, Tanh
    examples/models/torch-noninjective.onnx   Linear(3->4)+ReLU (m < 2n: Corollary 2), Linear, Sigmoid
    examples/models/torch-expected.json       torch's own float32 outputs at seeded inputs

Usage: /usr/bin/python3 scripts/export-torch-models.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "models")


def corollary2(n, gen):
    """[B; -D B] with B a well-conditioned basis and D a positive diagonal (paper, Corollary 2)."""
    while True:
        B = torch.randn(n, n, generator=gen)
        if torch.linalg.cond(B) < 20:
            break
    # Powers of two, so that -d*B is exact in float32: the pairs stay exactly antiparallel. (With a
    # general d, float32 rounding tilts each pair slightly, and the exported layer is then NOT
    # injective: a thin wedge far from the origin sees neither row of a pair.)
    d = 2.0 ** torch.randint(-1, 3, (n,), generator=gen).float()
    B = B.float()
    return torch.cat([B, -d[:, None] * B], dim=0)


def injective_model(gen):
    l1 = torch.nn.Linear(3, 6)
    l2 = torch.nn.Linear(6, 12)
    l3 = torch.nn.Linear(12, 12)
    l4 = torch.nn.Linear(12, 12)
    bn = torch.nn.BatchNorm1d(12)
    with torch.no_grad():
        l1.weight.copy_(corollary2(3, gen))
        l1.bias.copy_(torch.rand(6, generator=gen))  # b >= 0 on both rows of every pair keeps injectivity
        l2.weight.copy_(corollary2(6, gen))
        l2.bias.copy_(torch.rand(12, generator=gen))
        l3.weight.copy_(torch.eye(12) + 0.1 * torch.randn(12, 12, generator=gen))
        # Small enough that tanh stays away from saturation on typical inputs: inverting a saturated
        # tanh (outputs within 1e-12 of ±1) amplifies float64 rounding by 1/(1 − y²).
        l4.weight.copy_(0.1 * (torch.eye(12) + 0.1 * torch.randn(12, 12, generator=gen)))
        l4.bias.zero_()
        bn.weight.copy_(0.5 + torch.rand(12, generator=gen))
        bn.bias.copy_(torch.randn(12, generator=gen))
        bn.running_mean.copy_(torch.randn(12, generator=gen))
        bn.running_var.copy_(0.5 + torch.rand(12, generator=gen))
    return torch.nn.Sequential(l1, torch.nn.ReLU(), l2, torch.nn.ReLU(), bn, l3, torch.nn.LeakyReLU(0.2), l4, torch.nn.Tanh())


def noninjective_model(gen):
    l1 = torch.nn.Linear(3, 4)
    l2 = torch.nn.Linear(4, 5)
    with torch.no_grad():
        l1.weight.copy_(torch.randn(4, 3, generator=gen))
        l2.weight.copy_(torch.randn(5, 4, generator=gen))
    return torch.nn.Sequential(l1, torch.nn.ReLU(), l2, torch.nn.Sigmoid())


def main():
    gen = torch.Generator().manual_seed(2021)
    expected = {"torch": torch.__version__, "opset": 13, "models": {}}
    for name, model in [("torch-injective", injective_model(gen)), ("torch-noninjective", noninjective_model(gen))]:
        model.eval()
        z = torch.randn(6, 3, generator=gen)
        path = os.path.join(OUT, name + ".onnx")
        torch.onnx.export(model, z[:1], path, opset_version=13, input_names=["z"], output_names=["x"])
        with torch.no_grad():
            y = model(z)
        expected["models"][name] = {"inputs": z.tolist(), "outputs": y.tolist()}
        print("wrote", path)
    with open(os.path.join(OUT, "torch-expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
