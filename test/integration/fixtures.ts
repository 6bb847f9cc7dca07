// Test helper (plain Node): a local federation's sites on the shipped Fashion-MNIST sample, and waiting for what real sockets and threads do in their own time.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadSample } from '../../main/federation/local/fashion-mnist.js';
import type { LocalFederationOptions } from '../../main/federation/local/local-federation.js';
import { writeSites, type Site } from '../../main/federation/local/sites.js';
import { splitSamples } from '../../main/federation/local/split.js';

/** An MLP on one wasm thread per party: an epoch of a third of the sample takes a fraction of a second. */
export const FAST_SETTINGS: LocalFederationOptions['settings'] = {
  model: { builtin: 'mlp' },
  learningRate: 0.01,
  batchSize: 32,
  seed: 0,
  threads: 1,
  pollInterval: 0.05,
};

/** A fresh folder holding `parties` sites, each with its own IID share of the sample's 1000 training images. */
export async function sampleSites(parties: number): Promise<{ root: string; sites: Site[] }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tributary-integration-'));
  const dataset = await loadSample();
  const { parts } = splitSamples(dataset.train.labels, { parties, nonIid: false, seed: 0, classes: 10 });
  return { root, sites: await writeSites(dataset, parts, root) };
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
