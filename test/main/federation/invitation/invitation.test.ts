// Tests (Node): invitations signed and opened for real (node:crypto keys, a CA made with openssl at test time): both forms round-trip,
// and every bad one (tampered, expired, unknown transport, bad certificate, oversize, damaged) is refused with the reason named.
import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVITATION_PREFIX, MAX_INVITATION_BYTES, type SignedInvitation } from '../../../../common/invitation.js';
import { createInvitation, keyFingerprint, openInvitation } from '../../../../main/federation/invitation/invitation.js';
import { InvitationError } from '../../../../main/federation/invitation/invitation-error.js';
import { invitationJson, invitationText } from '../../../../main/federation/invitation/invitation-text.js';
import { makeTestCertificates, type TestCertificates } from '../transport/fixtures.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-07T05:00:00.000Z');

let dir: string;
let certs: TestCertificates;
let caPem: string;
let ed25519: KeyObject;
let p256: KeyObject;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-invite-'));
  certs = makeTestCertificates(dir);
  caPem = await readFile(certs.caFile, 'utf8');
  ed25519 = generateKeyPairSync('ed25519').privateKey;
  p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function invite(overrides: Partial<Parameters<typeof createInvitation>[0]> = {}): SignedInvitation {
  return createInvitation({
    federation: 'Lung CT study',
    server: 'fl.example.org:9092',
    transport: 'grpc',
    ca: { pem: caPem },
    nodeAuth: true,
    lifetimeMs: 30 * DAY,
    key: ed25519,
    now: NOW,
    ...overrides,
  });
}

/** A body the coordinator's key really signed, but that createInvitation would never write. */
function signedBody(body: Record<string, unknown>, key = ed25519): SignedInvitation {
  const good = invite();
  const invitation = JSON.stringify({ ...JSON.parse(good.invitation), ...body });
  return { ...good, invitation, signature: sign(null, Buffer.from(invitation), key).toString('base64url') };
}

function refusal(input: string, now = NOW): InvitationError {
  try {
    openInvitation(input, now);
  } catch (error) {
    if (error instanceof InvitationError) return error;
    throw error;
  }
  throw new Error('the invitation was accepted');
}

describe('an invitation as the coordinator signs it', () => {
  it.each([
    ['Ed25519', () => ed25519, 'ed25519'],
    ['ECDSA P-256', () => p256, 'ecdsa-p256'],
  ] as const)('opens from its text form and its file form with %s, showing what the site will trust', (_name, key, algorithm) => {
    const signed = invite({ key: key() });
    const text = invitationText(signed);
    expect(text.startsWith(INVITATION_PREFIX)).toBe(true);
    expect(text).toMatch(/^[\w:-]+$/);
    const fromText = openInvitation(text, NOW);
    const fromFile = openInvitation(invitationJson(signed), NOW);
    expect(fromFile).toEqual(fromText);
    expect(fromText.view).toEqual({
      federation: 'Lung CT study',
      server: 'fl.example.org:9092',
      transport: 'grpc',
      caSha256: new X509Certificate(caPem).fingerprint256,
      caSubject: 'CN=Tributary test ca',
      caIncluded: true,
      nodeAuth: true,
      model: null,
      issuerAlgorithm: algorithm,
      issuerFingerprint: keyFingerprint(key()),
      issued: '2026-12-07T05:00:00.000Z',
      expires: '2027-01-06T05:00:00.000Z',
    });
    expect(fromText.body.ca.pem).toBe(new X509Certificate(caPem).toString());
  });

  it('opens text a mail client wrapped across lines, with spaces around it', () => {
    const text = invitationText(invite());
    const wrapped = `\n  ${text.match(/.{1,76}/g)!.join('\n')}\n`;
    expect(openInvitation(wrapped, NOW).view.server).toBe('fl.example.org:9092');
  });

  it('carries only the fingerprint when the server has a certificate from a public CA', () => {
    const sha256 = new X509Certificate(caPem).fingerprint256;
    const { view } = openInvitation(
      invitationText(invite({ ca: { sha256 }, transport: 'rest', server: 'https://fl.example.org:9095' })),
      NOW,
    );
    expect(view).toMatchObject({ caSha256: sha256, caIncluded: false, caSubject: null, transport: 'rest' });
  });

  it("names the federation's built-in architecture, and refuses one whose keys do not shape it", () => {
    expect(openInvitation(invitationText(invite({ model: { builtin: 'resnet', depth: 2 } })), NOW).view.model).toBe('resnet (depth 2)');
    expect(openInvitation(invitationText(invite({ model: { builtin: 'mlp' } })), NOW).view.model).toBe('mlp');
    expect(() => invite({ model: { builtin: 'resnet', alpha: 0.5 } })).toThrow('only `builtin: mobilenetv2` takes `alpha`');
    const signedOdd = signedBody({ model: { builtin: 'resnet', alpha: 0.5 } });
    expect(refusal(invitationText(signedOdd)).message).toContain('model.alpha: only `builtin: mobilenetv2` takes `alpha`');
    expect(refusal(invitationText(signedBody({ model: { path: '/etc/passwd' } }))).message).toContain('model');
  });

  it('refuses to sign what a site would refuse: an RSA key, an address the transport cannot use, a CA file that is not a CA', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => invite({ key: rsa })).toThrow('must be an Ed25519 or an EC P-256');
    expect(() => invite({ server: 'https://fl.example.org:9092' })).toThrow('gRPC address https://fl.example.org:9092');
    expect(() => invite({ ca: { pem: 'not a certificate' } })).toThrow('the CA file holds 0 certificates');
  });
});

describe('a bad invitation is refused, naming what is wrong', () => {
  it('a changed field under the original signature: tampered', () => {
    const good = invite();
    const changed = { ...good, invitation: good.invitation.replace('fl.example.org', 'evil.example.net') };
    const error = refusal(invitationText(changed));
    expect(error.problem).toBe('tampered');
    expect(error.message).toContain('changed after it was signed');
  });

  it('a signature from another key under the same issuer key: tampered', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = signedBody({ server: 'evil.example.net:9092' }, other);
    expect(refusal(invitationText(forged)).problem).toBe('tampered');
  });

  it('a whole invitation re-signed by someone else opens, but under another issuer fingerprint: the one thing the site must check', () => {
    const mallory = generateKeyPairSync('ed25519').privateKey;
    const { view } = openInvitation(invitationText(invite({ key: mallory, server: 'evil.example.net:9092' })), NOW);
    expect(view.issuerFingerprint).not.toBe(keyFingerprint(ed25519));
    expect(view.issuerFingerprint).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){15}$/);
  });

  it('an expired invitation, with the date and how long ago', () => {
    const error = refusal(invitationText(invite({ lifetimeMs: DAY })), new Date(NOW.getTime() + 3.5 * DAY));
    expect(error.problem).toBe('expired');
    expect(error.message).toBe('the invitation expired on 2026-12-08T05:00:00.000Z (2 days ago): ask the coordinator for a new one');
  });

  it('an invitation from the future: check the clock', () => {
    expect(refusal(invitationText(invite()), new Date(NOW.getTime() - DAY)).problem).toBe('not-yet-valid');
  });

  it('an unknown transport', () => {
    const error = refusal(invitationText(signedBody({ transport: 'quic' })));
    expect(error.problem).toBe('field');
    expect(error.message).toBe('unknown transport "quic": this Tributary speaks grpc or rest');
  });

  it('a missing field, named', () => {
    const body = JSON.parse(invite().invitation) as Record<string, unknown>;
    delete body.federation;
    const good = invite();
    const invitation = JSON.stringify(body);
    const error = refusal(
      invitationText({ ...good, invitation, signature: sign(null, Buffer.from(invitation), ed25519).toString('base64url') }),
    );
    expect(error.message).toMatch(/^the invitation's federation: /);
  });

  it.each([
    [
      'not a certificate',
      () => ({ pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }),
      'is not a readable certificate',
    ],
    ['a server certificate, not a CA', () => ({ pem: serverPem }), 'is not a CA certificate'],
    ['a CA other than the fingerprint', () => ({ sha256: new X509Certificate(otherPem).fingerprint256 }), 'not the '],
  ])('a bad CA certificate: %s', (_name, ca, message) => {
    const good = JSON.parse(invite().invitation) as { ca: { pem: string; sha256: string } };
    const error = refusal(invitationText(signedBody({ ca: { ...good.ca, ...ca() } })));
    expect(error.problem).toBe('certificate');
    expect(error.message).toContain(message);
  });

  it('an oversize invitation, before it is parsed', () => {
    const error = refusal(`${INVITATION_PREFIX}${'A'.repeat(MAX_INVITATION_BYTES)}`);
    expect(error.problem).toBe('oversize');
    expect(error.message).toContain(`at most ${MAX_INVITATION_BYTES} bytes`);
  });

  it('damaged or partly pasted text', () => {
    const text = invitationText(invite());
    expect(refusal(text.slice(0, text.length / 2)).problem).toBe('malformed');
    expect(refusal(`${text.slice(0, 40)}!${text.slice(41)}`).message).toContain('is not base64url');
    expect(refusal('hello').message).toContain('not an invitation');
  });
});

let serverPem: string;
let otherPem: string;
beforeAll(async () => {
  serverPem = await readFile(certs.certFile, 'utf8');
  otherPem = await readFile(certs.otherCaFile, 'utf8');
});
