// Tests (real files, keys and a CA made with the openssl CLI): `tributary invite` signs, `tributary join` applies to a copy of the example
// config (CA written and pinned, comments kept, node key made), a tampered invitation fails naming why, and the aggregator's --invite flags.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatorCommand } from '../../../main/cli/aggregator-command.js';
import { main } from '../../../main/cli/index.js';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { makeTestCertificates, type TestCertificates } from '../federation/transport/fixtures.js';
import { captureConsole } from './console-capture.js';

let dir: string;
let certs: TestCertificates;
let config: string;
const { printed, complained } = captureConsole();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-invite-cli-'));
  certs = makeTestCertificates(dir);
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', 'coordinator.key'], { cwd: dir });
  config = path.join(dir, 'site', 'party.yaml');
  await mkdir(path.dirname(config), { recursive: true });
  const example = await readFile('examples/image-folder/party.yaml', 'utf8');
  await writeFile(config, example.replaceAll('../../assets/', `${path.resolve('assets')}/`));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (name: string) => path.join(dir, name);
const INVITE = ['invite', '--server', 'localhost:9092', '--name', 'Test federation', '--expires', '2d'];

describe('tributary invite and tributary join', () => {
  it('signs an invitation whose issuer fingerprint is the SHA-256 openssl gives for the coordinator key', async () => {
    const code = await main([...INVITE, '--ca', certs.caFile, '--key', file('coordinator.key'), '--out', file('invite.txt')]);
    expect([code, complained()]).toEqual([0, '']);
    const digest = execFileSync('sh', ['-c', 'openssl pkey -in coordinator.key -pubout -outform DER | sha256sum'], { cwd: dir })
      .toString()
      .slice(0, 64);
    expect(printed()).toContain(`issuer       ${digest.match(/.{4}/g)!.join('-')} (ed25519)`);
    expect((await readFile(file('invite.txt'), 'utf8')).startsWith('tributary-invite:')).toBe(true);
  });

  it('applies it: CA beside the config and pinned, the federation section filled, comments kept, the node key made', async () => {
    expect(await main(['join', '--config', config, '--invite', file('invite.txt')])).toBe(0);
    const pin = new X509Certificate(await readFile(certs.caFile)).fingerprint256;
    const loaded = await loadPartyConfig(config);
    const caName = `federation-ca-${pin.replaceAll(':', '').slice(0, 16).toLowerCase()}.pem`;
    expect(loaded.config.federation).toMatchObject({
      server: 'localhost:9092',
      transport: 'grpc',
      root_ca: caName,
      ca_sha256: pin,
      insecure: false,
      register: true,
      key_file: 'node-key.pem',
    });
    const text = await readFile(config, 'utf8');
    expect(text).toContain("# this site's identity, made on the first join and kept");
    expect(new X509Certificate(await readFile(path.join(dir, 'site', caName))).fingerprint256).toBe(pin);
    expect((await stat(path.join(dir, 'site', 'node-key.pem'))).mode & 0o777).toBe(0o600);
    expect(printed()).toMatch(
      /node key [0-9a-f-]{19} \(created: .*node-key\.pem\)\npublic key to send back to the coordinator:\necdsa-sha2-nistp384 /,
    );
  });

  it('refuses a tampered invitation with exit code 1, naming the problem, and leaves the config as it was', async () => {
    const text = (await readFile(file('invite.txt'), 'utf8')).trim();
    const signed = JSON.parse(Buffer.from(text.slice('tributary-invite:'.length), 'base64url').toString()) as { invitation: string };
    signed.invitation = signed.invitation.replace('localhost:9092', 'evil.example.net:9092');
    await writeFile(file('tampered.json'), JSON.stringify(signed));
    const before = await readFile(config, 'utf8');
    expect(await main(['join', '--config', config, '--invite', file('tampered.json')])).toBe(1);
    expect(complained()).toContain("tributary join: the invitation's signature does not match its content");
    expect(await readFile(config, 'utf8')).toBe(before);
  });

  it("names the federation's model: join puts it in place of the config's, keeping its optimizer and comments; a bad --model is bad usage", async () => {
    const signing = ['--ca', certs.caFile, '--key', file('coordinator.key')];
    expect(await main([...INVITE, ...signing, '--model', 'resnet:depth=2', '--out', file('invite-model.txt')])).toBe(0);
    expect(printed()).toContain('  model        resnet (depth 2)');
    expect(await main(['join', '--config', config, '--invite', file('invite-model.txt')])).toBe(0);
    expect(printed()).toContain('model resnet (depth 2) (changed in the config)');
    const { model } = (await loadPartyConfig(config)).config;
    expect(model).toMatchObject({ builtin: 'resnet', depth: 2, optimizer: 'adam', learning_rate: 0.001 });
    expect(await readFile(config, 'utf8')).toContain('# weights and dropout: the same seed repeats a run exactly');
    expect(await main(['join', '--config', config, '--invite', file('invite-model.txt')])).toBe(0);
    expect(printed()).toContain('model resnet (depth 2) (unchanged in the config)');
    expect(await main([...INVITE, ...signing, '--model', 'resnet:alpha=1', '--out', file('x.txt')])).toBe(2);
    expect(complained()).toContain('--model resnet:alpha=1: alpha: only `builtin: mobilenetv2` takes `alpha`');
  });

  it('writes the JSON form for a .json file, and asks for the CA as a file or a fingerprint, one of them', async () => {
    await copyFile(certs.caFile, file('ca-copy.pem'));
    expect(await main([...INVITE, '--ca', file('ca-copy.pem'), '--key', file('coordinator.key'), '--out', file('invite.json')])).toBe(0);
    expect(JSON.parse(await readFile(file('invite.json'), 'utf8'))).toHaveProperty('signature');
    expect(await main([...INVITE, '--key', file('coordinator.key'), '--out', file('x.txt')])).toBe(2);
    expect(complained()).toContain('give --ca ca.pem or --ca-sha256 AB:CD:…, one of them');
  });
});

describe('tributary aggregator --invite', () => {
  it('refuses invitation flags that cannot make an invitation, before it listens', async () => {
    const tiny = ['--model', 'mlp', '--input-shape', '4', '--classes', '2', '--grpc', '127.0.0.1:0', '--rest', 'off', '--out', dir];
    await expect(aggregatorCommand([...tiny, '--insecure', '--invite', file('a.txt')])).rejects.toThrow('this aggregator is --insecure');
    const tls = [...tiny, '--tls-cert', certs.certFile, '--tls-key', certs.keyFile];
    await expect(aggregatorCommand([...tls, '--invite', file('a.txt'), '--invite-ca', certs.caFile])).rejects.toThrow(
      '--invite needs --invite-key',
    );
    await expect(aggregatorCommand([...tls, '--invite-name', 'x'])).rejects.toThrow('--invite-name needs --invite FILE');
  });
});
