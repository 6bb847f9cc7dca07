// Runs in the services process (plain Node): a run's local evaluations exported as the operator asked: per-class CSV, confusion CSV, confusion PNG.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { ArgsOf, ResultIn } from '../../common/contract/contract.js';
import { confusionCsv, perClassCsv, type LocalEvaluationResult } from '../../common/local-evaluation.js';
import { ServiceError } from './service-errors.js';

type ExportArgs = ArgsOf<'party.exportEvaluation'>;

/** The heat map is about this many pixels across whatever the class count; a cell is never smaller than a pixel. */
const HEAT_MAP_PX = 600;

export async function exportEvaluation(
  evaluations: readonly LocalEvaluationResult[],
  args: ExportArgs,
): Promise<ResultIn<'party.exportEvaluation'>> {
  const last = evaluations.at(-1);
  if (last === undefined) throw new ServiceError('failed', 'there is no evaluation of a global model on this site to export yet');
  if (args.saveTo !== undefined && !path.isAbsolute(args.saveTo))
    throw new ServiceError('bad-request', `saveTo must be an absolute path, not "${args.saveTo}"`);
  const chosen = args.round === undefined ? last : evaluations.find(({ round }) => round === args.round);
  if (chosen === undefined) throw new ServiceError('failed', `round ${args.round} of run ${last.runId} has no local evaluation kept`);
  const { data, mediaType, fileName } = await render(evaluations, chosen, args.format);
  if (args.saveTo === undefined) return { fileName, mediaType, bytes: data.length, savedTo: null, base64: data.toString('base64') };
  await writeFile(args.saveTo, data).catch((error: Error) => {
    throw new ServiceError('failed', `cannot write the export to ${args.saveTo}: ${error.message}`);
  });
  return { fileName, mediaType, bytes: data.length, savedTo: args.saveTo, base64: null };
}

async function render(evaluations: readonly LocalEvaluationResult[], chosen: LocalEvaluationResult, format: ExportArgs['format']) {
  const name = `tributary-run-${chosen.runId}`;
  const round = `round-${chosen.round ?? 'none'}`;
  if (format === 'per-class-csv')
    return { data: Buffer.from(perClassCsv(evaluations)), mediaType: 'text/csv' as const, fileName: `${name}-per-class.csv` };
  if (format === 'confusion-csv')
    return { data: Buffer.from(confusionCsv(chosen)), mediaType: 'text/csv' as const, fileName: `${name}-${round}-confusion.csv` };
  return { data: await heatMapPng(chosen.confusion), mediaType: 'image/png' as const, fileName: `${name}-${round}-confusion.png` };
}

/**
 * Rows are true classes, columns predicted, top-left first; a cell's blue is its share of its row (the class's recall
 * on the diagonal), so a small class reads as clearly as a large one. Drawn as raw RGBA: sharp encodes it.
 */
export async function heatMapPng(confusion: readonly (readonly number[])[]): Promise<Buffer> {
  const n = Math.max(1, confusion.length);
  const cell = Math.max(1, Math.floor(HEAT_MAP_PX / n));
  const gap = cell >= 8 ? 1 : 0; // grid lines where cells are big enough to see them
  const size = n * cell;
  const pixels = Buffer.alloc(size * size * 4, 255);
  confusion.forEach((row, r) => {
    const total = row.reduce((sum, count) => sum + count, 0);
    row.forEach((count, c) =>
      fillCell(pixels, size, { x: c * cell, y: r * cell, side: cell - gap }, shade(total === 0 ? 0 : count / total)),
    );
  });
  return sharp(pixels, { raw: { width: size, height: size, channels: 4 } })
    .png()
    .toBuffer();
}

/** White (0) to a deep blue (1). */
function shade(share: number): [number, number, number] {
  const mix = (from: number, to: number) => Math.round(from + (to - from) * share);
  return [mix(255, 8), mix(255, 48), mix(255, 107)];
}

function fillCell(
  pixels: Buffer,
  size: number,
  { x, y, side }: { x: number; y: number; side: number },
  [r, g, b]: [number, number, number],
): void {
  for (let row = y; row < y + Math.max(1, side); row++) {
    for (let col = x; col < x + Math.max(1, side); col++) {
      const at = (row * size + col) * 4;
      pixels[at] = r;
      pixels[at + 1] = g;
      pixels[at + 2] = b;
      pixels[at + 3] = 255;
    }
  }
}
