// Tests (Node): the contract's table, its derived types, the API object built from it, argument parsing and the IPC channels.
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createApi } from '../../../common/contract/api-client.js';
import type { Transport } from '../../../common/contract/api-client.js';
import { isMethodName, parseArguments } from '../../../common/contract/arguments.js';
import { EVENT_NAMES, METHOD_NAMES, methods } from '../../../common/contract/contract.js';
import type { ArgsIn, ArgsOf, MethodHandlers, PayloadOf, ResultOf, TributaryApi } from '../../../common/contract/contract.js';
import type { Envelope } from '../../../common/contract/envelope.js';
import { callChannel, eventChannel } from '../../../common/contract/ipc-channels.js';

describe('the table', () => {
  it('names every entry area.verb, and declares what exists today', () => {
    expect([...METHOD_NAMES].sort()).toEqual([
      'app.info',
      'config.open',
      'config.save',
      'config.validate',
      'dataset.preview',
      'dataset.scan',
      'party.applyInvitation',
      'party.audit',
      'party.createNodeKey',
      'party.decideTask',
      'party.exportEvaluation',
      'party.history',
      'party.join',
      'party.leave',
      'party.nodeKey',
      'party.openInvitation',
      'party.pause',
      'party.resetNodeKey',
      'party.resume',
      'party.review',
      'party.savePublicKey',
      'party.status',
      'site.create',
      'site.recognise',
      'site.scan',
    ]);
    expect([...EVENT_NAMES].sort()).toEqual([
      'app.servicesState',
      'config.opened',
      'dataset.scanProgress',
      'party.error',
      'party.evaluation',
      'party.notice',
      'party.progress',
      'party.reviewChanged',
      'party.round',
      'party.state',
    ]);
    for (const name of [...METHOD_NAMES, ...EVENT_NAMES]) expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
  });

  it('gives each method and event its own IPC channel', () => {
    const channels = [...METHOD_NAMES.map(callChannel), ...EVENT_NAMES.map(eventChannel)];
    expect(new Set(channels).size).toBe(channels.length);
  });

  it('derives argument, result and payload types from the schemas', () => {
    expectTypeOf<ArgsIn<'dataset.preview'>>().toEqualTypeOf<{
      file: string;
      split?: 'train' | 'test';
      n?: number;
      seed?: number;
      className?: string;
    }>();
    expectTypeOf<ArgsOf<'dataset.preview'>>().toEqualTypeOf<{
      file: string;
      split: 'train' | 'test';
      n: number;
      seed: number;
      className?: string;
    }>();
    expectTypeOf<ResultOf<'config.open'>['issues'][number]>().toEqualTypeOf<{
      key: string;
      line?: number;
      problem: string;
      module?: string;
    }>();
    expectTypeOf<ResultOf<'dataset.preview'>['samples'][number]['png']>().toExtend<Uint8Array>();
    expectTypeOf<PayloadOf<'dataset.scanProgress'>>().toEqualTypeOf<{
      file: string;
      split: 'train' | 'test';
      done: number;
      total: number;
    }>();
    expectTypeOf<MethodHandlers['config.save']>().parameter(0).toEqualTypeOf<{ file: string; text: string }>();
    expectTypeOf<ArgsIn<'party.savePublicKey'>>().toEqualTypeOf<{ file: string; overwrite?: boolean }>();
    expectTypeOf<ArgsOf<'party.resetNodeKey'>>().toEqualTypeOf<{ file: string; fingerprint: string | null }>();
    expectTypeOf<ResultOf<'party.savePublicKey'>['outcome']>().toEqualTypeOf<'written' | 'replaced' | 'unchanged' | 'kept'>();
    expectTypeOf<ResultOf<'party.audit'>['entries'][number]['cachedBytes']>().toEqualTypeOf<number | null | undefined>();
  });

  it('types the API by area: methods return envelopes, events return unsubscribes, no-argument methods take none', () => {
    expectTypeOf<TributaryApi['config']['open']>().toEqualTypeOf<(args: { file: string }) => Promise<Envelope<ResultOf<'config.open'>>>>();
    expectTypeOf<TributaryApi['app']['info']>().parameters.toEqualTypeOf<[args?: ArgsIn<'app.info'>]>();
    expectTypeOf<TributaryApi['dataset']['onScanProgress']>().toEqualTypeOf<
      (listener: (payload: PayloadOf<'dataset.scanProgress'>) => void) => () => void
    >();
    expectTypeOf<keyof TributaryApi>().toEqualTypeOf<'app' | 'config' | 'dataset' | 'party' | 'site'>();
    expectTypeOf<TributaryApi['party']['leave']>().parameter(0).toEqualTypeOf<{ finish: boolean }>();
    expectTypeOf<TributaryApi['party']['status']>().parameters.toEqualTypeOf<[args?: ArgsIn<'party.status'>]>();
    expectTypeOf<TributaryApi['party']['onProgress']>().parameter(0).parameter(0).toEqualTypeOf<PayloadOf<'party.progress'>>();
  });
});

describe('createApi', () => {
  const fakeTransport = () => {
    const unsubscribe = vi.fn();
    const transport = {
      invoke: vi.fn(async (method: string, args: unknown) => ({ ok: true, value: { method, args } }) as Envelope<unknown>),
      subscribe: vi.fn(() => unsubscribe),
    } satisfies Transport;
    return { transport, unsubscribe };
  };

  it('has one function per method, calling the transport with its name and arguments ({} when none)', async () => {
    const { transport } = fakeTransport();
    const api = createApi(transport);
    await api.config.open({ file: 'party.yaml' });
    await api.app.info();
    expect(transport.invoke.mock.calls).toEqual([
      ['config.open', { file: 'party.yaml' }],
      ['app.info', {}],
    ]);
    for (const name of METHOD_NAMES) {
      const [area, verb] = name.split('.') as [keyof TributaryApi, string];
      expect(typeof (api[area] as Record<string, unknown>)[verb]).toBe('function');
    }
  });

  it("has one on<Event> per event, returning the transport's unsubscribe", () => {
    const { transport, unsubscribe } = fakeTransport();
    const api = createApi(transport);
    const listener = vi.fn();
    const off = api.dataset.onScanProgress(listener);
    expect(transport.subscribe).toHaveBeenCalledWith('dataset.scanProgress', listener);
    off();
    expect(unsubscribe).toHaveBeenCalled();
    expect(Object.keys(api.app).sort()).toEqual(['info', 'onServicesState']);
  });
});

describe('parseArguments', () => {
  it('fills defaults', () => {
    expect(parseArguments('dataset.preview', { file: 'a/party.yaml' })).toEqual({
      ok: true,
      value: { file: 'a/party.yaml', split: 'train', n: 24, seed: 0 },
    });
    expect(parseArguments('party.savePublicKey', { file: 'a/party.yaml' })).toEqual({
      ok: true,
      value: { file: 'a/party.yaml', overwrite: false },
    });
  });

  it('takes for a reset only a fingerprint as the party prints it, or null for a key that cannot be read', () => {
    expect(parseArguments('party.resetNodeKey', { file: 'party.yaml', fingerprint: '3fa2-91c0-77de-0b14' }).ok).toBe(true);
    expect(parseArguments('party.resetNodeKey', { file: 'party.yaml', fingerprint: null }).ok).toBe(true);
    const missing = parseArguments('party.resetNodeKey', { file: 'party.yaml' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringContaining('→ at fingerprint') } });
    const loose = parseArguments('party.resetNodeKey', { file: 'party.yaml', fingerprint: '3FA2 91C0' });
    expect(loose).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('a node key fingerprint, e.g. 3fa2-91c0-77de-0b14') },
    });
  });

  it('refuses what does not match as bad-request, saying which key and why', () => {
    const result = parseArguments('dataset.preview', { file: '/etc/passwd', n: 0 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('bad-request');
    expect(result.error.message).toMatch(/^dataset\.preview: /);
    expect(result.error.message).toContain('a party config is a .yaml or .yml file');
    expect(result.error.message).toContain('→ at n');
  });

  it('knows its method names, and nothing inherited', () => {
    expect(isMethodName('config.open')).toBe(true);
    expect(isMethodName('toString')).toBe(false);
    expect(isMethodName(42)).toBe(false);
    expect(Object.keys(methods)).toEqual(METHOD_NAMES);
  });
});
