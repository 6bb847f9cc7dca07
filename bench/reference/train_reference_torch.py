# Runs under /usr/bin/python3 (Debian's python3-torch) for the train bench: mnist-cnn in PyTorch, timed as a speed reference.
"""Train the Keras mnist_convnet model in PyTorch on Fashion-MNIST held in memory, and print one JSON line.

The model, optimiser and loss follow the Keras example that mnist-cnn mirrors: conv 32 3x3 relu, maxpool 2,
conv 64 3x3 relu, maxpool 2, flatten, dropout 0.5, dense 10 (34,826 parameters), categorical crossentropy
(log_softmax + NLL), Adam lr 1e-3, batch 64. Keras's defaults are kept where PyTorch's differ: Glorot-uniform
weights with zero biases, Adam epsilon 1e-7, and a last partial batch that is trained, not dropped. The data are
the IDX files of Debian's dataset-fashion-mnist, scaled to [0, 1] and shuffled each epoch with a seeded generator.

samples_per_s is the steady state: samples of the batches after the first --warmup-batches, over the time they
took. epoch_seconds is each epoch's whole wall time (shuffle + every batch). peak_rss_mb is the process's peak
(importing torch alone is about 230 MB of it); train_peak_rss_mb is the peak as training ended, before the test
pass. --max-batches stops training after that many batches in all (warm-up included), to time a steady-state
slice without a whole epoch; test_acc is then that of a partly trained model.

numpy and torch are imported only once the thread count is known: OpenMP (ATen's) and OpenBLAS (Debian's
libblas.so.3 here, which numpy loads too) read their thread counts from the environment when they load.
"""
import argparse
import gzip
import json
import os
import resource
import sys
import time

DEFAULT_DATA = '/usr/share/datasets/fashion-mnist'
EVAL_BATCH = 250  # the test pass's transient memory grows with it: about +55 MB over training at 250, +150 MB at 1,000


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup-batches', type=int, default=20)
    parser.add_argument('--max-batches', type=int, default=None, help='stop after this many batches in all, warm-up included')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data', default=DEFAULT_DATA, help='folder with the four Fashion-MNIST IDX .gz files')
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch < 1 or args.threads < 1 or args.warmup_batches < 0:
        parser.error('--epochs, --batch and --threads must be at least 1, --warmup-batches at least 0')
    if args.max_batches is not None and args.max_batches <= args.warmup_batches:
        parser.error('--max-batches must be more than --warmup-batches, or nothing would be timed')
    return args


def read_idx(path):
    """An IDX file's payload as uint8, read straight into its array (no transient bytes copy)."""
    import numpy as np

    with gzip.open(path, 'rb') as f:
        magic = f.read(4)
        if len(magic) != 4 or magic[:2] != b'\0\0' or magic[2] != 0x08:
            raise ValueError(f'{path} is not an IDX file of unsigned bytes')
        dims = np.frombuffer(f.read(4 * magic[3]), dtype='>u4')
        payload = np.empty(int(np.prod(dims)), dtype=np.uint8)
        if f.readinto(memoryview(payload)) != payload.size:
            raise ValueError(f'{path} is shorter than its header says')
        return payload


def load_split(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f'{prefix}-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(data_dir, f'{prefix}-labels-idx1-ubyte.gz'))
    images = images.reshape(labels.shape[0], 1, 28, 28)  # channels first, as PyTorch convolves
    return images, labels


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # ru_maxrss is in KiB on Linux


def to_unit_float(pixels):
    """uint8 pixels as float32 in [0, 1], scaled in place so the peak holds one float copy, not two."""
    import numpy as np

    scaled = pixels.astype(np.float32)
    scaled /= 255.0
    return scaled


def main(argv):
    args = parse_args(argv)
    # torch.set_num_threads covers ATen's OpenMP pool only; the BLAS is pinned through the environment, before
    # numpy or torch loads it (see the module docstring).
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train_x_u8, train_y_u8 = load_split(args.data, 'train')
    test_x_u8, test_y_u8 = load_split(args.data, 't10k')
    # Held in memory as float tensors: the "from memory" setting, no loader in the timed loop beyond indexing.
    train_x = torch.from_numpy(to_unit_float(train_x_u8))
    train_y = torch.from_numpy(train_y_u8.astype(np.int64))
    test_x = torch.from_numpy(to_unit_float(test_x_u8))
    test_y = torch.from_numpy(test_y_u8.astype(np.int64))
    del train_x_u8, test_x_u8

    model = nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10),
    )
    for layer in model:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)  # Keras's glorot_uniform
            nn.init.zeros_(layer.bias)
    parameters = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # log_softmax + NLL: categorical crossentropy on softmax outputs

    shuffle = torch.Generator().manual_seed(args.seed)
    n = train_x.shape[0]
    batches_done = 0
    timed_samples = 0
    epoch_seconds = []
    train_loss = float('nan')
    stop = False
    model.train()
    timed_start = time.perf_counter() if args.warmup_batches == 0 else None
    for _epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        order = torch.randperm(n, generator=shuffle)
        loss_sum = 0.0
        loss_samples = 0
        for start in range(0, n, args.batch):
            idx = order[start:start + args.batch]
            x, y = train_x[idx], train_y[idx]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * idx.shape[0]  # .item() also waits for the step, so the clock is honest
            loss_samples += idx.shape[0]
            batches_done += 1
            if batches_done == args.warmup_batches:
                timed_start = time.perf_counter()
            elif batches_done > args.warmup_batches:
                timed_samples += idx.shape[0]
            if args.max_batches is not None and batches_done >= args.max_batches:
                stop = True
                break
        epoch_seconds.append(time.perf_counter() - epoch_start)
        train_loss = loss_sum / loss_samples
        if stop:
            break
    timed_end = time.perf_counter()
    if timed_start is None or timed_samples == 0:
        samples_per_s = None  # the run was shorter than its warm-up
    else:
        samples_per_s = timed_samples / (timed_end - timed_start)

    train_peak_rss_mb = peak_rss_mb()

    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, test_x.shape[0], EVAL_BATCH):
            logits = model(test_x[start:start + EVAL_BATCH])
            correct += int((logits.argmax(dim=1) == test_y[start:start + EVAL_BATCH]).sum())
    test_acc = correct / test_x.shape[0]

    print(json.dumps({
        'framework': 'torch',
        'version': torch.__version__,
        'threads': args.threads,
        'batch': args.batch,
        'parameters': parameters,
        'samples_per_s': None if samples_per_s is None else round(samples_per_s, 1),
        'epoch_seconds': [round(s, 3) for s in epoch_seconds],
        'test_acc': round(test_acc, 4),
        'train_loss': round(train_loss, 4),
        'peak_rss_mb': peak_rss_mb(),
        'train_peak_rss_mb': train_peak_rss_mb,
        'batches': batches_done,
        'warmup_batches': args.warmup_batches,
        'timed_samples': timed_samples,
        'full_epochs': not stop,
    }))


if __name__ == '__main__':
    main(sys.argv[1:])
