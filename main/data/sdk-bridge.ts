// Runs in main (plain Node, in each thread that loads handlers): makes `tributary` resolve to the host's own SDK in handler modules anywhere on disk.
import Module, { register } from 'node:module';
import * as sdk from './sdk.js';

/**
 * The SDK object handler modules receive. It lives on globalThis under a registered symbol because the ESM side
 * is a data: module that cannot import anything of ours: it reads this slot when it is evaluated.
 */
const SDK_SLOT = Symbol.for('tributary.sdk');
const SPECIFIER = 'tributary';

type Load = (request: string, parent: unknown, isMain: boolean, ...rest: unknown[]) => unknown;
type BridgedGlobal = typeof globalThis & { [SDK_SLOT]?: Readonly<Record<string, unknown>> };

/**
 * Make `import ... from 'tributary'` and `require('tributary')` hand out this very SDK (so a handler's base
 * class is the host's DataHandler: instanceof and the brand both hold), whatever folder the handler is in.
 * Idempotent; the first call in a thread installs it.
 */
export function ensureSdkBridge(): void {
  const global = globalThis as BridgedGlobal;
  if (global[SDK_SLOT]) return;
  global[SDK_SLOT] = Object.freeze({ ...sdk });
  registerEsmResolve(Object.keys(sdk));
  interceptRequire(global);
}

/**
 * ESM: a resolve hook maps the bare specifier to a data: module re-exporting the slot's members by name.
 *
 * Hook order with tsx: a TypeScript handler is loaded through tsx's tsImport, which registers namespaced hooks
 * of its own on every load, after this one. Node runs the most recently registered resolve first, so tsx sees
 * `tributary` first, finds no file for it and hands it on through nextResolve to this hook, which answers with
 * the data: URL; tsx's load hook passes data: URLs through. The opposite order (tsx's hooks registered before
 * the bridge) also works, since this hook then answers before tsx is asked. Both orders are covered by tests.
 */
function registerEsmResolve(names: string[]): void {
  const sdkModule = [
    `const sdk = globalThis[Symbol.for(${JSON.stringify(SDK_SLOT.description)})];`,
    `export const { ${names.join(', ')} } = sdk;`,
    'export default sdk;',
  ].join('\n');
  const hooks = `
    const target = ${JSON.stringify(dataUrl(sdkModule))};
    export async function resolve(specifier, context, nextResolve) {
      return specifier === ${JSON.stringify(SPECIFIER)} ? { url: target, shortCircuit: true } : nextResolve(specifier, context);
    }`;
  register(dataUrl(hooks));
}

/** CommonJS: answer the one request before Node looks for a file, as VS Code does for `require('vscode')`. */
function interceptRequire(global: BridgedGlobal): void {
  const cjs = Module as unknown as { _load: Load };
  const load = cjs._load;
  cjs._load = function (this: unknown, request, ...rest) {
    return request === SPECIFIER ? global[SDK_SLOT] : load.call(this, request, ...rest);
  };
}

function dataUrl(source: string): string {
  return `data:text/javascript,${encodeURIComponent(source)}`;
}
