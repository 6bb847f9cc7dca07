// Runs in the training thread on the tensorflow backend: writes a training step's graph as a SavedModel without variables, for TensorFlow's loader.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { proto } from './proto.js';
import type { GraphDefMsg } from './proto.js';

/** The tag TensorFlow's loader is asked for. */
export const TAG = 'serve';

/**
 * Writes `saved_model.pb` (one MetaGraphDef tagged `serve`, no signature: the runner names tensors itself) into a
 * folder under `root` named by the graph's own hash, and returns the folder. The same graph is written once: a second
 * run of the same model and settings finds it. Without a variables/ folder TensorFlow's loader skips the restore: every
 * weight is an input of the graph.
 */
export function writeSavedModel(root: string, graphDef: GraphDefMsg): string {
  const { MetaGraphDef, SavedModel } = proto();
  const metaInfo = new MetaGraphDef.MetaInfoDef();
  metaInfo.addTags(TAG);
  const metaGraph = new MetaGraphDef();
  metaGraph.setMetaInfoDef(metaInfo);
  metaGraph.setGraphDef(graphDef);
  const savedModel = new SavedModel();
  savedModel.setSavedModelSchemaVersion(1);
  savedModel.addMetaGraphs(metaGraph);
  const bytes = savedModel.serializeBinary();
  const folder = path.join(root, createHash('sha256').update(bytes).digest('hex').slice(0, 16));
  const file = path.join(folder, 'saved_model.pb');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(folder, { recursive: true });
    // Written aside and renamed, so another process never loads half a file.
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, bytes);
    fs.renameSync(partial, file);
  }
  return folder;
}
