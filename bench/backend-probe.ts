// Runs as `npm run bench:probe`: what the backend probe costs a training thread's open, measured and cached, on mnist-cnn and a ResNet-style CNN.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { table } from '../main/cli/table.js';
import { useQuietCpuBackend } from '../main/engine/backend.js';
import { TrainingRunner } from '../main/engine/train/runner.js';
import { machine, recordInDocs, repoRoot, round, type BenchResult } from './lib/report.js';

/** Each model's three opens are taken in turn this many times, so the machine's load falls on all three alike. */
const ROUNDS = 3;
const SAMPLE = path.join(repoRoot, 'assets', 'fashion-mnist-sample');

interface Case {
  name: string;
  /** The party config, written into the bench's folder. */
  config: string;
}

interface Opened {
  ms: number;
  description: string;
}

/** The ResNet-style CNN: conv+BN+ReLU, three residual stages of 32, 64 and 128 filters, global average pooling, dense. */
async function writeResnet(file: string, size: number): Promise<number> {
  await useQuietCpuBackend();
  const input = tf.input({ shape: [size, size, 1] });
  let x = input as tf.SymbolicTensor;
  const convBn = (filters: number, strides: number, from: tf.SymbolicTensor) => {
    const conv = tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false }).apply(from);
    return tf.layers.batchNormalization().apply(conv) as tf.SymbolicTensor;
  };
  for (const [stage, filters] of [32, 64, 128].entries()) {
    x = tf.layers.reLU().apply(convBn(filters, stage === 0 ? 1 : 2, x)) as tf.SymbolicTensor;
    const branch = convBn(filters, 1, tf.layers.reLU().apply(convBn(filters, 1, x)) as tf.SymbolicTensor);
    x = tf.layers.reLU().apply(tf.layers.add().apply([x, branch])) as tf.SymbolicTensor;
  }
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x);
  const output = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ name: 'resnet_style', inputs: input, outputs: output });
  const parameters = model.countParams();
  await writeFile(
    file,
    JSON.stringify({ format: 'layers-model', generatedBy: 'bench/backend-probe.ts', modelTopology: model.toJSON(null, false) }),
  );
  model.dispose();
  return parameters;
}

async function writeConfig(dir: string, name: string, size: number, batch: number, model: string): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  const data = [
    'data:',
    '  name: ImageFolder',
    '  info:',
    `    train: ${path.join(SAMPLE, 'train')}`,
    `    test: ${path.join(SAMPLE, 'test')}`,
    `    image_size: [${size}, ${size}]`,
    '    color_mode: grayscale',
    `    batch_size: ${batch}`,
  ];
  await writeFile(file, [...data, `model: ${model}`, ''].join('\n'));
  return file;
}

/** One training thread's open, timed from the host as a site's app would wait for it. */
async function open(config: string, backend?: 'tensorflow'): Promise<Opened> {
  const runner = new TrainingRunner();
  try {
    const started = performance.now();
    const info = await runner.open({ configFile: config, ...(backend && { backend }) });
    return { ms: performance.now() - started, description: info.backend.description };
  } finally {
    await runner.close();
  }
}

async function main(): Promise<void> {
  const dir = path.join(os.tmpdir(), `tributary-bench-probe-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const resnetFile = path.join(dir, 'resnet.json');
  const resnetParameters = await writeResnet(resnetFile, 64);
  const cases: Case[] = [
    { name: 'mnist-cnn 28x28, batch 64', config: await writeConfig(dir, 'mnist', 28, 64, '{ builtin: mnist-cnn }') },
    {
      name: `resnet-style (${resnetParameters} params) 64x64, batch 32`,
      config: await writeConfig(dir, 'resnet', 64, 32, `{ path: ${resnetFile} }`),
    },
  ];
  const rows: string[][] = [];
  const metrics: Record<string, unknown> = {};
  const ratios: Record<string, number> = {};
  for (const [index, { name, config }] of cases.entries()) {
    const runs: Record<'asked' | 'probed' | 'cached', number[]> = { asked: [], probed: [], cached: [] };
    let lines: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // A fresh cache folder each round: the training thread's environment is copied from this one as it starts.
      process.env.TRIBUTARY_CACHE_DIR = path.join(dir, `cache-${index}-${r}`);
      const asked = await open(config, 'tensorflow');
      const probed = await open(config);
      const cached = await open(config);
      runs.asked.push(asked.ms);
      runs.probed.push(probed.ms);
      runs.cached.push(cached.ms);
      lines = [probed.description, cached.description];
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const [asked, probed, cached] = [median(runs.asked), median(runs.probed), median(runs.cached)];
    rows.push([
      name,
      String(Math.round(asked)),
      String(Math.round(probed)),
      String(Math.round(cached)),
      String(Math.round(probed - asked)),
      String(Math.round(cached - asked)),
    ]);
    const key = index === 0 ? 'mnist_cnn' : 'resnet64';
    metrics[`${key}_open_ms`] = { asked: Math.round(asked), probed: Math.round(probed), cached: Math.round(cached) };
    metrics[`${key}_lines`] = lines;
    ratios[`${key}_probed_vs_asked`] = round(probed / asked);
    ratios[`${key}_cached_vs_asked`] = round(cached / asked);
  }
  metrics.load_avg_1min = round(os.loadavg()[0]!);
  await rm(dir, { recursive: true, force: true });
  const header = ['model', 'open, tensorflow asked (ms)', 'open, probed (ms)', 'open, cached (ms)', 'probe costs (ms)', 'cache costs (ms)'];
  const text = table(header, rows);
  console.log(text);
  for (const key of ['mnist_cnn_lines', 'resnet64_lines']) for (const line of metrics[key] as string[]) console.log(line);
  const result: BenchResult = { bench: 'probe', metrics, ratios, machine: machine() };
  const markdown = [
    '## Backend probe (`npm run bench:probe`)',
    '',
    `A training thread's open, timed from the host, median of ${ROUNDS} rounds taken in turn: with tensorflow asked for (no probe), with`,
    'nothing asked and an empty cache (the probe starts wasm and times both), and again (the cache answers). Load average',
    `${metrics.load_avg_1min} at the end.`,
    '',
    '```',
    text,
    ...(metrics.mnist_cnn_lines as string[]),
    ...(metrics.resnet64_lines as string[]),
    '```',
  ].join('\n');
  await recordInDocs(result, markdown);
  console.log(JSON.stringify(result));
}

await main();
