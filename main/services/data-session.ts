// Runs in main (plain Node): the dataset of the config last scanned or previewed, kept open while the config is unchanged.
import { stat } from 'node:fs/promises';
import { loadPartyConfig } from '../config/party-config.js';
import { closeSplits } from '../data/data-handler.js';
import { openData } from '../data/handler-loader.js';
import type { OpenedData } from '../data/handler-loader.js';

interface Session {
  file: string;
  stamp: string;
  data: OpenedData;
}

/**
 * Opening a dataset lists its files and starts decode threads, so a preview reshuffled ten times opens it once.
 * Work runs one task at a time: a task never sees its generators closed under it by the next one.
 */
export class DataSessions {
  #session: Session | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** Runs `task` on the opened data of `file` (absolute); `fresh` reopens it even when unchanged (a scan looks at the disk anew). */
  use<T>(file: string, fresh: boolean, task: (data: OpenedData) => Promise<T>): Promise<T> {
    return this.#serial(async () => task(await this.#open(file, fresh)));
  }

  close(): Promise<void> {
    return this.#serial(() => this.#closeSession());
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #open(file: string, fresh: boolean): Promise<OpenedData> {
    const stamp = await stat(file).then(
      (s) => `${s.mtimeMs}:${s.size}`,
      () => '',
    );
    const current = this.#session;
    if (!fresh && current?.file === file && current.stamp === stamp) return current.data;
    await this.#closeSession();
    const data = await openData(await loadPartyConfig(file));
    this.#session = { file, stamp, data };
    return data;
  }

  async #closeSession(): Promise<void> {
    const splits = this.#session?.data.splits;
    this.#session = undefined;
    await closeSplits(splits);
  }
}
