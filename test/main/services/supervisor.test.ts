// Tests (Node): the supervisor with a scripted child (queueing, replies, crashes, restarts, giving up, stopping) and with the real services process.
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { forkServices } from '../../../main/services/fork-child.js';
import type { ParentMessage } from '../../../main/services/port-protocol.js';
import { ServicesSupervisor } from '../../../main/services/supervisor.js';
import type { ServiceChild } from '../../../main/services/supervisor.js';
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

function scripted(options: { restartDelaysMs?: number[]; stableAfterMs?: number; stopTimeoutMs?: number } = {}) {
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

  it('passes the process\'s events on to every subscriber', () => {
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
    expect(await inFlight).toEqual({ ok: false, error: { code: 'unavailable', message: 'the services process stopped (exit code 1) while answering: config.save' } });
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
    expect(await supervisor.call('app.info', {})).toEqual({ ok: false, error: { code: 'unavailable', message: 'the services are failed: app.info cannot run' } });
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
