// Tests (Node): the supervisor with a scripted child (queueing, replies, crashes, restarts, giving up, stopping,
// node key requests) and with the real services process.
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeKeyPem, nodeIdentityFromPem } from '../../../main/federation/transport/node-identity.js';
import { forkServices } from '../../../main/services/fork-child.js';
import type { NodeKeyRequest, ParentMessage } from '../../../main/services/port-protocol.js';
import { ServicesSupervisor } from '../../../main/services/supervisor.js';
import type { NodeKeyKeeper, ServiceChild } from '../../../main/services/supervisor.js';
import { JOINABLE_YAML, writeConfig } from './party-fakes.js';
import { makeParty } from './party-fixture.js';
import type { Party } from './party-fixture.js';

/** A child the test drives: it records what it was sent and says what the test tells it to. */
class ScriptedChild extends EventEmitter implements ServiceChild {
  readonly sent: ParentMessage[] = [];
  killed = false;
  send(message: ParentMessage): void {
    this.sent.push(message);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.on('message', listener);
  }
  onExit(listener: (code: number | null) => void): void {
    this.on('exit', listener);
  }
  kill(): void {
    this.killed = true;
  }
  ready(): void {
    this.emit('message', { kind: 'ready' });
  }
  reply(id: number, value: unknown): void {
    this.emit('message', { kind: 'reply', id, result: { ok: true, value } });
  }
  calls() {
    return this.sent.filter((m) => m.kind === 'call');
  }
}

function scripted(options: { restartDelaysMs?: number[]; stableAfterMs?: number; stopTimeoutMs?: number; nodeKeys?: NodeKeyKeeper } = {}) {
  const children: ScriptedChild[] = [];
  const supervisor = new ServicesSupervisor({
    spawn: () => {
      const child = new ScriptedChild();
      children.push(child);
      return child;
    },
    restartDelaysMs: [0, 0],
    ...options,
  });
  const states: string[] = [];
  supervisor.subscribe((event, payload) => event === 'app.servicesState' && states.push((payload as { state: string }).state));
  supervisor.start();
  return { supervisor, children, states, latest: () => children.at(-1)! };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('ServicesSupervisor', () => {
  it('holds calls until the process is ready, then sends them and resolves each with its reply', async () => {
    const { supervisor, latest, states } = scripted();
    const answer = supervisor.call('app.info', {});
    expect(latest().calls()).toEqual([]);
    latest().ready();
    const [call] = latest().calls();
    expect(call).toEqual({ kind: 'call', id: 1, method: 'app.info', args: {} });
    latest().reply(call!.id, { version: 'x' });
    expect(await answer).toEqual({ ok: true, value: { version: 'x' } });
    expect(states).toEqual(['starting', 'ready']);
  });

  it("passes the process's events on to every subscriber", () => {
    const { supervisor, latest } = scripted();
    const listener = vi.fn();
    supervisor.subscribe(listener);
    latest().emit('message', { kind: 'event', event: 'config.opened', payload: { file: '/p.yaml' } });
    expect(listener).toHaveBeenCalledWith('config.opened', { file: '/p.yaml' });
  });

  it('after a crash: the call in flight fails unavailable (it may have run), the process restarts, waiting calls go to the new one', async () => {
    const { supervisor, children, states } = scripted();
    children[0]!.ready();
    const inFlight = supervisor.call('config.save', { file: 'a.yaml', text: '' });
    children[0]!.emit('exit', 1);
    expect(await inFlight).toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'the services process stopped (exit code 1) while answering: config.save' },
    });
    const waiting = supervisor.call('app.info', {});
    await tick();
    expect(children).toHaveLength(2);
    children[1]!.ready();
    children[1]!.reply(children[1]!.calls()[0]!.id, { version: 'again' });
    expect(await waiting).toEqual({ ok: true, value: { version: 'again' } });
    expect(states).toEqual(['starting', 'ready', 'restarting', 'ready']);
  });

  it('gives up after its restarts run out (a crash loop) and then answers every call unavailable', async () => {
    const { supervisor, children, states } = scripted({ restartDelaysMs: [0] });
    const waiting = supervisor.call('app.info', {});
    children[0]!.emit('exit', 1);
    await tick();
    children[1]!.emit('exit', null);
    expect(await waiting).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(states.at(-1)).toBe('failed');
    expect(supervisor.state).toBe('failed');
    expect(await supervisor.call('app.info', {})).toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'the services are failed: app.info cannot run' },
    });
  });

  it('forgets old crashes once a process has run long enough to count as healthy', async () => {
    const { children } = scripted({ restartDelaysMs: [0], stableAfterMs: 0 });
    for (let k = 0; k < 3; k++) {
      children.at(-1)!.emit('exit', 1);
      await tick();
    }
    expect(children).toHaveLength(4);
  });

  it('stop: asks the process to stop, and kills it when it does not exit in time', async () => {
    const { supervisor, latest, states } = scripted({ stopTimeoutMs: 20 });
    latest().ready();
    const child = latest();
    const stopped = supervisor.stop();
    expect(supervisor.stop()).toBe(stopped);
    expect(child.sent.filter((m) => m.kind === 'stop')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(child.killed).toBe(true);
    child.emit('exit', null);
    await stopped;
    expect(states.at(-1)).toBe('stopped');
    expect(await supervisor.call('app.info', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('stop before the process is ready: a late "ready" does not undo the stop, and its clean exit ends it without a restart', async () => {
    const { supervisor, children, latest, states } = scripted();
    const child = latest();
    const stopped = supervisor.stop();
    child.ready();
    child.emit('exit', 0);
    await stopped;
    expect(states).toEqual(['starting', 'stopped']);
    expect(children).toHaveLength(1);
  });

  it('a spawn that throws counts as a crash', async () => {
    let attempts = 0;
    const supervisor = new ServicesSupervisor({
      spawn: () => {
        attempts++;
        throw new Error('no such entry');
      },
      restartDelaysMs: [0],
    });
    const details: unknown[] = [];
    supervisor.subscribe((_event, payload) => details.push(payload));
    supervisor.start();
    await tick();
    expect(attempts).toBe(2);
    expect(details.at(-1)).toEqual({ state: 'failed', detail: 'the services process keeps stopping (no such entry); restart the app' });
  });
});

describe('node key requests from the services process', () => {
  const KEY = '/site/node-key.pem';
  const ask = (child: ScriptedChild, id: number, request: unknown) => child.emit('message', { kind: 'nodeKey', id, request });
  const nodeKeyReplies = (child: ScriptedChild) =>
    child.sent.filter((m) => m.kind === 'nodeKeyReply').sort((a, b) => (a as { id: number }).id - (b as { id: number }).id);

  it("are checked against the port protocol, and only good ones reach the keeper; each is answered with the keeper's result", async () => {
    const asked: NodeKeyRequest[] = [];
    const { latest } = scripted({
      nodeKeys: async (request) => {
        asked.push(request);
        return request.op === 'load' ? 'PEM' : null;
      },
    });
    const child = latest();
    child.ready();
    const pem = createNodeKeyPem();
    ask(child, 1, { op: 'load', keyFile: KEY });
    ask(child, 2, { op: 'save', keyFile: KEY, pem });
    ask(child, 3, { op: 'load', keyFile: 'node-key.pem' });
    ask(child, 4, { op: 'save', keyFile: KEY, pem: 'not a key' });
    ask(child, 5, { op: 'export', keyFile: KEY });
    ask(child, 6, { op: 'delete', keyFile: KEY, other: 'field' });
    await tick();
    expect(asked).toEqual([
      { op: 'load', keyFile: KEY },
      { op: 'save', keyFile: KEY, pem },
    ]);
    const badRequest = (id: number, why: RegExp) => ({
      kind: 'nodeKeyReply',
      id,
      result: { ok: false, error: { code: 'bad-request', message: expect.stringMatching(why) } },
    });
    expect(nodeKeyReplies(child)).toEqual([
      { kind: 'nodeKeyReply', id: 1, result: { ok: true, value: 'PEM' } },
      { kind: 'nodeKeyReply', id: 2, result: { ok: true, value: null } },
      badRequest(3, /an absolute key_file path/),
      badRequest(4, /a PKCS#8 PEM private key/),
      badRequest(5, /node key request/),
      badRequest(6, /other/),
    ]);
  });

  it("answer a keeper's failure as failed, and are refused where no keeper was given (the console keeps key files)", async () => {
    const failing = scripted({ nodeKeys: () => Promise.reject(new Error('the user denied keychain access')) }).latest();
    ask(failing, 1, { op: 'load', keyFile: KEY });
    const keyFiles = scripted().latest();
    ask(keyFiles, 1, { op: 'delete', keyFile: KEY });
    await tick();
    expect(nodeKeyReplies(failing)).toEqual([
      { kind: 'nodeKeyReply', id: 1, result: { ok: false, error: { code: 'failed', message: 'the user denied keychain access' } } },
    ]);
    expect(nodeKeyReplies(keyFiles)).toEqual([
      {
        kind: 'nodeKeyReply',
        id: 1,
        result: { ok: false, error: { code: 'failed', message: expect.stringContaining('keeps no sealed node keys') } },
      },
    ]);
  });

  it('are not answered to a process that has gone meanwhile, nor to the one restarted after it', async () => {
    let release: (value: string | null) => void = () => undefined;
    const { children } = scripted({ nodeKeys: () => new Promise((resolve) => (release = resolve)) });
    ask(children[0]!, 1, { op: 'load', keyFile: KEY });
    children[0]!.emit('exit', 1);
    await tick();
    release('PEM');
    await tick();
    expect(children.flatMap((child) => nodeKeyReplies(child))).toEqual([]);
  });
});

describe('sealed node keys across the process boundary (the real services process)', () => {
  it("party.nodeKey in a services process told keys are sealed asks its parent for the config's key, and fingerprints it", async () => {
    const party = await makeParty();
    const config = await writeConfig(party.dir, 'federated.yaml', JOINABLE_YAML);
    const keyFile = path.join(party.dir, 'node-key.pem');
    const sealed = new Map([[keyFile, createNodeKeyPem()]]);
    const asked: NodeKeyRequest[] = [];
    const supervisor = new ServicesSupervisor({
      spawn: () => forkServices({ nodeKeys: { kind: 'keychain' } }),
      nodeKeys: async (request) => {
        asked.push(request);
        return request.op === 'load' ? (sealed.get(request.keyFile) ?? null) : null;
      },
    });
    supervisor.start();
    try {
      const nodeKey = await supervisor.call('party.nodeKey', { file: config });
      const fingerprint = nodeIdentityFromPem(sealed.get(keyFile)!, 'test').fingerprint;
      expect(nodeKey).toMatchObject({ ok: true, value: { keyFile, fingerprint, storage: 'keychain', problem: null } });
      expect(asked).toEqual([{ op: 'load', keyFile }]);
    } finally {
      await supervisor.stop();
      await fsp.rm(party.dir, { recursive: true, force: true });
    }
  });
});

describe('the real services process (a Node child, from source)', () => {
  let party: Party;
  let supervisor: ServicesSupervisor;
  const children: ServiceChild[] = [];

  beforeAll(async () => {
    party = await makeParty();
    supervisor = new ServicesSupervisor({
      spawn: () => {
        const child = forkServices({ startConfig: party.config });
        children.push(child);
        return child;
      },
      restartDelaysMs: [0],
    });
    supervisor.start();
  });
  afterAll(async () => {
    await supervisor.stop();
    await fsp.rm(party.dir, { recursive: true, force: true });
  });

  it('answers through the process boundary, PNG bytes as bytes', async () => {
    expect(await supervisor.call('app.info', {})).toMatchObject({ ok: true, value: { startConfig: party.config } });
    const preview = await supervisor.call('dataset.preview', { file: party.config, n: 2 });
    expect(preview.ok && (preview.value as { samples: { png: unknown }[] }).samples[0]!.png).toBeInstanceOf(Uint8Array);
  });

  it('is restarted after it is killed, and answers again', async () => {
    children[0]!.kill();
    await vi.waitFor(() => expect(children).toHaveLength(2), { timeout: 10_000 });
    expect(await supervisor.call('app.info', {})).toMatchObject({ ok: true });
    expect(supervisor.state).toBe('ready');
  });
});
