// Tests (Node): the one IPC registration helper: exactly one handler per contract method, the sender check, the argument check, envelopes.
import type { IpcMainInvokeEvent } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { forwardEvents, registerContractHandlers } from '../../../main/app/ipc.main.js';
import type { IpcRegistrar } from '../../../main/app/ipc.main.js';
import { EVENT_NAMES, METHOD_NAMES } from '../../../common/contract/contract.js';
import { callChannel, eventChannel } from '../../../common/contract/ipc-channels.js';
import type { EventListener, ServicesClient } from '../../../main/services/services-client.js';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;

function setup(trusted = true) {
  const registrations: [string, Handler][] = [];
  const ipc: IpcRegistrar = { handle: (channel, handler) => void registrations.push([channel, handler]), removeHandler: vi.fn() };
  const services = {
    call: vi.fn(async (method: string, args: unknown) => ({ ok: true as const, value: { method, args } })),
    subscribe: vi.fn(() => () => undefined),
  } satisfies ServicesClient;
  const isTrustedSender = vi.fn(() => trusted);
  const remove = registerContractHandlers(ipc, { isTrustedSender, services });
  const invoke = (method: string, args: unknown) =>
    registrations.find(([channel]) => channel === `tributary:call:${method}`)![1]({} as IpcMainInvokeEvent, args);
  return { registrations, ipc, services, isTrustedSender, remove, invoke };
}

describe('registerContractHandlers', () => {
  it('registers exactly one handler per contract method, and nothing else', () => {
    const { registrations } = setup();
    const channels = registrations.map(([channel]) => channel);
    expect(channels.sort()).toEqual(METHOD_NAMES.map(callChannel).sort());
    expect(new Set(channels).size).toBe(METHOD_NAMES.length);
  });

  it('refuses a foreign sender before parsing anything or calling the services', async () => {
    const { invoke, services } = setup(false);
    expect(await invoke('config.open', { file: 'party.yaml' })).toEqual({
      ok: false,
      error: { code: 'forbidden', message: "config.open: refused, the caller is not the app's window" },
    });
    expect(services.call).not.toHaveBeenCalled();
  });

  it('answers bad arguments bad-request without calling the services', async () => {
    const { invoke, services } = setup();
    expect(await invoke('config.save', { file: 'party.yaml' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('→ at text') },
    });
    expect(await invoke('config.open', { file: '/home/x/.ssh/id_ed25519' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(services.call).not.toHaveBeenCalled();
  });

  it('passes parsed arguments (defaults filled) to the services and returns their envelope', async () => {
    const { invoke, services } = setup();
    expect(await invoke('dataset.preview', { file: 'party.yaml', n: 3 })).toEqual({
      ok: true,
      value: { method: 'dataset.preview', args: { file: 'party.yaml', split: 'train', n: 3, seed: 0 } },
    });
    expect(services.call).toHaveBeenCalledWith('dataset.preview', { file: 'party.yaml', split: 'train', n: 3, seed: 0 });
  });

  it('turns a services client that throws into an internal envelope, never a rejected invoke', async () => {
    const { invoke, services } = setup();
    services.call.mockRejectedValueOnce(new Error('boom'));
    expect(await invoke('app.info', {})).toEqual({ ok: false, error: { code: 'internal', message: 'app.info: Error: boom' } });
  });

  it('removes every handler it registered', () => {
    const { remove, ipc } = setup();
    remove();
    expect(
      vi
        .mocked(ipc.removeHandler)
        .mock.calls.map(([channel]) => channel)
        .sort(),
    ).toEqual(METHOD_NAMES.map(callChannel).sort());
  });
});

describe('forwardEvents', () => {
  it('sends each contract event on its channel', () => {
    let listener: EventListener = () => undefined;
    const services: ServicesClient = { call: vi.fn(), subscribe: (l) => ((listener = l), () => undefined) };
    const send = vi.fn();
    forwardEvents(services, send);
    for (const event of EVENT_NAMES) listener(event, { from: event });
    expect(send.mock.calls).toEqual(EVENT_NAMES.map((event) => [eventChannel(event), { from: event }]));
  });
});
