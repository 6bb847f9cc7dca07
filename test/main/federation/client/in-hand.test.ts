// Tests (Node): the note of the message in hand survives a restart exactly (uint64 ids included), and a bad note is no note.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InHandFile } from '../../../../main/federation/client/in-hand.js';
import type { Metadata } from '../../../../main/federation/wire/proto/record-types.js';

const metadata: Metadata = {
  runId: 2n ** 64n - 3n,
  messageId: 'ab'.repeat(32),
  srcNodeId: 1n,
  dstNodeId: 2n ** 63n + 9n,
  replyToMessageId: '',
  groupId: '3',
  ttl: 43199.5,
  messageType: 'train',
  createdAt: 1767225600.25,
};
const folder = () => mkdtemp(path.join(os.tmpdir(), 'tributary-in-hand-'));

describe('InHandFile', () => {
  it('reads back what was saved, ids above 2^53 exact, until cleared', async () => {
    const note = new InHandFile(path.join(await folder(), 'node-key.pem.in-hand.json'));
    expect(await note.read()).toBeNull();
    await note.save(2n ** 63n + 9n, metadata);
    expect(await note.read()).toEqual({ nodeId: 2n ** 63n + 9n, metadata });
    await note.clear();
    expect(await note.read()).toBeNull();
  });

  it('takes a torn note for none, and reports a note it cannot write instead of throwing', async () => {
    const dir = await folder();
    const torn = path.join(dir, 'torn.json');
    await writeFile(torn, '{"nodeId": "5", "metad');
    expect(await new InHandFile(torn).read()).toBeNull();
    const errors: string[] = [];
    await new InHandFile(path.join(dir, 'missing', 'note.json'), (error) => errors.push(error.message)).save(5n, metadata);
    expect(errors).toEqual([expect.stringMatching(/^cannot write .*note\.json \(the note of the message in hand\): ENOENT/)]);
  });
});
