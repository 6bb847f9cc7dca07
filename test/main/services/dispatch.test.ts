// Tests (Node): one call through the contract's door: unknown methods, bad arguments, thrown errors, results outside the contract.
import { describe, expect, it, vi } from 'vitest';
import { METHOD_NAMES } from '../../../common/contract/contract.js';
import type { MethodHandlers } from '../../../common/contract/contract.js';
import { ConfigError } from '../../../main/config/errors.js';
import { invokeMethod } from '../../../main/services/dispatch.js';
import { ServiceError } from '../../../main/services/service-errors.js';

const info = { version: '1.0.0', startConfig: null, recentConfigs: [] };

function handlers(overrides: Partial<MethodHandlers> = {}): MethodHandlers {
  const unused = async () => {
    throw new Error('not called in this test');
  };
  const everyMethod = Object.fromEntries(METHOD_NAMES.map((method) => [method, unused])) as unknown as MethodHandlers;
  return { ...everyMethod, 'app.info': async () => info, ...overrides };
}

describe('invokeMethod', () => {
  it('wraps the value in an envelope', async () => {
    expect(await invokeMethod(handlers(), 'app.info', {})).toEqual({ ok: true, value: info });
  });

  it('refuses an unknown method and bad arguments before any handler runs', async () => {
    const validate = vi.fn();
    expect(await invokeMethod(handlers({ 'config.validate': validate }), 'config.delete', {})).toEqual({
      ok: false,
      error: { code: 'bad-request', message: 'no method "config.delete"' },
    });
    expect(await invokeMethod(handlers({ 'config.validate': validate }), 'config.validate', { file: 'a.yaml', text: 42 })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('→ at text') },
    });
    expect(validate).not.toHaveBeenCalled();
  });

  it('hands the handler its arguments with defaults filled in', async () => {
    const preview = vi.fn(async () => ({ classNames: [], samples: [], skipped: [] }));
    await invokeMethod(handlers({ 'dataset.preview': preview }), 'dataset.preview', { file: 'a.yaml' });
    expect(preview).toHaveBeenCalledWith({ file: 'a.yaml', split: 'train', n: 24, seed: 0 });
  });

  it('turns a ConfigError into config-invalid with every issue on its key and line (the file left out)', async () => {
    const scan = async () => {
      throw new ConfigError([
        { file: '/x/party.yaml', key: 'data.info.train', line: 5, problem: 'no such folder' },
        { file: '/x/party.yaml', key: 'data', problem: 'also this' },
      ]);
    };
    const result = await invokeMethod(handlers({ 'dataset.scan': scan }), 'dataset.scan', { file: 'party.yaml' });
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'config-invalid',
        message: expect.stringContaining('no such folder'),
        issues: [
          { key: 'data.info.train', line: 5, problem: 'no such folder' },
          { key: 'data', problem: 'also this' },
        ],
      },
    });
  });

  it("keeps a ServiceError's code, and calls anything else thrown `failed`", async () => {
    const unavailable = async () => {
      throw new ServiceError('unavailable', 'busy elsewhere');
    };
    const broken = async () => {
      throw new Error('disk on fire');
    };
    expect(await invokeMethod(handlers({ 'dataset.scan': unavailable }), 'dataset.scan', { file: 'p.yaml' })).toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'busy elsewhere' },
    });
    expect(await invokeMethod(handlers({ 'dataset.scan': broken }), 'dataset.scan', { file: 'p.yaml' })).toEqual({
      ok: false,
      error: { code: 'failed', message: 'disk on fire' },
    });
  });

  it('lets out only what the contract declares, and calls a result outside it internal', async () => {
    const leaky = async () => ({ ...info, secret: 'node key' });
    expect(await invokeMethod(handlers({ 'app.info': leaky }), 'app.info', {})).toEqual({ ok: true, value: info });
    const drifted = async () => ({ version: 1 }) as never;
    expect(await invokeMethod(handlers({ 'app.info': drifted }), 'app.info', {})).toMatchObject({
      ok: false,
      error: { code: 'internal', message: expect.stringMatching(/^app\.info answered outside the contract/) },
    });
  });
});
