#!/usr/bin/python3
# Runs as a child of bench/nifti.ts (Debian's python3: nibabel, numpy, PIL): makes the bench's volumes, or reads them as a site's Python would.
"""Usage: nifti_reference.py make OUTDIR COUNT  |  nifti_reference.py read CSV SIZE CENTER WIDTH BATCH

make: COUNT CT-like volumes 256 x 256 x 64 int16 with scl_slope 1 / scl_inter -1024, as vol-<n>.nii.gz and
vol-<n>.nii, and OUTDIR/gz.csv + nii.csv (file,label,patient).
read: the pipeline a site would write: per volume nib.load + get_fdata (float32), then per axial slice the window,
PIL's float ('F') bilinear resize to SIZE x SIZE, batches of BATCH stacked into one float32 array. Prints one JSON
line: slices, seconds, peak RSS.
"""
import json
import os
import resource
import struct
import sys
import time

import nibabel as nib
import numpy as np
from PIL import Image


def make(out, count):
    rng = np.random.default_rng(5)
    os.makedirs(out, exist_ok=True)
    rows = {"gz": [], "nii": []}
    y, x = np.mgrid[0:256, 0:256]
    disc = np.hypot(y - 128, x - 128) < 110
    for n in range(count):
        data = np.where(disc[:, :, None], 1064, 24).astype(np.int16) + rng.integers(-40, 41, (256, 256, 64), dtype=np.int16)
        image = nib.Nifti1Image(data, np.diag([0.7, 0.7, 2.5, 1.0]))
        image.header.set_slope_inter(1.0, -1024.0)
        for kind, name in (("gz", f"vol-{n}.nii.gz"), ("nii", f"vol-{n}.nii")):
            image.to_filename(os.path.join(out, name))
            rows[kind].append(f"{name},{['a', 'b'][n % 2]},P{n}")
    for kind, lines in rows.items():
        with open(os.path.join(out, f"{kind}.csv"), "w") as f:
            f.write("file,label,patient\n" + "\n".join(lines) + "\n")


def window(values, center, width):
    low, high = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    out = (values - (center - 0.5)) / (width - 1) + 0.5
    return np.where(values <= low, 0.0, np.where(values > high, 1.0, out)).astype(np.float32)


def read(csv, size, center, width, batch):
    base = os.path.dirname(csv)
    files = [line.split(",")[0] for line in open(csv).read().split("\n")[1:] if line]
    start = time.perf_counter()
    pending, slices, checksum = [], 0, 0.0
    for name in files:
        data = nib.load(os.path.join(base, name)).get_fdata(dtype=np.float32)
        for k in range(data.shape[2]):
            resized = np.asarray(Image.fromarray(data[:, :, k], mode="F").resize((size, size), Image.BILINEAR))
            pending.append(window(resized, center, width))
            if len(pending) == batch:
                checksum += float(np.stack(pending)[0, 0, 0])
                slices += len(pending)
                pending = []
    slices += len(pending)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"slices": slices, "seconds": seconds, "peak_rss_mb": peak, "checksum": checksum}))


if sys.argv[1] == "make":
    make(sys.argv[2], int(sys.argv[3]))
else:
    read(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))
