// Runs in main (plain Node): turns a config's `data` section into a live DataHandler, built in or a site's own module, and opens its splits.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { BUILTIN_INFO_SCHEMAS } from '../../common/data-config.js';
import type { BuiltinHandlerName } from '../../common/data-config.js';
import { ConfigError, didYouMean } from '../config/errors.js';
import { validateSection } from '../config/party-config.js';
import type { LoadedConfig } from '../config/party-config.js';
import { setOrigin } from './batch-check.js';
import { BUILTIN_HANDLERS } from './builtins/registry.js';
import type { DataHandlerClass } from './builtins/registry.js';
import { DataGenerator } from './data-generator.js';
import { DataHandler } from './data-handler.js';
import type { DataSplits } from './data-handler.js';
import { kindOf, shown } from './kind-of.js';
import { ensureSdkBridge } from './sdk-bridge.js';

export type HandlerRegistry = Partial<Record<BuiltinHandlerName, DataHandlerClass>>;

export interface OpenedData {
  handler: DataHandler;
  splits: DataSplits;
}

/** What the config names, for messages: a built-in, or a class in a module file. */
interface HandlerSource {
  label: string;
  module?: string;
}

/**
 * The handler a config names. With `data.path`, the class is the module's export named `data.name`; a path
 * wins over a built-in of the same name, so a site can shadow a built-in with its own handler. Without a
 * path, `data.name` is a built-in and its `info` is validated here, every issue on its line.
 */
export async function loadDataHandler(loaded: LoadedConfig, registry: HandlerRegistry = BUILTIN_HANDLERS): Promise<DataHandler> {
  const { name, path: relative, info } = loaded.config.data;
  if (relative === undefined) return constructBuiltin(loaded, name, registry);
  const module = path.resolve(loaded.baseDir, relative);
  const exports = await importHandlerModule(loaded, module);
  return construct(loaded, handlerClass(loaded, exports, name, module), info, sourceOf(loaded));
}

/** The handler and what its getData() returned, checked: at least one split, each a DataGenerator. */
export async function openData(loaded: LoadedConfig, registry: HandlerRegistry = BUILTIN_HANDLERS): Promise<OpenedData> {
  const handler = await loadDataHandler(loaded, registry);
  const source = sourceOf(loaded);
  let result: unknown;
  try {
    result = await handler.getData();
  } catch (error) {
    throw handlerFailure(loaded, error, source, 'getData()');
  }
  const problem = splitsProblem(result);
  if (problem !== undefined) {
    await closeGenerators(result);
    throw configError(loaded, 'data.name', `${source.label}: getData() ${problem}`, source.module);
  }
  const { train, test } = result as Record<string, DataGenerator | null | undefined>;
  const splits: DataSplits = { ...(train && { train }), ...(test && { test }) };
  for (const [split, generator] of Object.entries(splits) as ['train' | 'test', DataGenerator][]) {
    setOrigin(generator, { handler: source.label, split, onNonFinite: loaded.config.data.on_non_finite });
  }
  return { handler, splits };
}

function sourceOf(loaded: LoadedConfig): HandlerSource {
  const { name, path: relative } = loaded.config.data;
  if (relative === undefined) return { label: `built-in handler ${name}` };
  const module = path.resolve(loaded.baseDir, relative);
  return { label: `${name} (${module})`, module };
}

function constructBuiltin(loaded: LoadedConfig, name: string, registry: HandlerRegistry): DataHandler {
  const Class = isBuiltinName(name) ? registry[name] : undefined;
  if (!isBuiltinName(name) || !Class) {
    const names = Object.keys(registry);
    throw configError(
      loaded,
      'data.name',
      `no built-in handler is named ${JSON.stringify(name)}${didYouMean(name, names)}; the built-ins are ${names.join(', ') || '(none)'}, ` +
        'and a handler of your own needs `path` (its module, relative to this file)',
    );
  }
  const info = validateSection(BUILTIN_INFO_SCHEMAS[name], loaded.config.data.info, {
    file: loaded.file,
    lineOf: loaded.lineOf,
    keyPrefix: ['data', 'info'],
  }) as Record<string, unknown>;
  return construct(loaded, Class, info, sourceOf(loaded));
}

function isBuiltinName(name: string): name is BuiltinHandlerName {
  return Object.hasOwn(BUILTIN_INFO_SCHEMAS, name);
}

/**
 * Imports a handler module natively through tsx, never through a bundler's module runner: ESM (.mjs, .js in a
 * "type": "module" scope), CommonJS (.cjs, .js elsewhere) and TypeScript (.ts, .mts, .cts) alike. Each load has
 * its own tsx namespace, so a handler edited on disk is evaluated afresh the next time it is loaded; the price is
 * one more (idle) tsx hook per load, which Node keeps for the life of the thread.
 */
async function importHandlerModule(loaded: LoadedConfig, module: string): Promise<Record<string, unknown>> {
  const found = await stat(module).catch(() => undefined);
  if (!found?.isFile()) {
    const problem = found ? `${module} is a folder; \`path\` names the handler's module file` : `no handler module at ${module}`;
    throw configError(loaded, 'data.path', `${problem} (\`path\` is relative to ${loaded.baseDir})`, module);
  }
  ensureSdkBridge();
  try {
    return (await tsImport(pathToFileURL(module).href, { parentURL: import.meta.url, tsconfig: nearestTsconfig(module) })) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw configError(loaded, 'data.path', `${module} failed to load: ${oneLine(error)}`, module, error);
  }
}

/**
 * A TypeScript handler compiles under its own nearest tsconfig.json, not the one in the host's working folder.
 * tsx 4.23 applies it to modules it loads as ESM (.mts, .ts in a "type": "module" scope); a .ts it runs as
 * CommonJS resolves its imports with the working folder's tsconfig whatever is passed here.
 */
function nearestTsconfig(module: string): string | false {
  for (let dir = path.dirname(module); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return false;
  }
}

function handlerClass(loaded: LoadedConfig, exports: Record<string, unknown>, name: string, module: string): DataHandlerClass {
  const found = exportNamed(exports, name);
  if (found === undefined) {
    const names = exportNames(exports);
    const listed = names.length ? `it exports ${names.join(', ')}` : 'it exports nothing';
    throw configError(loaded, 'data.name', `${module} has no export ${JSON.stringify(name)}${didYouMean(name, names)} (${listed})`, module);
  }
  if (!DataHandler.isDataHandlerClass(found)) {
    throw configError(
      loaded,
      'data.name',
      `export ${JSON.stringify(name)} of ${module} is ${kindOf(found)}, not a DataHandler subclass: extend the DataHandler that 'tributary' exports`,
      module,
    );
  }
  return found;
}

/**
 * The export named `name`. CommonJS modules also count `module.exports.name` (a name Node's static scan of the
 * file missed), and a default export counts when it is a class of that very name (`module.exports = class
 * Mnist ...`, `export default class Mnist`), so the config still says exactly which class it loads.
 */
function exportNamed(exports: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(exports, name)) return exports[name];
  const fallback = exports.default;
  if (typeof fallback === 'function') return fallback.name === name ? fallback : undefined;
  if (typeof fallback === 'object' && fallback !== null && Object.hasOwn(fallback, name))
    return (fallback as Record<string, unknown>)[name];
  return undefined;
}

function exportNames(exports: Record<string, unknown>): string[] {
  const fallback = exports.default;
  const names = Object.keys(exports).filter((key) => key !== 'default');
  if (typeof fallback === 'function') names.push(`default (${fallback.name || 'anonymous'})`);
  else if (typeof fallback === 'object' && fallback !== null) names.push(...Object.keys(fallback));
  return [...new Set(names)];
}

function construct(loaded: LoadedConfig, Class: DataHandlerClass, info: Record<string, unknown>, source: HandlerSource): DataHandler {
  try {
    return new Class(info, { configFile: loaded.file, baseDir: loaded.baseDir });
  } catch (error) {
    throw handlerFailure(loaded, error, source, 'its constructor');
  }
}

/**
 * A handler's own error, placed on the config. A message that starts with the key at fault
 * (`data.info.train: no such folder`, as the built-ins write them) is placed on that key's line; a ConfigError
 * the handler raised itself passes through unchanged.
 */
function handlerFailure(loaded: LoadedConfig, error: unknown, source: HandlerSource, stage: string): ConfigError {
  if (error instanceof ConfigError) return error;
  const message = oneLine(error);
  const keyed = /^(data(?:\.[\w-]+)*): (.+)$/.exec(message);
  const [key, problem] = keyed ? [keyed[1]!, keyed[2]!] : ['data.name', message];
  return configError(loaded, key, `${source.label} failed in ${stage}: ${problem}`, source.module, error);
}

/** Why getData()'s result is unusable, or undefined when it is a proper { train?, test? }. */
function splitsProblem(result: unknown): string | undefined {
  if (Array.isArray(result)) return 'returned a list; return an object { train, test } (either may be left out)';
  if (typeof result !== 'object' || result === null) return `returned ${kindOf(result)}; it must return an object { train, test }`;
  const { train, test } = result as Record<string, unknown>;
  if (train == null && test == null) return 'returned neither a `train` nor a `test` generator';
  for (const [split, generator] of [
    ['train', train],
    ['test', test],
  ] as const) {
    if (generator == null) continue;
    if (!(generator instanceof DataGenerator)) {
      return `returned a \`${split}\` that is ${kindOf(generator)}, not a DataGenerator: extend the DataGenerator that 'tributary' exports`;
    }
    const problem = generatorProblem(generator);
    if (problem !== undefined) return `returned a \`${split}\` generator that ${problem}`;
  }
  return undefined;
}

/** The base class's methods that hand batches out; each checks what loadSamples returns, so none may be replaced. */
const BATCH_METHODS = ['getBatch', 'readSamples', 'iterateEpoch'] as const;

/** What is wrong with what a generator declares, or undefined: its batches are checked against these. */
function generatorProblem(generator: DataGenerator): string | undefined {
  const members = generator as unknown as Record<string, unknown>;
  const missing = ['loadSamples', 'describeSample'].filter((name) => typeof members[name] !== 'function');
  if (missing.length > 0) return `has no ${missing.map((name) => `${name}()`).join(' or ')}: a DataGenerator implements both`;
  const replaced = BATCH_METHODS.filter((name) => members[name] !== DataGenerator.prototype[name]);
  if (replaced.length > 0) {
    return `overrides ${replaced.join(', ')}: batches come from loadSamples(indices), and the base class hands them out checked; implement loadSamples instead`;
  }
  const { sampleCount, classNames, sampleShape } = generator as Partial<DataGenerator>;
  if (!Number.isSafeInteger(sampleCount) || sampleCount! < 0)
    return `declares sampleCount ${shown(sampleCount)}; it must be a whole number >= 0`;
  if (!Array.isArray(classNames) || classNames.length === 0 || !classNames.every((name) => typeof name === 'string')) {
    return `declares classNames ${shown(classNames)}; it must be a list of one or more class names (text)`;
  }
  const dims = typeof sampleShape === 'object' && sampleShape !== null ? [sampleShape.height, sampleShape.width, sampleShape.channels] : [];
  if (dims.length !== 3 || !dims.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    return `declares sampleShape ${shown(sampleShape)}; it must be { height, width, channels }, each a whole number >= 1`;
  }
  const { depth } = sampleShape!;
  if (depth !== undefined && !(Number.isSafeInteger(depth) && depth >= 1))
    return `declares sampleShape ${shown(sampleShape)}; its depth (for volumes) must be a whole number >= 1`;
  return undefined;
}

/** A rejected result may still hold a working generator; release its workers and files. */
async function closeGenerators(result: unknown): Promise<void> {
  const values = typeof result === 'object' && result !== null ? Object.values(result) : [];
  await Promise.allSettled(values.filter((v): v is DataGenerator => v instanceof DataGenerator).map((g) => g.close()));
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

function configError(loaded: LoadedConfig, key: string, problem: string, module?: string, cause?: unknown): ConfigError {
  return new ConfigError(
    { file: loaded.file, key, line: loaded.lineOf(key.split('.')), problem, ...(module && { module }) },
    cause === undefined ? undefined : { cause },
  );
}
