// Runs where training runs (plain Node): a tfjs IOHandler for a Layers model.json and its weight files on disk, which the union package lacks in Node.
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { fsProblem } from '../config/fs-problem.js';

type Artifacts = tfjs.io.ModelArtifacts;

/** A model file that cannot be used; the message starts with the file (or the config key) at fault. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly file: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${problem}`, options);
  }
}

/** For `tf.loadLayersModel(modelFile(file))` and `model.save(modelFile(file))`; the weights go to `<name>.weights.bin` beside it. */
export function modelFile(file: string): tfjs.io.IOHandler {
  const absolute = path.resolve(file);
  return { load: () => loadModelFile(absolute), save: (artifacts) => saveModelFile(absolute, artifacts) };
}

async function loadModelFile(file: string): Promise<Artifacts> {
  const json = parseJson(file, await readOrExplain(file, file));
  const topology = layersTopology(file, json);
  const manifest = json.weightsManifest === undefined ? [] : weightsManifest(file, json.weightsManifest);
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const artifacts: Artifacts = {
    modelTopology: topology,
    format: typeof json.format === 'string' ? json.format : 'layers-model',
    ...(typeof json.generatedBy === 'string' && { generatedBy: json.generatedBy }),
    ...(isObject(json.trainingConfig) && { trainingConfig: json.trainingConfig as unknown as tfjs.io.TrainingConfig }),
    ...(isObject(json.userDefinedMetadata) && { userDefinedMetadata: json.userDefinedMetadata as Artifacts['userDefinedMetadata'] }),
  };
  if (weightSpecs.length === 0) return artifacts;
  const weightData = await readWeights(file, manifest);
  const expected = weightSpecs.reduce((sum, spec) => sum + byteSize(file, spec), 0);
  if (weightData.byteLength !== expected) {
    throw new ModelError(file, `its weight files hold ${weightData.byteLength} bytes, but its weightsManifest describes ${expected}`);
  }
  return { ...artifacts, weightSpecs, weightData };
}

async function saveModelFile(file: string, artifacts: Artifacts): Promise<tfjs.io.SaveResult> {
  if (!isObject(artifacts.modelTopology)) throw new ModelError(file, 'only a Layers model (a JSON topology) can be saved here');
  const weightsName = `${path.basename(file, '.json')}.weights.bin`;
  const weights = Buffer.concat([artifacts.weightData ?? []].flat().map((buffer) => new Uint8Array(buffer)));
  const json = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig && { trainingConfig: artifacts.trainingConfig }),
    ...(artifacts.userDefinedMetadata && { userDefinedMetadata: artifacts.userDefinedMetadata }),
  };
  const text = JSON.stringify(json);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(path.join(path.dirname(file), weightsName), weights);
  await writeFile(file, text);
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
      weightSpecsBytes: JSON.stringify(json.weightsManifest[0]!.weights).length,
      weightDataBytes: weights.byteLength,
    },
  };
}

async function readOrExplain(file: string, modelJson: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const listed = file === modelJson ? '' : ` (listed in ${modelJson})`;
    if (code === 'ENOENT') throw new ModelError(file, `file not found${listed}`, { cause: error });
    if (code === 'EISDIR') throw new ModelError(file, `is a folder, not a file${listed}`, { cause: error });
    throw new ModelError(file, `cannot be read${listed}: ${fsProblem(error)}`, { cause: error });
  }
}

function parseJson(file: string, bytes: Buffer): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ModelError(file, `is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(json)) throw new ModelError(file, 'is not a model.json: expected a JSON object');
  return json;
}

/** The Keras topology, from a tfjs model.json, a tensorflowjs_converter one (`model_config`), or a bare Keras `to_json()`. */
function layersTopology(file: string, json: Record<string, unknown>): tfjs.io.ModelJSON['modelTopology'] {
  const topology = json.modelTopology ?? (typeof json.class_name === 'string' ? json : undefined);
  const isGraph = json.format === 'graph-model' || (isObject(topology) && Array.isArray(topology.node));
  if (isGraph) {
    throw new ModelError(
      file,
      'is a tfjs graph model (converted from a SavedModel or frozen graph), not a Layers model: ' +
        'convert the Keras model with tensorflowjs_converter --output_format tfjs_layers_model',
    );
  }
  const config = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  if (!isObject(config) || typeof config.class_name !== 'string') {
    throw new ModelError(
      file,
      'is not a Layers model: expected a "modelTopology" with a Keras "class_name", as model.save or tensorflowjs_converter write it',
    );
  }
  return topology as tfjs.io.ModelJSON['modelTopology'];
}

function weightsManifest(file: string, value: unknown): tfjs.io.WeightsManifestConfig {
  const valid =
    Array.isArray(value) &&
    value.every(
      (group) =>
        isObject(group) && Array.isArray(group.paths) && group.paths.every((p) => typeof p === 'string') && Array.isArray(group.weights),
    );
  if (!valid) throw new ModelError(file, 'its "weightsManifest" must be a list of { paths: [file names], weights: [specs] }');
  const groups = value as tfjs.io.WeightsManifestConfig;
  for (const [index, spec] of groups.flatMap((group) => group.weights as unknown[]).entries()) {
    const ok =
      isObject(spec) &&
      typeof spec.name === 'string' &&
      typeof spec.dtype === 'string' &&
      Array.isArray(spec.shape) &&
      spec.shape.every((d) => Number.isInteger(d) && d >= 0);
    if (!ok) throw new ModelError(file, `weightsManifest weight ${index} must have a name, an integer shape and a dtype`);
  }
  return groups;
}

/** Every weight file, in manifest order, joined; each must lie inside the model's folder, even through symlinks. */
async function readWeights(file: string, manifest: tfjs.io.WeightsManifestConfig): Promise<ArrayBuffer> {
  const folder = path.dirname(file);
  const realFolder = await realpath(folder);
  const parts: Buffer[] = [];
  for (const relative of manifest.flatMap((group) => group.paths)) {
    const weightFile = path.resolve(folder, relative);
    if (!isInside(folder, weightFile))
      throw new ModelError(file, `weight path ${JSON.stringify(relative)} leaves the model's folder ${folder}`);
    const bytes = await readOrExplain(weightFile, file);
    if (!isInside(realFolder, await realpath(weightFile))) {
      throw new ModelError(file, `weight path ${JSON.stringify(relative)} is a link out of the model's folder ${folder}`);
    }
    parts.push(bytes);
  }
  const joined = Buffer.concat(parts);
  return joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
}

function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function byteSize(file: string, spec: tfjs.io.WeightsManifestEntry): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES[dtype];
  if (bytes === undefined) throw new ModelError(file, `weight ${spec.name} has dtype ${dtype}, which a Layers model cannot hold`);
  return spec.shape.reduce((product, d) => product * d, 1) * bytes;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
