#!/usr/bin/python3
# Runs as a child of bench/medical.ts (Debian's python3: pydicom + python3-gdcm, numpy, PIL; dcmtk, gdcmconv): makes the bench's DICOM tree, or reads it as a site's Python would.
"""Usage: medical_reference.py make OUTDIR FILES  |  medical_reference.py read ROOT SIZE CENTER WIDTH BATCH

make: OUTDIR/tree-FILES/<syntax>/P<patient>/<n>[.dcm]: FILES CT-like files spread evenly over the eight transfer
syntaxes the Dicom handler decodes, 256, 384 and 512 pixels square, one in four a 3-frame file; and
OUTDIR/tree-FILES/labels.csv (PatientID,label). The pixels are made once per (syntax, size, variant) as templates in
OUTDIR/templates with the shared fixture makers (test/fixtures/dicom_make.py: dcmtk and gdcmconv do the encoding);
each file of the tree is a template with its own SOPInstanceUID and patient, written by pydicom.
read: the pipeline a site would write: every file under ROOT in walk order, pydicom dcmread + pixel_array (gdcm,
pillow or numpy as pydicom picks), per frame numpy rescale to HU and a linear window, PIL's float ('F') bilinear
resize to SIZE x SIZE, batches of BATCH stacked into one float32 array. Prints one JSON line: images (frames), files,
seconds, peak RSS.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import pydicom
from PIL import Image
from pydicom.uid import generate_uid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures"))
from dicom_make import PHI, SYNTAXES, dataset, phantom, run  # noqa: E402  (the fixtures' makers, shared)

BENCH_SYNTAXES = ["explicit", "implicit", "deflated", "rle", "jpeg-baseline", "jpeg-lossless", "jpeg-ls", "j2k"]
SIZES = [256, 384, 512]
VARIANTS = 4  # per syntax and size; the last one is a 3-frame file
FRAMES = 3
FILES_PER_PATIENT = 16


def template_source(size, variant, eight_bit):
    """A CT phantom in explicit VR: 16-bit signed with a -1024 rescale, or 8 bits with slope 8 (JPEG baseline is 8-bit)."""
    frames = FRAMES if variant == VARIANTS - 1 else 1
    hu = np.stack([phantom(size, size) for _ in range(frames)])
    extra = {"RescaleIntercept": "-1024", "WindowCenter": "40", "WindowWidth": "400"}
    if eight_bit:
        pixels, bits, signed, extra["RescaleSlope"] = np.clip(np.round((hu + 1024) / 8), 0, 255).astype(np.uint8), 8, False, "8"
    else:
        pixels, bits, signed, extra["RescaleSlope"] = np.round(hu + 1024).astype(np.int16), 16, True, "1"
    ds = dataset(pixels if frames > 1 else pixels[0], "CT", "MONOCHROME2", bits, signed=signed, frames=frames, **extra)
    for key in PHI:  # the bench's files carry a bench patient ID and no other patient field
        delattr(ds, key)
    return ds


def templates(out):
    """{syntax: [template dataset, ...]}, each encoded once by the fixtures' tool command and kept in OUTDIR/templates."""
    folder = os.path.join(out, "templates")
    os.makedirs(folder, exist_ok=True)
    made = {}
    for syntax in BENCH_SYNTAXES:
        uid, make, _undo, _lossy = SYNTAXES[syntax]
        made[syntax] = []
        for size in SIZES:
            for variant in range(VARIANTS):
                target = os.path.join(folder, f"{syntax}-{size}-{variant}.dcm")
                if not os.path.exists(target):
                    source = target + ".explicit.tmp"
                    template_source(size, variant, syntax == "jpeg-baseline").save_as(source, write_like_original=False)
                    if make:
                        run(*make, source, target + ".tmp")
                        os.remove(source)
                    os.replace(target + ".tmp" if make else source, target)
                ds = pydicom.dcmread(target)
                if ds.file_meta.TransferSyntaxUID != uid:
                    raise SystemExit(f"{target}: the tool wrote {ds.file_meta.TransferSyntaxUID}, not {uid}")
                made[syntax].append(ds)
    return made


def make(out, files):
    root = os.path.join(out, f"tree-{files}")
    if os.path.exists(os.path.join(root, "labels.csv")):  # written last: the tree is whole
        return
    made = templates(out)
    patients = {}
    for n in range(files):
        syntax = BENCH_SYNTAXES[n % len(BENCH_SYNTAXES)]
        ds = made[syntax][(n // len(BENCH_SYNTAXES)) % len(made[syntax])]
        patient = n // FILES_PER_PATIENT
        if patient not in patients:
            patients[patient] = (generate_uid(), "abnormal" if patient % 3 == 0 else "normal")
        ds.PatientID = f"BENCH{patient:06d}"
        ds.StudyInstanceUID = patients[patient][0]
        ds.SeriesInstanceUID = generate_uid()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        folder = os.path.join(root, syntax, f"P{patient:06d}")
        os.makedirs(folder, exist_ok=True)
        # Half the files without an extension, as PACS exports name them.
        ds.save_as(os.path.join(folder, f"IM{n:06d}" + (".dcm" if n % 2 else "")), write_like_original=False)
        if n % 1000 == 999:
            print(f"{n + 1} of {files} files", file=sys.stderr)
    with open(os.path.join(root, "labels.csv"), "w") as f:
        f.write("PatientID,label\n" + "".join(f"BENCH{p:06d},{label}\n" for p, (_, label) in sorted(patients.items())))


def window(values, center, width):
    """DICOM's linear window (PS3.3 C.11.2.1.2.1) to 0..1, as Tributary's `window: [center, width]` applies it."""
    low, high = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    out = (values - (center - 0.5)) / (width - 1) + 0.5
    return np.where(values <= low, 0.0, np.where(values > high, 1.0, out)).astype(np.float32)


def read(root, size, center, width, batch):
    paths = [os.path.join(folder, name) for folder, _, names in sorted(os.walk(root)) for name in sorted(names)]
    paths = [p for p in paths if not p.endswith(".csv")]
    start = time.perf_counter()
    pending, images, checksum = [], 0, 0.0
    for path in paths:
        ds = pydicom.dcmread(path)
        pixels = ds.pixel_array
        frames = pixels if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1 else pixels[None]
        slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
        for frame in frames:
            values = window(frame.astype(np.float32) * slope + intercept, center, width)
            pending.append(np.asarray(Image.fromarray(values, mode="F").resize((size, size), Image.BILINEAR)))
            if len(pending) == batch:
                checksum += float(np.stack(pending)[0, 0, 0])
                images += len(pending)
                pending = []
    images += len(pending)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"images": images, "files": len(paths), "seconds": seconds, "peak_rss_mb": peak, "checksum": checksum}))


if sys.argv[1] == "make":
    make(sys.argv[2], int(sys.argv[3]))
else:
    read(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))
