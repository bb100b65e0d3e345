#!/usr/bin/python3
"""Writes test/fixtures/onnx/*.onnx with torch.onnx.export (Debian's python3-torch 1.13, python3-onnx 1.12).

Each model gets a fixed input and torch's output in <name>.json, so the import tests compare against torch
as well as onnxruntime. Run: /usr/bin/python3 scripts/gen_onnx_fixtures.py (CI needs no Python: the
files are committed).
"""
import json
import os

import onnx
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "onnx")


class ViewCnn(nn.Module):
    """A CNN that flattens with x.view(x.size(0), -1): torch writes Shape/Gather/Unsqueeze/Concat/Reshape."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2)
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(6 * 1 * 1, 3)

    def forward(self, x):
        x = self.bn1(torch.relu(self.conv1(x)))
        x = nn.functional.max_pool2d(x, 2)
        x = torch.sigmoid(self.conv2(x))
        x = self.pool(x)
        x = x.view(x.size(0), -1)
        return torch.log_softmax(self.fc(x), dim=1)


def models():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 4))
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 3),
        nn.ReLU(),
        # After the ReLU, so torch cannot fold it into the conv: the graph keeps a BatchNormalization.
        nn.BatchNorm2d(8),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1, groups=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 5 * 5, 10),
        nn.Softmax(dim=1),
    )
    lstm = nn.LSTM(5, 6, batch_first=True)
    transformer = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True), 2)
    return [
        ("mlp", mlp, (3, 20), 13),
        ("cnn", cnn, (2, 1, 12, 12), 17),
        ("view_cnn", ViewCnn(), (2, 1, 12, 12), 13),
        ("lstm", lstm, (2, 4, 5), 14),
        ("transformer", transformer, (2, 5, 8), 17),
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, model, shape, opset in models():
        # Non-trivial running statistics for the batch norms.
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn(8, *shape[1:]) * 2 + 1)
        model.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = model(x)
        if isinstance(y, tuple):
            y = y[0]
        path = os.path.join(OUT, f"{name}.onnx")
        torch.onnx.export(
            model,
            (x,),
            path,
            opset_version=opset,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )
        onnx.checker.check_model(onnx.load(path))
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump({"opset": opset, "shape": list(shape), "input": x.flatten().tolist(),
                       "outputShape": list(y.shape), "output": y.flatten().tolist()}, f)
        print(name, os.path.getsize(path), "bytes, opset", opset)


if __name__ == "__main__":
    main()
