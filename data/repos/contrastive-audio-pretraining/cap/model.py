import torch
import torch.nn as nn


class ConvBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Encoder(nn.Module):
    def __init__(self, width=64, depth=4, dim=256):
        super().__init__()
        layers, c = [], 1
        for i in range(depth):
            layers += [ConvBlock(c, width * 2**i), nn.MaxPool2d(2)]
            c = width * 2**i
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(c, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, x, project=True):
        h = self.body(x).mean(dim=(2, 3))
        return self.head(h) if project else h
