// Tests (Node, real tfjs on the tensorflow, wasm and cpu backends): the model.json IOHandler saves and loads Layers models, and
// refuses bad files by name.
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFile } from '../../../main/engine/model-file.js';
import { tempDir } from '../../fixtures/corpus.js';
import { ALL_BACKENDS, forEachBackend } from './backends.js';

let root: string;
/** The current backend's folder in root: each backend's suite writes the same files afresh. */
let dir: string;
beforeAll(async () => {
  root = await tempDir('tributary-model-file-');
});
afterAll(() => rm(root, { recursive: true, force: true }));

function tiny(): tf.Sequential {
  return tf.sequential({ layers: [tf.layers.dense({ name: 'dense', units: 3, inputShape: [4], activation: 'softmax' })] });
}

/** Writes a model.json (and optional files) in a fresh folder; returns the model.json path. */
async function writeModel(name: string, json: unknown, files: Record<string, Uint8Array | string> = {}): Promise<string> {
  const folder = path.join(dir, name);
  await mkdir(folder, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(folder, file), content);
  const file = path.join(folder, 'model.json');
  await writeFile(file, typeof json === 'string' ? json : JSON.stringify(json));
  return file;
}

const topology = {
  class_name: 'Sequential',
  config: {
    name: 'tiny',
    layers: [{ class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'softmax', batch_input_shape: [null, 4] } }],
  },
};
const manifest = (paths: string[]) => [
  {
    paths,
    weights: [
      { name: 'dense/kernel', shape: [4, 3], dtype: 'float32' },
      { name: 'dense/bias', shape: [3], dtype: 'float32' },
    ],
  },
];
const weightBytes = new Uint8Array(Float32Array.from({ length: 15 }, (_, i) => i / 10).buffer);

forEachBackend((backend) => {
  beforeAll(async () => {
    dir = path.join(root, backend);
    await mkdir(dir);
  });

  describe('modelFile', () => {
    it('saves a model.json with its weights beside it and loads the same model back', async () => {
      const model = tiny();
      const file = path.join(dir, 'saved', 'model.json');
      const result = await model.save(modelFile(file));
      expect(result.modelArtifactsInfo.weightDataBytes).toBe(15 * 4);

      const loaded = await tf.loadLayersModel(modelFile(file));
      expect(loaded.weights.map((w) => w.originalName)).toEqual(['dense/kernel', 'dense/bias']);
      for (const [i, w] of loaded.getWeights().entries()) expect(w.arraySync()).toEqual(model.getWeights()[i]!.arraySync());
      model.dispose();
      loaded.dispose();
    });

    it('loads weights split over several files, in manifest order', async () => {
      const file = await writeModel(
        'split',
        { format: 'layers-model', modelTopology: topology, weightsManifest: manifest(['a.bin', 'b.bin']) },
        {
          'a.bin': weightBytes.subarray(0, 20),
          'b.bin': weightBytes.subarray(20),
        },
      );
      const model = await tf.loadLayersModel(modelFile(file));
      expect(Array.from(model.getWeights()[1]!.dataSync())).toEqual([1.2, 1.3, 1.4].map(Math.fround));
      model.dispose();
    });

    it("loads a bare Keras to_json() topology and a converter's model_config, with fresh weights", async () => {
      for (const [name, json] of [
        ['bare', topology],
        ['converted', { modelTopology: { keras_version: '2.15.0', model_config: topology } }],
      ] as const) {
        const model = await tf.loadLayersModel(modelFile(await writeModel(name, json)));
        expect(model.countParams()).toBe(15);
        model.dispose();
      }
    });

    it('names the file at fault', async () => {
      const load = (file: string) => modelFile(file).load!();
      const missing = path.join(dir, 'nowhere', 'model.json');
      await expect(load(missing)).rejects.toThrow(`${missing}: file not found`);
      await expect(load(dir)).rejects.toThrow(`${dir}: is a folder, not a file`);

      const badJson = await writeModel('bad-json', '{ "modelTopology": ');
      await expect(load(badJson)).rejects.toThrow(new RegExp(`^${badJson}: is not valid JSON: `));
      const notObject = await writeModel('array', [1, 2]);
      await expect(load(notObject)).rejects.toThrow(`${notObject}: is not a model.json: expected a JSON object`);
      const notLayers = await writeModel('not-layers', { modelTopology: { layers: [] } });
      await expect(load(notLayers)).rejects.toThrow(`${notLayers}: is not a Layers model`);
      const graph = await writeModel('graph', { format: 'graph-model', modelTopology: { node: [] } });
      await expect(load(graph)).rejects.toThrow(`${graph}: is a tfjs graph model`);
    });

    it('refuses a bad weights manifest, a missing or short weight file, and paths out of the folder', async () => {
      const load = (file: string) => modelFile(file).load!();
      const badManifest = await writeModel('bad-manifest', { modelTopology: topology, weightsManifest: { paths: 'w.bin' } });
      await expect(load(badManifest)).rejects.toThrow(`${badManifest}: its "weightsManifest" must be a list`);
      const badSpec = await writeModel('bad-spec', {
        modelTopology: topology,
        weightsManifest: [{ paths: [], weights: [{ name: 'x', shape: [1.5] }] }],
      });
      await expect(load(badSpec)).rejects.toThrow(`${badSpec}: weightsManifest weight 0 must have a name, an integer shape and a dtype`);

      const noWeights = await writeModel('no-weights', { modelTopology: topology, weightsManifest: manifest(['w.bin']) });
      await expect(load(noWeights)).rejects.toThrow(`${path.join(dir, 'no-weights', 'w.bin')}: file not found (listed in ${noWeights})`);
      const short = await writeModel(
        'short',
        { modelTopology: topology, weightsManifest: manifest(['w.bin']) },
        { 'w.bin': weightBytes.subarray(4) },
      );
      await expect(load(short)).rejects.toThrow(`${short}: its weight files hold 56 bytes, but its weightsManifest describes 60`);

      await writeFile(path.join(dir, 'outside.bin'), weightBytes);
      const escaping = await writeModel('escaping', { modelTopology: topology, weightsManifest: manifest(['../outside.bin']) });
      await expect(load(escaping)).rejects.toThrow(`${escaping}: weight path "../outside.bin" leaves the model's folder`);
      const absolute = await writeModel('absolute', {
        modelTopology: topology,
        weightsManifest: manifest([path.join(dir, 'outside.bin')]),
      });
      await expect(load(absolute)).rejects.toThrow("leaves the model's folder");
      const linked = await writeModel('linked', { modelTopology: topology, weightsManifest: manifest(['w.bin']) });
      await symlink(path.join(dir, 'outside.bin'), path.join(dir, 'linked', 'w.bin'));
      await expect(load(linked)).rejects.toThrow(`${linked}: weight path "w.bin" is a link out of the model's folder`);
    });
  });
}, ALL_BACKENDS);
