# Runs in the bench's Python references (Keras and PyTorch alike): Fashion-MNIST from its IDX files, in the bench's seeded order and size.
"""The same samples for every reference: a seeded order over the train split, images resized with one numpy bilinear.

Pixels stay uint8 until a batch is fed (each framework turns its batch into floats in [0, 1]), so the data's share of
the peak RSS is the uint8 images of the samples the budget trains on, not a float copy of the whole split.
"""
import gzip
import os

import numpy as np

CLASSES = 10


def read_idx(path):
    """An IDX file's payload as uint8 with its dimensions."""
    with gzip.open(path, 'rb') as f:
        magic = f.read(4)
        if len(magic) != 4 or magic[:2] != b'\0\0' or magic[2] != 0x08:
            raise ValueError(f'{path} is not an IDX file of unsigned bytes')
        dims = tuple(int(d) for d in np.frombuffer(f.read(4 * magic[3]), dtype='>u4'))
        payload = np.frombuffer(f.read(), dtype=np.uint8)
    if payload.size != int(np.prod(dims)):
        raise ValueError(f'{path} holds {payload.size} bytes, its header says {int(np.prod(dims))}')
    return payload.reshape(dims)


def load_split(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f'{prefix}-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(data_dir, f'{prefix}-labels-idx1-ubyte.gz'))
    return images, labels.astype(np.int64)


def train_order(count, samples, seed):
    """Indices for `samples` training samples: seeded permutations of the split, one after another (epoch after epoch)."""
    rng = np.random.default_rng(seed)
    epochs = -(-samples // count)
    return np.concatenate([rng.permutation(count) for _ in range(epochs)])[:samples]


def read_order(path, samples, count):
    """The first `samples` records of an order file, each checked to be a record of the split."""
    order = np.fromfile(path, dtype='<u4').astype(np.int64)
    if order.size < samples:
        raise ValueError(f'{path} holds {order.size} records, the run trains on {samples}')
    if order.size and order.max() >= count:
        raise ValueError(f'{path} names record {order.max()}, the split has {count}')
    return order[:samples]


def first_per_class(labels, limit):
    """The first `limit` records of each class in file order: the test subset bench/datasets/fashion-mnist-png.ts writes."""
    seen = np.zeros(CLASSES, dtype=np.int64)
    chosen = []
    for index, label in enumerate(labels):
        if seen[label] < limit:
            seen[label] += 1
            chosen.append(index)
    return np.asarray(chosen, dtype=np.int64)


def resize_bilinear(images, side, chunk=1000):
    """uint8 [n, h, w] to uint8 [n, side, side], bilinear as Tributary resizes (sharp, libvips's affine enlargement).

    Output pixel i samples input coordinate i * (size / side) - 0.5, not tf.image.resize's (i + 0.5) * (size / side) - 0.5:
    libvips's convention, a fraction of a pixel apart, which at Fashion-MNIST's sharp edges changes pixels by tens of
    levels. Copying it keeps the references on the very pixels Tributary trains on (test/bench checks it).
    """
    n, height, width = images.shape
    if height == side and width == side:
        return images
    out = np.empty((n, side, side), dtype=np.uint8)
    y0, y1, wy = _taps(height, side)
    x0, x1, wx = _taps(width, side)
    wy, wx = wy[:, None], wx[None, :]
    for start in range(0, n, chunk):
        block = images[start:start + chunk].astype(np.float32)
        top = block[:, y0][:, :, x0] * (1 - wx) + block[:, y0][:, :, x1] * wx
        bottom = block[:, y1][:, :, x0] * (1 - wx) + block[:, y1][:, :, x1] * wx
        out[start:start + chunk] = np.clip(np.rint(top * (1 - wy) + bottom * wy), 0, 255).astype(np.uint8)
    return out


def _taps(size, side):
    centres = np.clip(np.arange(side) * (size / side) - 0.5, 0, size - 1)
    low = np.floor(centres).astype(np.int64)
    return low, np.minimum(low + 1, size - 1), (centres - low).astype(np.float32)


def bench_data(data_dir, side, samples, seed, test_per_class, order_file=None):
    """(train_x uint8 [samples, side, side], train_y, test_x uint8, test_y) in the bench's order and size.

    The order is the records in `order_file` (little-endian uint32, Tributary's order: the same batches) when given,
    else seeded permutations of the split.
    """
    images, labels = load_split(data_dir, 'train')
    order = train_order(labels.shape[0], samples, seed) if order_file is None else read_order(order_file, samples, labels.shape[0])
    test_images, test_labels = load_split(data_dir, 't10k')
    chosen = first_per_class(test_labels, test_per_class)
    return (
        resize_bilinear(images[order], side),
        labels[order],
        resize_bilinear(test_images[chosen], side),
        test_labels[chosen],
    )
