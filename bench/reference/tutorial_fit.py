# Runs in the bench's venv for bench:train's end-to-end row: the IBM FL tutorial's Keras Sequence feeding model.fit on the PNG tree.
"""Train mnist-cnn with model.fit fed by the tutorial's DataGenerator, as a keras.utils.Sequence, and print one JSON line.

The generator is tutorial_generator.py's (the tutorial's own loop, defects kept: class-sorted batches, no shuffling,
the last partial batch dropped), given Keras's Sequence base here. After each epoch the model is evaluated on the
Fashion-MNIST test split (outside the timed training); printed are each epoch's training seconds and samples/s, the
test accuracy after each epoch, and the process's peak RSS.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

EVAL_BATCH = 250


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('train_dir', help="the PNG tree's train folder (one folder per class)")
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data', default='/usr/share/datasets/fashion-mnist', help='folder with the Fashion-MNIST IDX .gz files (the test split)')
    args = parser.parse_args(argv)
    if args.batch < 1 or args.epochs < 1:
        parser.error('--batch and --epochs must be at least 1')

    import keras
    from keras_models import mnist_cnn
    from reference_data import load_split
    from train_reference import peak_rss_mb
    from tutorial_generator import DataGenerator

    class TutorialSequence(DataGenerator, keras.utils.PyDataset):
        """The tutorial's class derives from keras.utils.Sequence (Keras 3's PyDataset): single process, as it runs there."""

        def __init__(self, directory, batch_size):
            keras.utils.PyDataset.__init__(self)
            DataGenerator.__init__(self, directory, batch_size)

    generator = TutorialSequence(args.train_dir, args.batch)
    if len(generator) == 0:
        parser.error(f'{args.train_dir} holds {len(generator.filenames)} PNGs, not enough for one batch of {args.batch}')
    test_x, test_y = load_split(args.data, 't10k')
    test_x = (test_x[..., None] / 255.0).astype('float32')
    test_y = keras.utils.to_categorical(test_y, 10)

    keras.utils.set_random_seed(args.seed)
    model = mnist_cnn((28, 28, 1), generator.num_classes)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss='categorical_crossentropy', metrics=['accuracy'])
    epochs = []

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.started
            _, accuracy = self.model.evaluate(test_x, test_y, batch_size=EVAL_BATCH, verbose=0)
            epochs.append({'seconds': round(seconds, 3), 'samples_per_s': round(len(generator) * args.batch / seconds, 1),
                           'test_acc': round(float(accuracy), 4)})

    model.fit(generator, epochs=args.epochs, callbacks=[EpochClock()], verbose=0)
    print(json.dumps({'version': f'keras {keras.__version__}', 'samples': len(generator) * args.batch, 'batch': args.batch,
                      'epochs': epochs, 'peak_rss_mb': peak_rss_mb()}))


if __name__ == '__main__':
    main(sys.argv[1:])
