# Runs under /usr/bin/python3 for the data bench: the IBM FL tutorial's DataGenerator loop, timed as the speed reference.
"""Iterate the tutorial's generator over a PNG tree as Keras fit would, and print one JSON line of measurements.

The DataGenerator below keeps the tutorial's behaviour on purpose, defects included (no shuffling, a last partial
batch dropped by __len__), since it is the baseline being compared against. Keras is not installed, so
to_categorical is rebuilt with numpy; K.floatx() is Keras's default, float32.
"""
import argparse
import glob
import json
import os
import resource
import time

import numpy as np
from matplotlib import image


def to_categorical(classes, num_classes):
    """keras.utils.to_categorical for a list of class indices."""
    return np.eye(num_classes, dtype=np.float32)[np.asarray(classes, dtype=np.int64)]


class DataGenerator:
    """The tutorial's keras.utils.Sequence, minus the base class."""

    def __init__(self, directory, batch_size=32):
        self.directory = directory
        self.batch_size = batch_size
        self.image_shape = (28, 28)
        labels = [d for d in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, d))]
        self.labels = labels
        self.num_classes = len(labels)
        self.class_indices = dict(zip(labels, range(len(labels))))
        self.filenames = []
        self.file_classes = []
        for subdir in labels:
            # glob order is the directory's, unsorted, exactly as in the tutorial
            list_ids = glob.glob(os.path.join(directory, subdir, '*.png'))
            self.filenames = self.filenames + list_ids
            self.file_classes = self.file_classes + [self.class_indices[subdir]] * len(list_ids)
        self.on_epoch_end()

    def on_epoch_end(self):
        self.indexes = np.arange(len(self.filenames))

    def __len__(self):
        return int(np.floor(len(self.filenames) / self.batch_size))

    def __getitem__(self, index):
        indexes = self.indexes[index * self.batch_size:(index + 1) * self.batch_size]
        list_files = [self.filenames[k] for k in indexes]
        list_classes = [self.file_classes[k] for k in indexes]
        return self._data_generation(list_files, list_classes)

    def _data_generation(self, list_files, list_classes):
        batch_x = np.zeros((len(list_files),) + self.image_shape, dtype=np.float32)
        for i, fname in enumerate(list_files):
            batch_x[i] = image.imread(fname)
        batch_y = to_categorical(list_classes, num_classes=self.num_classes)
        batch_x = batch_x.reshape(batch_x.shape[0], 28, 28, 1)
        return batch_x, batch_y


def run_epoch(generator):
    """One pass as fit makes it: every batch by index, then on_epoch_end. Returns (seconds, single-class batches)."""
    started = time.perf_counter()
    single_class = 0
    for index in range(len(generator)):
        _, batch_y = generator[index]
        if np.all(batch_y.argmax(axis=1) == batch_y[0].argmax()):
            single_class += 1
    generator.on_epoch_end()
    return time.perf_counter() - started, single_class


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('train_dir')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=2)
    args = parser.parse_args()
    if args.batch < 1 or args.epochs < 1:
        parser.error('--batch and --epochs must be positive')

    generator = DataGenerator(args.train_dir, args.batch)
    if len(generator) == 0:
        parser.error(f'{args.train_dir} holds {len(generator.filenames)} PNGs, not enough for one batch of {args.batch}')
    images_per_epoch = len(generator) * args.batch
    epoch_seconds, single_class_batches = [], 0
    for _ in range(args.epochs):
        seconds, single_class = run_epoch(generator)
        epoch_seconds.append(seconds)
        single_class_batches += single_class

    print(json.dumps({
        'images_per_s': [round(images_per_epoch / s, 1) for s in epoch_seconds],
        'epoch_seconds': [round(s, 3) for s in epoch_seconds],
        # ru_maxrss is in KiB on Linux
        'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        'batches': len(generator) * args.epochs,
        'single_class_batches': single_class_batches,
    }))


if __name__ == '__main__':
    main()
