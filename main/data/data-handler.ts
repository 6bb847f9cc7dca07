// Runs anywhere in main: the DataHandler base class that every handler, built-in or a site's own, extends.
import type { DataGenerator } from './data-generator.js';

/** What getData() returns: either split may be absent for a party that only trains or only evaluates. */
export interface DataSplits {
  train?: DataGenerator;
  test?: DataGenerator;
}

/**
 * Releases both splits' workers and files. Each is closed whatever the other does, and a close that fails is not
 * thrown: closing is the cleanup after work is done or has failed, and must not mask that work's own outcome.
 */
export async function closeSplits(splits: DataSplits | undefined): Promise<void> {
  await Promise.allSettled([splits?.train?.close(), splits?.test?.close()]);
}

/** What the loader tells a handler about where it was configured, so relative paths in `info` resolve. */
export interface HandlerContext {
  /** The config file that named this handler (absent when built in code). */
  configFile?: string;
  /** The folder `info` paths are relative to: the config file's folder. */
  baseDir: string;
}

// A brand rather than instanceof alone: a handler module may load its own copy of this file.
const BRAND = Symbol.for('tributary.DataHandler');

export abstract class DataHandler {
  static readonly [BRAND] = true;

  constructor(
    readonly info: Record<string, unknown>,
    readonly context: HandlerContext = { baseDir: process.cwd() },
  ) {}

  /** The train and test generators; called once per handler. */
  abstract getData(): DataSplits | Promise<DataSplits>;

  static isDataHandlerClass(value: unknown): value is new (info: Record<string, unknown>, context: HandlerContext) => DataHandler {
    return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[BRAND] === true;
  }
}
