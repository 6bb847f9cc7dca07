// Runs anywhere in main: signs an invitation with the coordinator's key (Ed25519 or ECDSA P-256, node:crypto) and opens one:
// signature, expiry, fields and the CA certificate checked, each failure named.
import { createHash, createPublicKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { fleetAddressProblem } from '../../../common/fleet-address.js';
import {
  describeInvitationModel,
  InvitationBodySchema,
  type InvitationBody,
  type InvitationModel,
  type InvitationView,
  type SignedInvitation,
} from '../../../common/invitation.js';
import { InvitationError } from './invitation-error.js';
import { describeIssues, parseInvitationText } from './invitation-text.js';

/** A clock a few minutes ahead at the coordinator must not make a fresh invitation unusable. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface InvitationRequest {
  federation: string;
  server: string;
  transport: 'grpc' | 'rest';
  /** The CA certificate (PEM), carried whole; or only its fingerprint, for a server whose certificate a public CA signed. */
  ca: { pem: string } | { sha256: string };
  nodeAuth: boolean;
  /** The built-in architecture the federation trains, for sites whose config names none. */
  model?: InvitationModel;
  lifetimeMs: number;
  /** The coordinator's private key: Ed25519, or EC P-256. */
  key: KeyObject;
  now?: Date;
}

export interface OpenedInvitation {
  body: InvitationBody;
  view: InvitationView;
}

/** Refuses what a site would refuse on opening, so a coordinator never sends an invitation that cannot be used. */
export function createInvitation(request: InvitationRequest): SignedInvitation {
  const algorithm = issuerAlgorithm(request.key);
  if (!algorithm) throw new Error('the coordinator key must be an Ed25519 or an EC P-256 (prime256v1) private key');
  const addressProblem = fleetAddressProblem(request.transport, request.server, false);
  if (addressProblem) throw new Error(addressProblem);
  const now = request.now ?? new Date();
  const ca = 'pem' in request.ca ? caOf(request.ca.pem, now) : { sha256: request.ca.sha256 };
  const body: InvitationBody = {
    version: 1,
    federation: request.federation,
    server: request.server,
    transport: request.transport,
    ca,
    node_auth: request.nodeAuth,
    ...(request.model && { model: request.model }),
    issued: now.toISOString(),
    expires: new Date(now.getTime() + request.lifetimeMs).toISOString(),
  };
  const invitation = JSON.stringify(InvitationBodySchema.parse(body));
  const publicKey = createPublicKey(request.key).export({ type: 'spki', format: 'pem' }).toString();
  const signature = sign(algorithm === 'ed25519' ? null : 'sha256', Buffer.from(invitation, 'utf8'), request.key);
  return { invitation, issuer: { algorithm, public_key: publicKey }, signature: signature.toString('base64url') };
}

/** Either form of an invitation, checked in the order that names the real problem: size, envelope, signature, fields, expiry, CA. */
export function openInvitation(input: string, now = new Date()): OpenedInvitation {
  const signed = parseInvitationText(input);
  const issuerKey = issuerPublicKey(signed);
  const signature = Buffer.from(signed.signature, 'base64url');
  const digest = signed.issuer.algorithm === 'ed25519' ? null : 'sha256';
  if (!verify(digest, Buffer.from(signed.invitation, 'utf8'), issuerKey, signature))
    throw new InvitationError(
      'tampered',
      "the invitation's signature does not match its content: it was changed after it was signed, or damaged on the way",
    );
  const body = bodyOf(signed.invitation);
  checkDates(body, now);
  const addressProblem = fleetAddressProblem(body.transport, body.server, false);
  if (addressProblem) throw new InvitationError('field', `the invitation's server: ${addressProblem}`);
  const caSubject = body.ca.pem === undefined ? null : checkedCa(body.ca.pem, body.ca.sha256, now);
  const view: InvitationView = {
    federation: body.federation,
    server: body.server,
    transport: body.transport,
    caSha256: body.ca.sha256,
    caSubject,
    caIncluded: body.ca.pem !== undefined,
    nodeAuth: body.node_auth,
    model: body.model ? describeInvitationModel(body.model) : null,
    issuerAlgorithm: signed.issuer.algorithm,
    issuerFingerprint: keyFingerprint(issuerKey),
    issued: body.issued,
    expires: body.expires,
  };
  return { body, view };
}

/** SHA-256 of the public key's DER SubjectPublicKeyInfo in groups of four, to read out over the phone. */
export function keyFingerprint(key: KeyObject): string {
  const der = (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').match(/.{4}/g)!.join('-');
}

function issuerAlgorithm(key: KeyObject): SignedInvitation['issuer']['algorithm'] | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  return undefined;
}

function issuerPublicKey(signed: SignedInvitation): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: signed.issuer.public_key, format: 'pem' });
  } catch (error) {
    throw new InvitationError('issuer', `the issuer's public key is not a PEM public key: ${(error as Error).message}`);
  }
  if (issuerAlgorithm(key) !== signed.issuer.algorithm)
    throw new InvitationError('issuer', `the issuer's public key is not an ${signed.issuer.algorithm} key, as the invitation says it is`);
  return key;
}

function bodyOf(json: string): InvitationBody {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InvitationError('malformed', `the signed content is not JSON: ${(error as Error).message}`);
  }
  const transport = (value as { transport?: unknown } | null)?.transport;
  if (typeof transport === 'string' && transport !== 'grpc' && transport !== 'rest')
    throw new InvitationError('field', `unknown transport ${JSON.stringify(transport)}: this Tributary speaks grpc or rest`);
  const parsed = InvitationBodySchema.safeParse(value);
  if (!parsed.success) throw new InvitationError('field', `the invitation's ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

function checkDates(body: InvitationBody, now: Date): void {
  const expires = Date.parse(body.expires);
  if (now.getTime() >= expires) {
    const days = Math.floor((now.getTime() - expires) / 86_400_000);
    throw new InvitationError(
      'expired',
      `the invitation expired on ${body.expires}${days ? ` (${days} day${days === 1 ? '' : 's'} ago)` : ''}: ask the coordinator for a new one`,
    );
  }
  if (Date.parse(body.issued) > now.getTime() + CLOCK_SKEW_MS)
    throw new InvitationError(
      'not-yet-valid',
      `the invitation says it was issued on ${body.issued}, after this computer's time: check this computer's clock`,
    );
}

/** The CA the coordinator carries: exactly one certificate, a CA, in date, and the one its fingerprint names. Returns its subject. */
function checkedCa(pem: string, sha256: string, now: Date): string {
  const fail = (message: string) => new InvitationError('certificate', `the CA certificate in the invitation ${message}`);
  const certificate = parseCertificate(pem, fail);
  caProblems(certificate, now, fail);
  if (certificate.fingerprint256 !== sha256)
    throw fail(`has fingerprint ${certificate.fingerprint256}, not the ${sha256} the invitation pins`);
  return oneLine(certificate.subject);
}

function caOf(pem: string, now: Date): { pem: string; sha256: string } {
  const certificate = parseCertificate(pem, (message) => new Error(`the CA file ${message}`));
  caProblems(certificate, now, (message) => new Error(`the CA file ${message}`));
  return { pem: certificate.toString(), sha256: certificate.fingerprint256 };
}

function parseCertificate(pem: string, fail: (message: string) => Error): X509Certificate {
  const count = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (count !== 1) throw fail(`holds ${count} certificates: give the one CA certificate that signed the server's`);
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw fail(`is not a readable certificate: ${(error as Error).message}`);
  }
}

function caProblems(certificate: X509Certificate, now: Date, fail: (message: string) => Error): void {
  if (!certificate.ca)
    throw fail(`(${oneLine(certificate.subject)}) is not a CA certificate: give the CA that signed the server's certificate`);
  if (Date.parse(certificate.validTo) <= now.getTime()) throw fail(`(${oneLine(certificate.subject)}) expired on ${certificate.validTo}`);
}

function oneLine(subject: string): string {
  return subject.split('\n').join(', ');
}
