// Tests (Node, real sockets, a real training thread): a party whose node key comes from a key source (the desktop app's keychain) never touches a key file.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FederationSectionSchema } from '../../../../common/federation-config.js';
import { Party } from '../../../../main/federation/client/party.js';
import { createNodeKeyPem, nodeIdentityFromPem } from '../../../../main/federation/transport/node-identity.js';
import type { NodeKeySource } from '../../../../main/federation/transport/node-identity.js';
import { FakeFleet, waitFor } from './fake-fleet.js';
import { fedAvgContent, instruction } from './instructions.js';
import { errorsOf, openRunner, startParty, type OpenedRunner } from './party-fixture.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

/** A key source in memory, as the desktop app's keychain is to the party: it records what the party asked of it. */
class MemoryKeySource implements NodeKeySource {
  readonly label = 'the test keychain';
  readonly saved: string[] = [];
  /** How many Fleet calls the server had seen when each key was saved. */
  readonly callsWhenSaved: number[] = [];
  retired = 0;

  constructor(
    public pem: string | undefined,
    private readonly fleet?: FakeFleet,
  ) {}

  load = async (): Promise<string | undefined> => this.pem;

  save = async (pem: string): Promise<void> => {
    this.saved.push(pem);
    this.callsWhenSaved.push(this.fleet?.calls.length ?? 0);
    this.pem = pem;
  };

  retire = async (): Promise<void> => {
    this.retired++;
    this.pem = undefined;
  };
}

/** The public key a key source's PEM stands for, as the fake server keys its nodes. */
const serverKeyOf = (pem: string) => Buffer.from(nodeIdentityFromPem(pem, 'test').publicKeyPem).toString();

const keyFilesIn = async (dir: string) => (await readdir(dir)).filter((name) => name.includes('node-key'));

describe('a party with a node key source', () => {
  it("joins as the source's key, notes the message in hand beside the audit log, and retires the key through the source", async () => {
    const fleet = await FakeFleet.start('grpc');
    const source = new MemoryKeySource(createNodeKeyPem());
    const { party, events, dir } = await startParty(fleet, opened, { options: { nodeKey: source } });
    try {
      const nodeId = await fleet.activeNode();
      expect([...fleet.nodes.keys()]).toEqual([serverKeyOf(source.pem!)]);
      expect(party.fingerprint).toBe(nodeIdentityFromPem(source.pem!, 'test').fingerprint);
      expect(source.saved).toEqual([]);
      expect(party.inHandFile).toBe(`${party.audit.file}.in-hand.json`);

      const reply = fleet.send(instruction(nodeId, fedAvgContent(opened.weights, { 'local-epochs': 10n }), { type: 'train' }), 60_000);
      await waitFor(() => events.some((event) => event.type === 'training'), 15_000, 'training to start');
      expect(existsSync(party.inHandFile)).toBe(true);
      expect((await reply).message.error).toBeUndefined();
      await waitFor(() => !existsSync(party.inHandFile), 5_000, 'the note to go once the reply is sent');

      await party.leave({ finish: true });
      expect(source.retired).toBe(1);
      expect(events).toContainEqual({ type: 'notice', message: expect.stringMatching(/^node key .* retired with its node/) });
      expect(errorsOf(events)).toEqual([]);
      expect(await keyFilesIn(dir)).toEqual([]);
    } finally {
      await party.leave({ finish: false });
      await fleet.close();
    }
  });

  it('makes a key when the source has none and saves it once, before the server sees it; after leaving, the next join makes another', async () => {
    const fleet = await FakeFleet.start('grpc');
    const source = new MemoryKeySource(undefined, fleet);
    const { party, dir, events } = await startParty(fleet, opened, { options: { nodeKey: source } });
    try {
      await fleet.activeNode();
      expect(source.saved).toHaveLength(1);
      expect(source.callsWhenSaved).toEqual([0]);
      expect([...fleet.nodes.keys()]).toEqual([serverKeyOf(source.saved[0]!)]);
      const first = party.fingerprint;

      await party.leave({ finish: true });
      expect([source.retired, source.pem]).toEqual([1, undefined]);
      await party.join();
      await waitFor(() => party.state.type === 'idle', 10_000, 'the second join');
      expect(source.saved).toHaveLength(2);
      expect(party.fingerprint).not.toBe(first);
      expect(await keyFilesIn(dir)).toEqual([]);

      source.retire = () => Promise.reject(new Error('the keychain is locked'));
      await party.leave({ finish: true });
      expect(errorsOf(events)).toEqual(['cannot remove the retired node key from the test keychain: the keychain is locked']);
    } finally {
      await party.leave({ finish: false });
      await fleet.close();
    }
  });

  it('refuses to join with an unusable key, naming the source, and contacts no server', async () => {
    const fleet = await FakeFleet.start('grpc');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-party-'));
    const section = FederationSectionSchema.parse({ server: fleet.address, insecure: true });
    const join = (nodeKey: NodeKeySource) =>
      new Party({ section, baseDir: dir, runner: opened.runner, settings: opened.info.settings, nodeKey }).join();
    try {
      await expect(join(new MemoryKeySource('not a key'))).rejects.toThrow(/^the test keychain: not a usable node key/);
      const unsaved = Object.assign(new MemoryKeySource(undefined), {
        save: async () => Promise.reject(new Error('the keychain is locked')),
      });
      await expect(join(unsaved)).rejects.toThrow('the keychain is locked');
      expect(fleet.calls).toEqual([]);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await fleet.close();
    }
  });
});

describe('a party without a key source', () => {
  it('keeps the note of the message in hand beside its key file, as before', () => {
    const section = FederationSectionSchema.parse({ server: '127.0.0.1:9092', insecure: true, key_file: 'keys/site.pem' });
    const party = new Party({ section, baseDir: '/site', runner: opened.runner, settings: opened.info.settings });
    expect(party.inHandFile).toBe(path.resolve('/site', 'keys/site.pem.in-hand.json'));
  });
});
