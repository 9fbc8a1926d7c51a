#!/usr/bin/python3
"""Exports a tiny PyTorch convolutional network to ONNX with torch.onnx.export, for the import tests.

Needs PyTorch (Debian: `apt-get install python3-torch`, then run with /usr/bin/python3; PyPI is
not reachable on the project's machines). The tests only read the committed files:

    examples/models/torch-conv.onnx            Conv2d(1->4, 3x3, padding 1), ReLU, Conv2d(4->2, 3x3, stride 2) on 1x5x5 images
    examples/models/torch-conv-expected.json   torch's own float32 outputs at seeded inputs (flattened, C order)

The first convolution has the filters [C1; -C1; C2; -C2] with C1, C2 diagonally dominant 3x3
kernels (so their padded 5x5 convolution matrices are invertible) and nonnegative biases: it is
injective (Corollary 2 structure), and the exact check of its 100x25 matrix proves it. The second
one maps 100 values to 8 and is not injective; its collision lifts back through the first layer.

Usage: /usr/bin/python3 scripts/export-torch-conv-models.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "models")


def dominant_kernel(gen):
    """A 3x3 kernel whose centre outweighs the sum of the other entries: an invertible convolution."""
    k = 0.1 * torch.randn(3, 3, generator=gen)
    k[1, 1] = 1.0 + k.abs().sum()
    return k


def conv_model(gen):
    c1 = torch.nn.Conv2d(1, 4, 3, padding=1)
    c2 = torch.nn.Conv2d(4, 2, 3, stride=2)
    with torch.no_grad():
        k1 = dominant_kernel(gen)
        k2 = dominant_kernel(gen)
        c1.weight.copy_(torch.stack([k1, -k1, k2, -k2])[:, None, :, :])
        c1.bias.copy_(torch.rand(4, generator=gen))  # b >= 0 on both rows of every pair keeps injectivity
        c2.weight.copy_(torch.randn(2, 4, 3, 3, generator=gen))
        c2.bias.copy_(torch.randn(2, generator=gen))
    return torch.nn.Sequential(c1, torch.nn.ReLU(), c2)


def main():
    gen = torch.Generator().manual_seed(2024)
    model = conv_model(gen)
    model.eval()
    z = torch.randn(6, 1, 5, 5, generator=gen)
    path = os.path.join(OUT, "torch-conv.onnx")
    torch.onnx.export(model, z[:1], path, opset_version=13, input_names=["z"], output_names=["x"])
    with torch.no_grad():
        y = model(z)
    expected = {
        "torch": torch.__version__,
        "opset": 13,
        "inputShape": [1, 5, 5],
        "outputShape": list(y.shape[1:]),
        "inputs": z.reshape(6, -1).tolist(),
        "outputs": y.reshape(6, -1).tolist(),
    }
    with open(os.path.join(OUT, "torch-conv-expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
