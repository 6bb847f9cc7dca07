// Runs in the renderer: the first screen's state: shown or not, and the New site steps (folder, proposal, scan, where to write).
import type { PayloadOf, ResultOf } from '../../../common/contract/contract.js';
import { api } from '../../lib/api.js';
import { navigation } from '../../lib/navigation.svelte.js';
import { configStore } from '../dataset/config-store.svelte.js';
import { scanStore } from '../dataset/scan-store.svelte.js';

class StartStore {
  /** The first screen replaces the page: at start with no config, or when the operator asks for New site. */
  shown = $state(false);
  folder = $state('');
  proposal = $state<ResultOf<'site.recognise'> | null>(null);
  scan = $state<ResultOf<'site.scan'> | null>(null);
  progress = $state<PayloadOf<'dataset.scanProgress'> | null>(null);
  busy = $state<'recognising' | 'scanning' | 'writing' | null>(null);
  error = $state<string | null>(null);
  /** Where party.yaml goes: the proposal's default until the operator changes it. */
  target = $state('');
  replace = $state(false);

  constructor() {
    // A page link followed while a config is open leaves the first screen; lives as long as the page.
    window.addEventListener('hashchange', this.hide);
  }

  /** After the start config (if any) was opened: nothing open means the first screen. */
  settle = (): void => {
    if (!configStore.file) this.shown = true;
  };

  show = (): void => {
    this.shown = true;
  };

  /** Back to the open config, when there is one. */
  hide = (): void => {
    if (configStore.file) this.shown = false;
  };

  /** Recognise, then scan at once: the proposal shows while the scan runs. */
  recognise = async (): Promise<void> => {
    const folder = this.folder.trim();
    if (!folder) return;
    this.proposal = this.scan = this.progress = this.error = null;
    this.busy = 'recognising';
    const proposed = await api.site.recognise({ folder });
    if (!proposed.ok) return this.#fail(proposed.error.message);
    this.proposal = proposed.value;
    this.target = proposed.value.file;
    this.replace = false;
    this.busy = 'scanning';
    const scanned = await api.site.scan({ folder });
    if (!scanned.ok) return this.#fail(scanned.error.message);
    this.scan = scanned.value;
    this.busy = null;
  };

  onProgress = (progress: PayloadOf<'dataset.scanProgress'>): void => {
    if (this.busy === 'scanning' && progress.file === this.proposal?.file) this.progress = progress;
  };

  /** Writes party.yaml, opens it, and shows it on the Dataset page with the scan already made (of the same data). */
  write = async (): Promise<void> => {
    if (!this.proposal || !this.target.trim()) return;
    this.busy = 'writing';
    this.error = null;
    const created = await api.site.create({ folder: this.proposal.folder, file: this.target.trim(), replace: this.replace });
    if (!created.ok) return this.#fail(created.error.message);
    await configStore.open(created.value.file);
    if (configStore.file !== created.value.file) return this.#fail(configStore.notice?.text ?? `could not open ${created.value.file}`);
    if (this.scan) {
      scanStore.result = { file: created.value.file, splits: this.scan.splits };
      scanStore.resultVersion = configStore.savedVersion;
    }
    this.busy = null;
    this.shown = false;
    this.proposal = this.scan = null;
    this.folder = '';
    navigation.go('dataset');
  };

  openRecent = async (file: string): Promise<void> => {
    await configStore.open(file);
    if (configStore.file === file) this.shown = false;
  };

  #fail(message: string): void {
    this.error = message;
    this.busy = null;
  }
}

export const startStore = new StartStore();
