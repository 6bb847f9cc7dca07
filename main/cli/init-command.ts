// Runs in the CLI process: `tributary init <folder>`: recognise the folder's layout, scan it at once, and write a commented party.yaml.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatScan, scanAll } from './scan-command.js';
import { UsageError } from './usage-error.js';
import { FileExistsError } from '../config/new-file.js';
import { closeSplits } from '../data/data-handler.js';
import { openData } from '../data/handler-loader.js';
import { LayoutError, sampledWords } from '../data/layout/recognise.js';
import { loadConfigText, proposeSite, writeSite } from '../services/new-site.js';

export const INIT_USAGE = `  tributary init <folder> [--out party.yaml] [--force]
      recognise the folder's layout (class folders of images, a CSV manifest, IDX files, DICOM, NIfTI), scan it
      at once, and write a commented party.yaml (default: inside the folder); an existing file is kept unless --force`;

export async function initCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string' }, force: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new UsageError('name one folder: tributary init <folder>');
  const site = await proposeSite(positionals[0]!, values.out).catch((error: unknown) => {
    throw error instanceof LayoutError ? new UsageError(error.message) : error;
  });
  const { proposal } = site;
  // Checked before the scan, which may take minutes; writeSite refuses a file made meanwhile all the same.
  if (!values.force && existsSync(site.file))
    throw new UsageError(`${site.file} exists: not overwritten (--force replaces it, --out writes elsewhere)`);
  console.log(`${proposal.folder}: ${proposal.data.name}, because ${proposal.why}`);
  for (const other of proposal.considered) console.log(`  not ${other.handler}: ${other.why}`);
  console.log(`  (${sampledWords(proposal.sampled)})\n`);
  const { splits } = await openData(loadConfigText(site.text, site.file));
  try {
    console.log((await scanAll(splits)).map(formatScan).join('\n\n'));
  } finally {
    await closeSplits(splits);
  }
  const written = await writeSite(site, values.force).catch((error: unknown) => {
    throw error instanceof FileExistsError ? new UsageError(`${error.message} (--force replaces it, --out writes elsewhere)`) : error;
  });
  console.log(
    `\nwrote ${written}${path.dirname(written) === proposal.folder ? '' : ` (paths in it are relative to ${path.dirname(written)})`}`,
  );
  console.log(`next: tributary preview --config ${written} --out preview/, or open it in the app`);
  return 0;
}
