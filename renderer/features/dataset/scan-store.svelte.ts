// Runs in the renderer: the last scan of the saved config and the progress of a running one.
import type { PayloadOf, ResultOf } from '../../../common/contract/contract.js';
import { api } from '../../lib/api.js';

class ScanStore {
  result = $state<ResultOf<'dataset.scan'> | null>(null);
  /** The saved version of the config the result describes (see configStore.savedVersion). */
  resultVersion = $state(0);
  progress = $state<PayloadOf<'dataset.scanProgress'> | null>(null);
  /** The config being scanned, or null. */
  scanning = $state<string | null>(null);
  error = $state<string | null>(null);

  scan = async (file: string, version: number): Promise<void> => {
    this.scanning = file;
    this.error = this.progress = null;
    const scanned = await api.dataset.scan({ file });
    this.scanning = null;
    this.resultVersion = version;
    this.result = scanned.ok ? scanned.value : null;
    this.error = scanned.ok ? null : scanned.error.message;
  };

  onProgress = (progress: PayloadOf<'dataset.scanProgress'>): void => {
    if (progress.file === this.scanning) this.progress = progress;
  };
}

export const scanStore = new ScanStore();
