// Integration test (real DICOM made by pydicom and dcmtk, real child processes, real sockets): a site's PACS export with
// patient names, birth dates, IDs, accession numbers and institutions in every header goes through scan, preview, train and
// a federation round over gRPC and REST; no byte written, printed or sent holds one of those values in any common form.
import { execFileSync, spawn } from 'node:child_process';
import http2 from 'node:http2';
import type net from 'node:net';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { savePartyConfig } from '../../main/config/party-config.js';
import { Aggregator } from '../../main/federation/server/aggregator.js';
import { AggregatorConfigSchema } from '../../main/federation/server/config.js';
import { tempDir } from '../fixtures/corpus.js';
import { makeFixtureTree } from '../main/data/dicom-fixture-tree.js';
import { PartyProcess } from './party-process.js';
import { filesUnder, phiFound, PHI_FORMS, snapshot } from './phi-search.js';
import { decodeHttp2, TcpRelay } from './wire-capture.js';

const CLI = path.resolve(import.meta.dirname, 'fixtures', 'tributary-cli.ts');
const root = await tempDir('tributary-phi-');
afterAll(() => fsp.rm(root, { recursive: true, force: true }));

/** The inputs (PHI by design: the DICOM tree and the labels CSV keyed by PatientID); only what a run adds to them is searched. */
const data = path.join(root, 'data');
/** Everything the runs may write: the sites' folders, HOME, the cache, TMPDIR, the outputs. Searched whole. */
const written = path.join(root, 'written');
/** The relay's recordings handed to the HTTP/2 decoder: wire bytes, searched as such, not as files. */
const scratch = path.join(root, 'scratch');
const tree = makeFixtureTree(data);
const home = path.join(written, 'home');
const env = environment(written);

/** A child's environment whose home, caches and temporary files are all under `dir`, where the search looks. */
function environment(dir: string): NodeJS.ProcessEnv {
  const home = path.join(dir, 'home');
  return {
    ...process.env,
    HOME: home,
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    TRIBUTARY_CACHE_DIR: path.join(dir, 'cache'),
    TMPDIR: path.join(dir, 'tmp'),
  };
}

interface Ran {
  code: number | null;
  output: Buffer;
}

/** `tributary ARGS` from source in a child process with the test's environment: its exit code and all it printed. */
function tributary(args: string[], childEnv = env): Promise<Ran> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output: Buffer.concat(chunks) })));
}

/** A site's party.yaml: the Dicom handler on the export (one export, split by patient) with the decoded cache on. */
async function writeSite(name: string, server: string, transport: 'grpc' | 'rest', info: object = {}): Promise<string> {
  const dir = path.join(written, name);
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'party.yaml');
  await savePartyConfig(file, {
    data: {
      name: 'Dicom',
      info: {
        path: [path.join(tree.root, 'site-a'), path.join(tree.root, 'site-b')],
        labels: path.join(data, 'labels-patient.csv'),
        label_key: 'PatientID',
        test_fraction: 0.25,
        image_size: [16, 16],
        window: 'minmax',
        workers: 1,
        cache: true,
        batch_size: 4,
        ...info,
      },
    },
    model: { builtin: 'mlp', learning_rate: 0.01, seed: 0 },
    training: { backend: 'auto', threads: 1 },
    federation: {
      server,
      transport,
      insecure: true,
      poll_interval: 0.05,
      heartbeat_interval: 10,
      key_file: 'node-key.pem',
      audit_log: 'federation-audit.jsonl',
    },
  });
  return file;
}

/** The reference aggregator in this process: one round, both transports in plain text on loopback, for a 16x16x1, 2-class MLP. */
async function startAggregator(): Promise<{ aggregator: Aggregator; grpc: string; rest: string }> {
  const config = AggregatorConfigSchema.parse({
    model: { builtin: 'mlp', input_shape: [16, 16, 1], classes: 2, seed: 0 },
    rounds: 1,
    min_nodes: 2,
    round_timeout: 300,
    train: { local_epochs: 1, lr: 0.01, batch_size: 4 },
    listen: { grpc: '127.0.0.1:0', rest: '127.0.0.1:0' },
    insecure: true,
    out: path.join(written, 'aggregator'),
    linger: 0,
  });
  const aggregator = new Aggregator(config, path.join(written, 'aggregator'));
  const { grpc, rest } = await aggregator.start();
  return { aggregator, grpc: grpc!, rest: rest! };
}

describe('the search', () => {
  it('finds each value in each form it looks for, planted among random bytes, and in a raw header of the export', async () => {
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + 13) % 251));
    for (const value of tree.phi)
      for (const form of PHI_FORMS)
        for (const needle of form.encode(value)) {
          const hits = phiFound(Buffer.concat([noise(37), needle, noise(41)]), tree.phi);
          expect(hits, `${value} as ${form.name}`).toContain(`${value} (${form.name})`);
        }
    expect(phiFound(noise(4096), tree.phi)).toEqual([]);
    const raw = await fsp.readFile(path.join(tree.root, tree.images[0]!.path));
    expect(phiFound(raw, tree.phi).filter((hit) => hit.endsWith('(utf-8)'))).toHaveLength(5);
    // UTF-16LE text read one byte late is UTF-16BE: both are found.
    const message = Buffer.from('{"error":"Quuxley Zebadiah3 of HIDDEN VALLEY CLINIC 3"}', 'utf16le');
    expect(phiFound(message, tree.phi).filter((hit) => hit.endsWith('(utf-16le)'))).toEqual([
      'Quuxley^Zebadiah3 (utf-16le)',
      'Hidden Valley Clinic 3 (utf-16le)',
    ]);
  });

  it('reads HTTP/2 as sent: HPACK-coded headers and gRPC messages each way', async () => {
    const [name, id, birth, accession, institution] = tree.phi as [string, string, string, string, string];
    await fsp.mkdir(scratch, { recursive: true });
    const relay = await http2Exchange({ header: name, body: `id ${id}` }, { header: `${birth} ${accession}`, body: institution });
    const [{ up, down }] = relay.streams() as [{ up: Buffer; down: Buffer }];
    const decoded = { up: decodeHttp2(up, scratch), down: decodeHttp2(down, scratch) };
    expect(phiFound(Buffer.from(decoded.up.headers.join('\n')), tree.phi)).toContain(`${name} (utf-8)`);
    expect(phiFound(Buffer.concat(decoded.up.messages), tree.phi)).toContain(`${id} (utf-8)`);
    expect(phiFound(Buffer.from(decoded.down.headers.join('\n')), tree.phi)).toEqual(
      expect.arrayContaining([`${birth} (utf-8)`, `${accession} (utf-8)`]),
    );
    expect(phiFound(Buffer.concat(decoded.down.messages), tree.phi)).toContain(`${institution} (utf-8)`);
    // Node's HTTP/2 Huffman-codes header strings: the raw bytes alone would not have shown the name.
    expect(phiFound(up, tree.phi)).not.toContain(`${name} (utf-8)`);
  });
});

/** One plain-text HTTP/2 request through a relay: a header and a gRPC-framed body out, a header and a body back. */
async function http2Exchange(up: { header: string; body: string }, down: { header: string; body: string }): Promise<TcpRelay> {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-said': down.header });
      stream.end(grpcFrame(down.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relay = await TcpRelay.start(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  const session = http2.connect(`http://${relay.address}`);
  const request = session.request({ ':method': 'POST', ':path': '/flwr.proto.Fleet/Control', 'x-asked': up.header });
  request.end(grpcFrame(up.body));
  request.resume();
  await new Promise((resolve) => request.once('close', resolve));
  session.close();
  await new Promise((resolve) => server.close(resolve));
  await relay.close();
  return relay;
}

function grpcFrame(text: string): Buffer {
  const message = Buffer.from(text);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

describe('PHI through scan, preview, train and a federation round', () => {
  it('is in no byte written, printed or sent', { timeout: 600_000 }, async () => {
    await Promise.all([env.TMPDIR!, home, scratch].map((dir) => fsp.mkdir(dir, { recursive: true })));
    // A labels CSV that gives a patient two labels, by ID: its error must name the line, not the patient.
    await fsp.writeFile(
      path.join(data, 'labels-twice.csv'),
      `PatientID,label\n${tree.images[0]!.PatientID},normal\n${tree.images[0]!.PatientID},abnormal\n`,
    );
    // And one without its header row: its first row is a patient's, not column names to list.
    await fsp.writeFile(
      path.join(data, 'labels-headerless.csv'),
      `${tree.images[0]!.PatientID},normal\n${tree.images.at(-1)!.PatientID},abnormal\n`,
    );
    const inputsBefore = await snapshot(data);
    const { aggregator, grpc, rest } = await startAggregator();
    const relays = { grpc: await TcpRelay.start(grpc), rest: await TcpRelay.start(rest) };
    const parties: PartyProcess[] = [];
    const printed: { what: string; bytes: Buffer }[] = [];
    try {
      const grpcSite = await writeSite('site-grpc', relays.grpc.address, 'grpc');
      const restSite = await writeSite('site-rest', `http://${relays.rest.address}`, 'rest');
      const out = path.join(written, 'out');
      // Configs that fail: the errors printed name files, lines and hashes, never the patient.
      const refused = [
        await writeSite('site-twice', 'unused:1', 'grpc', { labels: path.join(data, 'labels-twice.csv') }),
        await writeSite('site-shared', 'unused:1', 'grpc', {
          path: undefined,
          train: path.join(tree.root, 'site-a'),
          test: [path.join(tree.root, 'site-b'), path.join(tree.root, 'site-b-overlap')],
        }),
        await writeSite('site-by-name', 'unused:1', 'grpc', { key_column: 'PatientName' }),
        await writeSite('site-headerless', 'unused:1', 'grpc', { labels: path.join(data, 'labels-headerless.csv') }),
      ];
      for (const config of refused) {
        const ran = await tributary(['scan', '--config', config]);
        printed.push({ what: `tributary scan ${config}`, bytes: ran.output });
        expect(ran.code, ran.output.toString()).not.toBe(0);
      }
      expect(printed.map(({ bytes }) => bytes.toString()).join('\n')).toMatch(/line 3 gives the key of line 2 another label/);
      expect(printed.map(({ bytes }) => bytes.toString()).join('\n')).toMatch(/in both train and test \(by salted hash: [0-9a-f]{16}\)/);
      for (const args of [
        ['scan', '--config', grpcSite],
        ['scan', '--config', grpcSite, '--json'],
        ['preview', '--config', grpcSite, '--out', path.join(out, 'preview-train'), '-n', '8'],
        ['preview', '--config', grpcSite, '--out', path.join(out, 'preview-test'), '--split', 'test'],
        ['train', '--config', grpcSite, '--epochs', '2', '--log', path.join(out, 'train-log.jsonl')],
      ]) {
        const ran = await tributary(args);
        printed.push({ what: `tributary ${args[0]} ${args.at(-1)}`, bytes: ran.output });
        expect(ran.code, `tributary ${args.join(' ')}:\n${ran.output.toString()}`).toBe(0);
      }
      // The scan said what an export has (the hashed patients are in the JSON), and the preview made its pages.
      expect(printed.find(({ what }) => what === 'tributary scan --json')!.bytes.toString()).toMatch(/"patients"/);
      expect((await fsp.readdir(path.join(out, 'preview-train'))).sort()).toEqual(expect.arrayContaining(['index.html', 'samples.json']));

      const run = aggregator.run();
      parties.push(new PartyProcess(grpcSite, env), new PartyProcess(restSite, env));
      const result = await run;
      expect(result.records.map((record) => [record.status, record.train.replied.length])).toEqual([['completed', 2]]);
      for (const party of parties) party.kill('SIGTERM');
      for (const party of parties) await party.exited;
      parties.forEach((party, i) => printed.push({ what: `party ${i}`, bytes: Buffer.from(party.lines.join('\n')) }));
    } finally {
      for (const party of parties) party.kill('SIGKILL');
      await aggregator.close();
      await Promise.all(Object.values(relays).map((relay) => relay.close()));
    }

    const leaks: string[] = [];
    const search = (what: string, bytes: Buffer) => leaks.push(...phiFound(bytes, tree.phi).map((hit) => `${hit} in ${what}`));
    for (const { what, bytes } of printed) search(what, bytes);

    const files = await filesUnder(written);
    expect(files.map((f) => path.relative(written, f.file))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^site-grpc\/federation-audit\.jsonl$/),
        expect.stringMatching(/^site-rest\/federation-audit\.jsonl$/),
        expect.stringMatching(/^out\/train-log\.jsonl$/),
        expect.stringMatching(/^out\/preview-train\/.*\.png$/),
        expect.stringMatching(/^cache\/dicom\/salt$/),
        expect.stringMatching(/^aggregator\/run-.*\/metrics\.jsonl$/),
      ]),
    );
    for (const { file, bytes } of files) search(path.relative(root, file), bytes);
    const inputsAfter = await snapshot(data);
    const added = [...inputsAfter].filter(([file, stamp]) => inputsBefore.get(file) !== stamp).map(([file]) => file);
    for (const file of added) search(path.relative(root, file), await fsp.readFile(file));

    const grpcStreams = relays.grpc.streams();
    const restStreams = relays.rest.streams();
    let grpcMessages = 0;
    for (const [i, { up, down }] of grpcStreams.entries())
      for (const [direction, bytes] of [
        ['party to aggregator', up],
        ['aggregator to party', down],
      ] as const) {
        search(`gRPC connection ${i}, ${direction}, raw`, bytes);
        const decoded = decodeHttp2(bytes, scratch);
        search(`gRPC connection ${i}, ${direction}, headers`, Buffer.from(decoded.headers.join('\n')));
        for (const message of decoded.messages) search(`gRPC connection ${i}, ${direction}, a message`, message);
        grpcMessages += decoded.messages.length;
        if (direction === 'party to aggregator')
          expect(decoded.headers).toContainEqual(expect.stringMatching(/^:path: \/flwr\.proto\.Fleet\//));
      }
    for (const [i, { up, down }] of restStreams.entries()) {
      search(`REST connection ${i}, party to aggregator`, up);
      search(`REST connection ${i}, aggregator to party`, down);
    }
    // Both parties talked: a round's messages went each way (the model out, the trained model back).
    expect(grpcMessages).toBeGreaterThan(4);
    expect(restStreams.map(({ up }) => up.toString('latin1')).join('')).toMatch(/^POST \/api\/v0\/fleet\//m);
    expect(leaks).toEqual([]);
  });
});

describe('NIfTI subject IDs through scan, preview and a refusal', () => {
  it('are in no byte written or printed', { timeout: 300_000 }, async () => {
    const niftiData = path.join(root, 'nifti-data');
    const niftiWritten = path.join(root, 'nifti-written');
    execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../fixtures/nifti-set.py'), niftiData], {
      stdio: 'pipe',
      timeout: 300_000,
    });
    const rows = (await fsp.readFile(path.join(niftiData, 'all.csv'), 'utf8')).trim().split('\n').slice(1);
    const subjects = [...new Set(rows.map((row) => row.split(',')[2]!))];
    expect(subjects).toHaveLength(6);
    const childEnv = environment(niftiWritten);
    await fsp.mkdir(childEnv.TMPDIR!, { recursive: true });
    const config = async (name: string, info: object) => {
      const file = path.join(niftiWritten, name, 'party.yaml');
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await savePartyConfig(file, {
        data: { name: 'Nifti', info: { subject_column: 'patient', image_size: [8, 8], workers: 1, ...info } },
      });
      return file;
    };
    const one = await config('one', { path: path.join(niftiData, 'all.csv'), test_fraction: 0.34 });
    const shared = await config('shared', { train: path.join(niftiData, 'train.csv'), test: path.join(niftiData, 'overlap-test.csv') });
    const before = await snapshot(niftiData);
    const printed: Buffer[] = [];
    for (const [args, ok] of [
      [['scan', '--config', one], true],
      [['scan', '--config', one, '--json'], true],
      [['preview', '--config', one, '--out', path.join(niftiWritten, 'preview'), '-n', '6'], true],
      [['scan', '--config', shared], false],
    ] as const) {
      const ran = await tributary([...args], childEnv);
      printed.push(ran.output);
      expect(ran.code === 0, `tributary ${args.join(' ')}:\n${ran.output.toString()}`).toBe(ok);
    }
    const said = Buffer.concat(printed);
    expect(said.toString()).toMatch(/2 subjects are in both train and test \(#[0-9a-f]{16}, #[0-9a-f]{16}, salted hashes\)/);
    // The search finds them where they are.
    expect(phiFound(Buffer.from(subjects.join(' ')), subjects).filter((hit) => hit.endsWith('(utf-8)'))).toHaveLength(6);
    const leaks = phiFound(said, subjects).map((hit) => `${hit} in what tributary printed`);
    for (const { file, bytes } of await filesUnder(niftiWritten))
      leaks.push(...phiFound(bytes, subjects).map((hit) => `${hit} in ${path.relative(root, file)}`));
    const after = await snapshot(niftiData);
    for (const [file, stamp] of after)
      if (before.get(file) !== stamp) leaks.push(...phiFound(await fsp.readFile(file), subjects).map((hit) => `${hit} in ${file}`));
    expect(leaks).toEqual([]);
  });
});
