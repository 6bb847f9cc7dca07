# Runs in the bench's PyTorch reference: mnist-cnn, resnet and mobilenetv2 written by hand as PyTorch modules (no torchvision).
"""The same architectures as keras_models.py, channels first. Padding is TensorFlow's `same` (one more row and column
after than before when a stride-2 window does not fit evenly), BatchNorm keeps Keras's momentum and epsilon (PyTorch's
momentum is 1 - Keras's), and the count of parameters includes BatchNorm's running mean and variance as Keras counts them.
Weights keep PyTorch's default initialisers, as the spec asks; the models end in logits (CrossEntropyLoss applies the
softmax)."""
import math

import torch
from torch import nn
from torch.nn import functional as F


class SameConv(nn.Conv2d):
    """nn.Conv2d with TensorFlow's `same` padding for any stride (PyTorch's padding='same' refuses strides above 1)."""

    def forward(self, x):
        pads = []
        for size, k, s in ((x.shape[-1], self.kernel_size[1], self.stride[1]), (x.shape[-2], self.kernel_size[0], self.stride[0])):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads) if any(pads) else x)


def bn(channels, keras_momentum):
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=1 - keras_momentum)


def mnist_cnn(channels, side, classes):
    flat = 64 * (((side - 2) // 2 - 2) // 2) ** 2
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(flat, classes),
    )


def conv_bn(cin, cout, kernel, stride, momentum, groups=1):
    return [SameConv(cin, cout, kernel, stride=stride, groups=groups, bias=False), bn(cout, momentum)]


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, cout, 3, stride, 0.99), nn.ReLU(), *conv_bn(cout, cout, 3, 1, 0.99))
        self.shortcut = nn.Sequential(*conv_bn(cin, cout, 1, stride, 0.99)) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.shortcut(x) + self.body(x))


def resnet(channels, side, classes, depth=1, width=32):
    del side  # global average pooling makes the model independent of the input size
    layers = [*conv_bn(channels, width, 3, 1, 0.99), nn.ReLU()]
    cin = width
    for stage in (1, 2, 3):
        cout = width * 2 ** (stage - 1)
        for block in range(1, depth + 1):
            layers.append(BasicBlock(cin, cout, 2 if stage > 1 and block == 1 else 1))
            cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))


def make_divisible(value, divisor=8):
    """keras.applications.mobilenet_v2's _make_divisible."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class InvertedResidual(nn.Module):
    def __init__(self, cin, filters, stride, expansion, alpha):
        super().__init__()
        cout = make_divisible(int(filters * alpha))
        hidden = cin * expansion
        layers = [*conv_bn(cin, hidden, 1, 1, 0.999), nn.ReLU6()] if expansion != 1 else []
        layers += [*conv_bn(hidden, hidden, 3, stride, 0.999, groups=hidden), nn.ReLU6(), *conv_bn(hidden, cout, 1, 1, 0.999)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout
        self.out_channels = cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


# (filters, stride, expansion) of keras.applications.MobileNetV2's 17 blocks, expanded_conv then block_1..block_16.
MOBILENETV2_BLOCKS = (
    [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6)]
    + [(64, 1, 6)] * 3 + [(96, 1, 6)] * 3 + [(160, 2, 6)] + [(160, 1, 6)] * 2 + [(320, 1, 6)]
)


def mobilenetv2(channels, side, classes, alpha=1.0):
    del side
    first = make_divisible(32 * alpha)
    layers = [*conv_bn(channels, first, 3, 2, 0.999), nn.ReLU6()]
    cin = first
    for filters, stride, expansion in MOBILENETV2_BLOCKS:
        block = InvertedResidual(cin, filters, stride, expansion, alpha)
        layers.append(block)
        cin = block.out_channels
    last = make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    layers += [*conv_bn(cin, last, 1, 1, 0.999), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(last, classes)]
    return nn.Sequential(*layers)


def count_like_keras(model):
    """Parameters plus BatchNorm's running mean and variance (not num_batches_tracked): what Keras's count_params counts."""
    buffers = sum(b.numel() for name, b in model.named_buffers() if name.endswith(('running_mean', 'running_var')))
    return sum(p.numel() for p in model.parameters()) + buffers


MODELS = {'mnist-cnn': mnist_cnn, 'resnet': resnet, 'mobilenetv2': mobilenetv2}
