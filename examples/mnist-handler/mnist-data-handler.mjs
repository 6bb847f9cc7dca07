// A site's own data handler (runs in Tributary's data runner): the IBM FL tutorial's MnistKerasDataGenerator, rewritten.
//
// What changed from the tutorial: batches are shuffled every epoch with a seed (the tutorial's class-sorted order
// trains batches that hold a single class), the last short batch is kept (every sample is seen), an unreadable
// file is skipped and counted instead of stopping training, and class folders are read in a fixed order.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DataGenerator, DataHandler, decodeImage, makeBatch, readImageFile } from 'tributary';

const IMAGE_SHAPE = { height: 28, width: 28, channels: 1 };
const TARGET = { ...IMAGE_SHAPE, interpolation: 'bilinear', maxPixels: 1 << 24 };

/** root/<class>/*.png, class names from the sorted sub-folders (or the list given). */
class PngFolderGenerator extends DataGenerator {
  sampleShape = IMAGE_SHAPE;

  constructor(directory, options) {
    super(options);
    this.classNames =
      options.classNames ??
      readdirSync(directory, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    this.files = [];
    this.labels = [];
    this.classNames.forEach((name, label) => {
      const folder = path.join(directory, name);
      for (const file of readdirSync(folder)
        .filter((f) => f.endsWith('.png'))
        .sort()) {
        this.files.push(path.join(folder, file));
        this.labels.push(label);
      }
    });
    this.sampleCount = this.files.length;
  }

  describeSample(index) {
    return this.files[index];
  }

  labelOf(index) {
    return this.labels[index];
  }

  async loadSamples(indices) {
    const size = IMAGE_SHAPE.height * IMAGE_SHAPE.width;
    const x = new Float32Array(indices.length * size);
    const kept = [];
    const skipped = [];
    for (const index of indices) {
      try {
        const { pixels } = await decodeImage(readImageFile(this.files[index], TARGET.maxPixels), TARGET);
        for (let i = 0; i < size; i++) x[kept.length * size + i] = pixels[i] / 255;
        kept.push(index);
      } catch (error) {
        skipped.push({ index, source: this.files[index], reason: error.message });
      }
    }
    return makeBatch({
      x: x.subarray(0, kept.length * size),
      shape: IMAGE_SHAPE,
      indices: Uint32Array.from(kept),
      labels: Int32Array.from(kept, (i) => this.labels[i]),
      numClasses: this.classNames.length,
      skipped,
    });
  }
}

/** The config's `info`: training_set and testing_set folders (relative to the config), batch_size, seed. */
export class MnistKerasDataGenerator extends DataHandler {
  getData() {
    const { training_set, testing_set, batch_size = 64, seed = 0 } = this.info;
    const folder = (relative) => path.resolve(this.context.baseDir, relative);
    const train = new PngFolderGenerator(folder(training_set), { batchSize: batch_size, seed });
    // Test batches in a fixed order; both splits share the training split's class names, so labels agree.
    const test = new PngFolderGenerator(folder(testing_set), { batchSize: batch_size, shuffle: false, classNames: train.classNames });
    return { train, test };
  }
}
