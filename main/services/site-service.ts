// Runs in main (plain Node): the new-site methods: recognise a data folder, scan its proposed config, write it where the operator chooses.
import { existsSync } from 'node:fs';
import type { ArgsOf, ResultIn } from '../../common/contract/contract.js';
import { FileExistsError } from '../config/new-file.js';
import { LayoutError, sampledWords } from '../data/layout/recognise.js';
import type { ScanProgress } from '../data/scan.js';
import type { EventBus } from './event-bus.js';
import { proposeSite, scanSite, writeSite } from './new-site.js';
import type { NewSite } from './new-site.js';
import { ServiceError } from './service-errors.js';

/** Progress events at most this often, as the Dataset page's scan sends them. */
const PROGRESS_EVERY_MS = 100;

/** A folder that no handler reads, or a file that is there already, is the operator's to fix: said plainly, code `failed`. */
async function plainly<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    throw error instanceof LayoutError || error instanceof FileExistsError ? new ServiceError('failed', error.message) : error;
  }
}

export class SiteService {
  constructor(readonly events: EventBus) {}

  recognise = ({ folder }: ArgsOf<'site.recognise'>): Promise<ResultIn<'site.recognise'>> =>
    plainly(async () => {
      const { proposal, file, text } = await proposeSite(folder);
      return {
        folder: proposal.folder,
        handler: proposal.data.name,
        info: proposal.data.info,
        why: proposal.why,
        considered: proposal.considered,
        sampled: sampledWords(proposal.sampled),
        file,
        exists: existsSync(file),
        text,
      };
    });

  scan = ({ folder }: ArgsOf<'site.scan'>): Promise<ResultIn<'site.scan'>> =>
    plainly(async () => {
      const site = await proposeSite(folder);
      return { file: site.file, splits: await scanSite(site, this.#progressReporter(site)) };
    });

  create = ({ folder, file, replace }: ArgsOf<'site.create'>): Promise<ResultIn<'site.create'>> =>
    plainly(async () => {
      const site = await proposeSite(folder, file);
      const written = await writeSite(site, replace);
      return { file: written, text: site.text };
    });

  #progressReporter(site: NewSite): (progress: ScanProgress) => void {
    let last = 0;
    return ({ split, done, total }) => {
      const now = Date.now();
      if (done < total && now - last < PROGRESS_EVERY_MS) return;
      last = now;
      this.events.emit('dataset.scanProgress', { file: site.file, split, done, total });
    };
  }
}
