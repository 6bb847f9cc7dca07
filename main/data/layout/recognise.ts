// Runs anywhere in main: given a folder, which built-in handler reads it and with what `info`, why, and what else was considered.
import type { BuiltinHandlerName } from '../../../common/data-config.js';
import { DEFAULT_LIMITS, LayoutError, sampleFolder } from './folder-sample.js';
import type { SampleLimits } from './folder-sample.js';
import { csvManifest, dicom, idx, imageFolder, nifti, PATH_KEYS } from './handlers.js';
import type { Verdict } from './handlers.js';

export { LayoutError } from './folder-sample.js';

export interface LayoutProposal {
  folder: string;
  /** The `data:` section: a built-in's name and its `info`, paths absolute (written relative to the config file). */
  data: { name: BuiltinHandlerName; info: Record<string, unknown> };
  /** The `info` keys that hold paths. */
  pathKeys: string[];
  why: string;
  /** Every other built-in: why it was not chosen. */
  considered: { handler: BuiltinHandlerName; why: string }[];
  /** How much was read: the layout is judged on a bounded sample, never the whole tree. */
  sampled: { folders: number; entries: number; partial: boolean; limits: SampleLimits };
}

/**
 * In this order: content and file types that say what they are (DICOM by its magic, NIfTI and IDX by name and header)
 * before a CSV that lists images, before folders of images, which any of the others may also hold.
 */
const TESTS = [dicom, nifti, idx, csvManifest, imageFolder];

export async function recogniseLayout(folder: string, limits: SampleLimits = DEFAULT_LIMITS): Promise<LayoutProposal> {
  const sample = await sampleFolder(folder, limits);
  const sampled = { folders: sample.folders.size, entries: sample.entriesRead, partial: sample.partial, limits };
  if (sample.entriesRead === 0) throw new LayoutError(`folder ${folder} is empty: point at the folder that holds the data`);
  const verdicts: Verdict[] = [];
  for (const test of TESTS) verdicts.push(await test(sample));
  const chosen = verdicts.find((v) => 'info' in v);
  if (!chosen || !('info' in chosen)) {
    const reasons = verdicts.map((v) => `  ${v.handler}: ${'miss' in v ? v.miss : ''}`).join('\n');
    throw new LayoutError(`no built-in handler recognises ${folder} (${sampledWords(sampled)}):\n${reasons}`);
  }
  const considered = verdicts
    .filter((v) => v !== chosen)
    .map((v) => ({ handler: v.handler, why: 'miss' in v ? v.miss : `also matches (${v.why}), but ${chosen.handler} comes first` }));
  return {
    folder,
    data: { name: chosen.handler, info: chosen.info },
    pathKeys: PATH_KEYS[chosen.handler],
    why: chosen.why,
    considered,
    sampled,
  };
}

export function sampledWords(s: LayoutProposal['sampled']): string {
  const { perFolder, folders, depth } = s.limits;
  return (
    `looked at ${s.entries} ${s.entries === 1 ? 'entry' : 'entries'} in ${s.folders} folder${s.folders === 1 ? '' : 's'}` +
    (s.partial ? `, a sample: at most ${perFolder} entries a folder, ${folders} folders, ${depth} levels deep` : ', all of them')
  );
}
