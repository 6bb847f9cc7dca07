// Runs in the renderer: the party config being edited: its text (the one source of truth), its problems, and open/save.
import type { ConfigIssue } from '../../../common/contract/config-issue.js';
import type { ContractError } from '../../../common/contract/envelope.js';
import { api } from '../../lib/api.js';
import { DATA_CHANGED_NOTE, withDataChangedNote, withoutDataChangedNote } from '../../../common/config-comments.js';
import { readYaml, withValue } from './yaml-edit.js';
import type { KeyPath } from './yaml-edit.js';

/** Long enough to let a person finish a word, short enough to feel immediate. */
const CHECK_AFTER_MS = 250;

class ConfigStore {
  file = $state<string | null>(null);
  /** What the editor holds; the form and the YAML view both read and write it. */
  text = $state('');
  /** What the file holds, as last opened or saved. */
  savedText = $state('');
  /** The saved file passed every check: scan and preview may run on it. */
  savedValid = $state(false);
  /** Counts opens and saves: what was drawn from the saved file is stale when this moved on. */
  savedVersion = $state(0);
  issues = $state<ConfigIssue[]>([]);
  valid = $state(false);
  recent = $state<string[]>([]);
  busy = $state<'opening' | 'saving' | null>(null);
  /** The last open or save that failed, or the last save that succeeded. */
  notice = $state<{ tone: 'error' | 'success'; text: string } | null>(null);

  readonly data = $derived(readYaml(this.text));
  readonly dirty = $derived(this.text !== this.savedText);

  /** The file an open in flight asked for: its own config.opened event must not open it a second time. */
  #opening: string | null = null;
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  /** Numbers each check, so an answer to older text never overwrites the answer to newer text. */
  #checkSeq = 0;

  /** Opens the config the session started with (the console's --config, the desktop's last one). */
  start = async (): Promise<void> => {
    const info = await api.app.info();
    if (!info.ok) return this.#fail(info.error);
    this.recent = info.value.recentConfigs;
    if (info.value.startConfig) await this.open(info.value.startConfig);
  };

  open = async (file: string): Promise<void> => {
    this.busy = 'opening';
    this.#opening = file;
    const opened = await api.config.open({ file });
    this.busy = this.#opening = null;
    if (!opened.ok) return this.#fail(opened.error);
    const { file: absolute, text, issues, valid } = opened.value;
    this.file = absolute;
    this.text = this.savedText = text;
    this.issues = issues;
    this.valid = this.savedValid = valid;
    this.savedVersion++;
    this.notice = null;
    this.recent = [absolute, ...this.recent.filter((f) => f !== absolute)];
  };

  /** Another part of the app opened a config (a menu, the command line): show it, unless that would lose edits. */
  adopt = async (file: string): Promise<void> => {
    if (file === this.file || this.#opening !== null) return;
    if (this.dirty && !confirm(`Discard your unsaved changes to ${this.file} and open ${file}?`)) return;
    await this.open(file);
  };

  edit = (text: string): void => {
    this.text = text;
    clearTimeout(this.#checkTimer);
    this.#checkTimer = setTimeout(() => void this.#check(), CHECK_AFTER_MS);
  };

  setField = (path: KeyPath, value: unknown): void => {
    const text = withValue(this.text, path, value);
    this.edit(path[0] === 'data' ? this.#noteDataChange(text) : text);
  };

  /**
   * Data settings that differ from the saved ones get a note under `tributary init`'s header that what it says was found
   * may not hold; set back as they were saved, the note goes again (unless it was saved too).
   */
  #noteDataChange(text: string): string {
    const data = (source: string) => JSON.stringify(readYaml(source)?.['data']);
    if (data(text) !== data(this.savedText)) return withDataChangedNote(text);
    return this.savedText.includes(DATA_CHANGED_NOTE) ? text : withoutDataChangedNote(text);
  }

  save = async (): Promise<void> => {
    if (!this.file) return;
    this.busy = 'saving';
    const text = this.text;
    const saved = await api.config.save({ file: this.file, text });
    this.busy = null;
    if (!saved.ok) return this.#fail(saved.error);
    this.savedText = text;
    this.issues = saved.value.issues;
    this.valid = this.savedValid = true;
    this.savedVersion++;
    this.notice = { tone: 'success', text: `Saved ${this.file}` };
  };

  async #check(): Promise<void> {
    if (!this.file) return;
    const seq = ++this.#checkSeq;
    const checked = await api.config.validate({ file: this.file, text: this.text });
    if (seq !== this.#checkSeq) return;
    if (!checked.ok) return this.#fail(checked.error);
    this.issues = checked.value.issues;
    this.valid = checked.value.valid;
  }

  #fail(error: ContractError): void {
    if (error.issues) {
      this.issues = error.issues;
      this.valid = false;
    }
    this.notice = { tone: 'error', text: error.message };
  }
}

export const configStore = new ConfigStore();
