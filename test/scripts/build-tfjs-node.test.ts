// Tests (Node, the real script, real pip and npm): scripts/build-tfjs-node.sh stops naming what is missing, and a second run changes nothing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/corpus.js';
import { forEachBackend, isRequired } from '../main/engine/backends.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = path.join(ROOT, 'scripts/build-tfjs-node.sh');
const PACKAGE = path.join(ROOT, 'node_modules/@tensorflow/tfjs-node');
const BINDING = path.join(PACKAGE, 'lib/napi-v8/tfjs_binding.node');

/** Runs the script with `env` added; its exit code and what it printed. */
function build(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT], { env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('scripts/build-tfjs-node.sh', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('tributary-build-tfjs-node-');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("stops before it installs anything when Node's headers are not where npm says, naming the file", async () => {
    const { code, stdout, stderr } = await build({ npm_config_nodedir: path.join(dir, 'no-node') });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `build-tfjs-node: Node's headers are not in ${dir}/no-node/include/node (node_api.h): install them (Debian's node: libnode-dev), ` +
        "or set npm's nodedir to their prefix\n",
    );
  });

  it('passes on what pip said when it cannot get tensorflow-cpu, and how to give it the wheel offline', async () => {
    const wheels = path.join(dir, 'wheels');
    await mkdir(wheels);
    const venv = path.join(dir, 'venv');
    const { code, stderr } = await build({ TRIBUTARY_TF_VENV: venv, PIP_NO_INDEX: '1', PIP_FIND_LINKS: wheels });
    expect(code).toBe(1);
    expect(stderr).toContain('No matching distribution found for tensorflow-cpu==2.21.0');
    expect(stderr).toContain(
      `build-tfjs-node: pip could not install tensorflow-cpu==2.21.0 into ${venv} (pip said why above); ` +
        `offline, give pip the wheel: PIP_NO_INDEX=1 PIP_FIND_LINKS=/folder/with/the/wheel ${SCRIPT}\n`,
    );
  });
});

forEachBackend(() => {
  // Where a tfjs-node binding was installed another way, a run would build one from the wheel instead (and say so).
  const builtHere = existsSync(`${BINDING}.built-from`) || isRequired('tensorflow');
  const suite = builtHere ? describe : describe.skip;
  suite(`where it built the binding${builtHere ? '' : ' (skipped: the binding here was not built by scripts/build-tfjs-node.sh)'}`, () => {
    // Nothing: other processes (test files running beside this one) may be loading the binding and its libraries meanwhile.
    it('changes nothing on a second run, and proves the binding loads and computes', async () => {
      const library = path.join(PACKAGE, 'deps/lib/libtensorflow_cc.so.2');
      const [before, linked] = [await stat(BINDING), await lstat(library)];
      const { code, stdout } = await build({});
      expect(code).toBe(0);
      expect(stdout).toBe(`build-tfjs-node: ready: @tensorflow/tfjs-node 4.22.0 on TensorFlow 2.21.0 (${BINDING})\n`);
      expect((await stat(BINDING)).mtimeMs).toBe(before.mtimeMs);
      expect((await lstat(library)).mtimeMs).toBe(linked.mtimeMs);
    });
  });
}, ['tensorflow']);
