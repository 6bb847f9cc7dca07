# Runs in the bench's venv (bench/lib/venv.ts builds it): one Keras or PyTorch training run for bench:train, printed as one JSON line.
"""Train a model in Keras 3 (TensorFlow backend) or PyTorch on Fashion-MNIST for a fixed number of seeded steps.

Printed: parameters (as Keras counts them), steady samples/s (the steps after --warmup, over their wall time), the
running mean of the training loss after --loss-at steps (what Keras's progress bar shows), test accuracy after all
--steps, peak RSS, and the CPU cores used over the timed steps (process CPU time / wall). --params-only prints the
parameter count and stops. Thread counts are each framework's defaults unless --threads is given: the references
are what a user gets out of the box. Keras runs model.fit on a tf.data pipeline that turns uint8 batches into floats,
PyTorch a plain loop doing the same; both use Adam (epsilon 1e-7, Keras's) and categorical cross-entropy.
"""
import argparse
import json
import os
import resource
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

MODELS = ('mnist-cnn', 'resnet', 'mobilenetv2')
EVAL_BATCH = 250


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--framework', choices=('keras', 'torch'), required=True)
    parser.add_argument('--model', choices=MODELS, required=True)
    parser.add_argument('--size', type=int, default=28, help='image side the 28x28 images are resized to')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--steps', type=int, default=100)
    parser.add_argument('--warmup', type=int, default=10, help='steps left out of samples/s')
    parser.add_argument('--loss-at', type=int, default=None, help='report the running loss after this many steps; --steps unless given')
    parser.add_argument('--test-per-class', type=int, default=1000, help='test images per class (the first in file order)')
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=None, help="intra-op threads; the framework's default unless given")
    parser.add_argument('--data', default='/usr/share/datasets/fashion-mnist', help='folder with the four Fashion-MNIST IDX .gz files')
    parser.add_argument('--params-only', action='store_true', help='print the parameter count and stop')
    parser.add_argument('--order', default=None,
                        help="the training records in order (little-endian uint32: Tributary's, bench/lib/init-weights.ts); a seeded permutation unless given")
    parser.add_argument('--init-weights', default=None,
                        help="Keras: start from these weights (BASE.json names and shapes, BASE.f32 values: Tributary's, bench/lib/init-weights.ts)")
    args = parser.parse_args(argv)
    args.loss_at = args.steps if args.loss_at is None else args.loss_at
    if min(args.size, args.batch, args.steps, args.test_per_class) < 1 or args.warmup < 0:
        parser.error('--size, --batch, --steps and --test-per-class must be at least 1, --warmup at least 0')
    if args.warmup >= args.steps:
        parser.error(f'--warmup ({args.warmup}) must be less than --steps ({args.steps}), or nothing would be timed')
    if not 1 <= args.loss_at <= args.steps:
        parser.error(f'--loss-at must be between 1 and --steps ({args.steps})')
    if args.size < 10:
        parser.error('--size must be at least 10 (mnist-cnn leaves nothing of a smaller side)')
    return args


class Clock:
    """Wall and process CPU time (every thread's) from the end of the warm-up steps to the last step."""

    def __init__(self, warmup):
        self.warmup = warmup
        self.start = None
        self.end = None

    def step_done(self, step):
        if step == self.warmup:
            self.start = (time.perf_counter(), _cpu())
        self.end = (time.perf_counter(), _cpu())

    def rates(self, steps, batch):
        wall = self.end[0] - self.start[0]
        return round((steps - self.warmup) * batch / wall, 2), round((self.end[1] - self.start[1]) / wall, 2)


def _cpu():
    times = os.times()
    return times.user + times.system


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def run_keras(args, data):
    import tensorflow as tf

    if args.threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    import keras
    from keras_models import MODELS as BUILD

    keras.utils.set_random_seed(args.seed)
    model = BUILD[args.model]((args.size, args.size, 1), 10)
    if args.init_weights is not None:
        load_init_weights(model, args.init_weights)
    if data is None:
        return {'parameters': int(model.count_params()), 'version': f'keras {keras.__version__}, tensorflow {tf.__version__}'}
    train_x, train_y, test_x, test_y = data
    model.compile(optimizer=keras.optimizers.Adam(args.lr), loss='categorical_crossentropy', metrics=['accuracy'])

    def feed(x, y, batch):
        dataset = tf.data.Dataset.from_tensor_slices((x[..., None], y)).batch(batch)
        return dataset.map(lambda b, l: (tf.cast(b, tf.float32) / 255.0, tf.one_hot(l, 10))).prefetch(tf.data.AUTOTUNE)

    clock = Clock(args.warmup)
    losses = {}

    class Timer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch + 1 == args.loss_at:
                losses['at'] = float(logs['loss'])
            clock.step_done(batch + 1)

    model.fit(feed(train_x, train_y, args.batch), epochs=1, steps_per_epoch=args.steps, callbacks=[Timer()], verbose=0)
    train_rss = peak_rss_mb()
    _, accuracy = model.evaluate(feed(test_x, test_y, EVAL_BATCH), verbose=0)
    return {
        'parameters': int(model.count_params()),
        'version': f'keras {keras.__version__}, tensorflow {tf.__version__}',
        'threads': tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count(),
        'jit_compile': bool(model.jit_compile),
        'loss_at': losses['at'],
        'test_acc': float(accuracy),
        'train_peak_rss_mb': train_rss,
        'clock': clock,
    }


def load_init_weights(model, base):
    """Every weight of the model (trainable or not) from Tributary's file, matched by layer and weight name, shapes checked.

    Tributary names a weight `layer/weight`, as Keras 2 did; Keras 3 keys it by its layer's name and its own (a
    Sequential model's paths carry the model's name too), and calls a depthwise kernel `kernel`, not `depthwise_kernel`.
    """
    import numpy as np

    with open(f'{base}.json', encoding='utf-8') as f:
        manifest = json.load(f)
    values = np.fromfile(f'{base}.f32', dtype='<f4')
    sizes = [int(np.prod(entry['shape'])) for entry in manifest]
    if values.size != sum(sizes):
        raise SystemExit(f'{base}.f32 holds {values.size} values, {base}.json describes {sum(sizes)}')
    offsets = np.cumsum([0] + sizes)
    by_name = {
        e['name'].replace('/depthwise_kernel', '/kernel'): values[offsets[i]:offsets[i + 1]].reshape(e['shape']) for i, e in enumerate(manifest)
    }
    weights = {f'{layer.name}/{weight.name}': weight for layer in model.layers for weight in layer.weights}
    if sorted(weights) != sorted(by_name):
        raise SystemExit(f'{base}.json and the Keras model differ in weights: {sorted(set(by_name) ^ set(weights))[:5]}')
    for name, weight in weights.items():
        if tuple(weight.shape) != by_name[name].shape:
            raise SystemExit(f'{base}.json: {name} is {by_name[name].shape}, the Keras model has {tuple(weight.shape)}')
        weight.assign(by_name[name])


def run_torch(args, data):
    import torch
    from torch import nn
    from torch_models import MODELS as BUILD, count_like_keras

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = BUILD[args.model](1, args.size, 10)
    version = f'torch {torch.__version__}'
    if data is None:
        return {'parameters': count_like_keras(model), 'version': version}
    train_x, train_y, test_x, test_y = data
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def as_float(x):
        return torch.from_numpy(x[:, None]).float().div_(255.0)

    clock = Clock(args.warmup)
    loss_sum = 0.0
    loss_at = None
    model.train()
    for step in range(1, args.steps + 1):
        rows = slice((step - 1) * args.batch, step * args.batch)
        x, y = as_float(train_x[rows]), torch.from_numpy(train_y[rows])
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item()  # .item() waits for the step, so the clock is honest
        if step == args.loss_at:
            loss_at = loss_sum / step
        clock.step_done(step)
    train_rss = peak_rss_mb()
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, test_x.shape[0], EVAL_BATCH):
            logits = model(as_float(test_x[start:start + EVAL_BATCH]))
            correct += int((logits.argmax(dim=1).numpy() == test_y[start:start + EVAL_BATCH]).sum())
    return {
        'parameters': count_like_keras(model),
        'version': version,
        'threads': torch.get_num_threads(),
        'loss_at': loss_at,
        'test_acc': correct / test_x.shape[0],
        'train_peak_rss_mb': train_rss,
        'clock': clock,
    }


def main(argv):
    args = parse_args(argv)
    run = run_keras if args.framework == 'keras' else run_torch
    if args.params_only:
        print(json.dumps({'framework': args.framework, 'model': args.model, **run(args, None)}))
        return
    from reference_data import bench_data

    data = bench_data(args.data, args.size, args.steps * args.batch, args.seed, args.test_per_class, args.order)
    result = run(args, data)
    samples_per_s, cores = result.pop('clock').rates(args.steps, args.batch)
    print(json.dumps({
        'framework': args.framework,
        'model': args.model,
        **result,
        'samples_per_s': samples_per_s,
        'cpu_cores': cores,
        'test_acc': round(result['test_acc'], 4),
        'loss_at': round(result['loss_at'], 4),
        'peak_rss_mb': peak_rss_mb(),
        'steps': args.steps,
        'batch': args.batch,
        'test_samples': int(data[3].shape[0]),
    }))


if __name__ == '__main__':
    main(sys.argv[1:])
