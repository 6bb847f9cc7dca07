// Runs in bench:train (Node): the models, budgets and data configs the train bench measures, full size or --quick.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { OpenOptions } from '../../main/engine/train/runner.js';
import { fashionMnistPngTree, type PngTree } from '../datasets/fashion-mnist-png.js';
import { repoRoot } from './report.js';

export type ModelName = 'mnist-cnn' | 'resnet' | 'mobilenetv2';

export interface ModelPlan {
  name: ModelName;
  /** Side of the square grayscale input: Fashion-MNIST's 28x28 resized (bilinear) by each framework's data path. */
  side: number;
  batch: number;
  /** Seeded steps trained; the test accuracy is measured after them (the fixed budget). */
  steps: number;
  /** Steps left out of samples/s. */
  warmup: number;
  /** The running mean of the training loss is compared after this many steps. */
  lossAt: number;
  /** Test images per class, the first in file order (1000 = all 10,000). */
  testPerClass: number;
  /** Tributary's config for it (written under bench/out/train) and the `model:` section. */
  configFile: string;
  model: OpenOptions['model'];
  /** The initial weights every run starts from (init-weights.ts: `<base>.json` and `<base>.f32`), written when the parameters are checked. */
  initWeights: string;
  /** The records Tributary trains on, in its order (uint32), written with the weights: the references train on the same batches. */
  trainOrder: string;
}

export interface Plan {
  quick: boolean;
  models: ModelPlan[];
  /** Each framework's run is repeated this many times, alternating with the others (A B C D A B C D). */
  repeats: number;
  /** Epochs of the tutorial's generator + fit in the end-to-end row; Tributary trains until it reaches their accuracy, at most as many. */
  endToEndEpochs: number;
  endToEndConfig: string;
  pngTree: PngTree;
}

export const OUT = path.join(repoRoot, 'bench', 'out');
const FASHION_MNIST_IDX = path.join(repoRoot, 'examples', 'idx', 'party.yaml');
const CLASSES = '[0-tshirt-top, 1-trouser, 2-pullover, 3-dress, 4-coat, 5-sandal, 6-shirt, 7-sneaker, 8-bag, 9-ankle-boot]';

/** Steps, warm-up and loss step per model: full size for the record, --quick to check the bench works in minutes. */
const BUDGETS = {
  full: {
    'mnist-cnn': { steps: 938, warmup: 20, lossAt: 100, testPerClass: 1000 },
    resnet: { steps: 200, warmup: 10, lossAt: 50, testPerClass: 200 },
    mobilenetv2: { steps: 200, warmup: 10, lossAt: 50, testPerClass: 200 },
  },
  quick: {
    'mnist-cnn': { steps: 60, warmup: 10, lossAt: 30, testPerClass: 1000 },
    resnet: { steps: 12, warmup: 4, lossAt: 8, testPerClass: 20 },
    mobilenetv2: { steps: 12, warmup: 4, lossAt: 8, testPerClass: 20 },
  },
} as const;

const MODELS: Record<ModelName, { side: number; batch: number; model: Record<string, unknown> }> = {
  'mnist-cnn': { side: 28, batch: 64, model: { builtin: 'mnist-cnn' } },
  resnet: { side: 64, batch: 32, model: { builtin: 'resnet', depth: 1, width: 32 } },
  mobilenetv2: { side: 96, batch: 32, model: { builtin: 'mobilenetv2', alpha: 1.0 } },
};

export async function makePlan(options: { quick: boolean; models: ModelName[]; repeats: number }): Promise<Plan> {
  const dir = path.join(OUT, 'train');
  await fsp.mkdir(dir, { recursive: true });
  const pngTree = await fashionMnistPngTree(path.join(OUT, 'fashion-mnist-png'));
  const budgets = BUDGETS[options.quick ? 'quick' : 'full'];
  const models: ModelPlan[] = [];
  for (const name of options.models) {
    const { side, batch, model } = MODELS[name];
    const budget = budgets[name];
    const configFile =
      name === 'mnist-cnn' ? FASHION_MNIST_IDX : await imageFolderConfig(dir, name, pngTree.train, side, batch, budget.testPerClass);
    models.push({
      name,
      side,
      batch,
      ...budget,
      configFile,
      model: { ...model, optimizer: 'adam', learning_rate: 0.001, seed: 0 } as OpenOptions['model'],
      initWeights: path.join(dir, `${name}-init`),
      trainOrder: path.join(dir, `${name}-order.u32`),
    });
  }
  const endToEndConfig = path.join(dir, 'end-to-end.yaml');
  await fsp.writeFile(endToEndConfig, imageFolderYaml(pngTree.train, pngTree.test, 28, 64));
  return { quick: options.quick, models, repeats: options.repeats, endToEndEpochs: options.quick ? 1 : 3, endToEndConfig, pngTree };
}

/** The train tree at the model's size, against a test tree of the first `testPerClass` images of each class. */
async function imageFolderConfig(
  dir: string,
  name: string,
  train: string,
  side: number,
  batch: number,
  testPerClass: number,
): Promise<string> {
  const test = await fashionMnistPngTree(path.join(OUT, `fashion-mnist-png-test${testPerClass}`), {
    limitPerClass: { train: 1, test: testPerClass },
  });
  const file = path.join(dir, `${name}.yaml`);
  await fsp.writeFile(file, imageFolderYaml(train, test.test, side, batch));
  return file;
}

function imageFolderYaml(train: string, test: string, side: number, batch: number): string {
  return [
    '# Written by bench:train: the Fashion-MNIST PNG tree through the built-in ImageFolder handler.',
    'data:',
    '  name: ImageFolder',
    '  info:',
    `    train: ${JSON.stringify(train)}`,
    `    test: ${JSON.stringify(test)}`,
    `    class_names: ${CLASSES}`,
    `    image_size: [${side}, ${side}]`,
    '    color_mode: grayscale',
    '    interpolation: bilinear',
    `    batch_size: ${batch}`,
    '    shuffle: true',
    '    seed: 0',
    '',
  ].join('\n');
}
