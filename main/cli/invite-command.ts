// Runs in the CLI process: `tributary invite` (the coordinator signs an invitation) and `tributary join` (a site applies one to its config).
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { InvitationModel, InvitationView } from '../../common/invitation.js';
import { InvitationModelSchema, MAX_INVITATION_BYTES } from '../../common/invitation.js';
import { createInvitation, keyFingerprint, openInvitation } from '../federation/invitation/invitation.js';
import { describeIssues, invitationJson, invitationText } from '../federation/invitation/invitation-text.js';
import { applyInvitation } from '../services/invitation-apply.js';
import { KEY_FILES } from '../services/node-key-storage.js';
import { UsageError } from './usage-error.js';

export const INVITE_USAGE = `  tributary invite --server HOST:PORT|https://HOST:PORT [--transport grpc|rest] --ca ca.pem|--ca-sha256 AB:CD:…
      --name NAME [--node-auth] [--model resnet[:depth=2,width=32]] [--expires 30d] --key coordinator.key
      --out invite.txt|invite.json
      sign an invitation to the federation with the coordinator's key (Ed25519 or EC P-256 PEM): the site
      that opens it pins the CA, and takes --model (a built-in) if its config names none.
      invite.txt is one pasteable line, invite.json the same document as JSON`;

export const JOIN_USAGE = `  tributary join --config party.yaml --invite invite.txt
      open an invitation, show what it trusts, and apply it: the CA written beside the config and pinned,
      the federation: section filled in, the node key made; prints the public key to send back`;

const KEY_FILE_BYTES = 16 * 1024;
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export interface InvitationFlags {
  server: string;
  transport: 'grpc' | 'rest';
  ca: { pem: string } | { sha256: string };
  name: string;
  nodeAuth: boolean;
  model?: InvitationModel;
  expires: string;
  keyFile: string;
  out: string;
}

export async function inviteCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      transport: { type: 'string', default: 'grpc' },
      ca: { type: 'string' },
      'ca-sha256': { type: 'string' },
      name: { type: 'string' },
      'node-auth': { type: 'boolean', default: false },
      model: { type: 'string' },
      expires: { type: 'string', default: '30d' },
      key: { type: 'string' },
      out: { type: 'string' },
    },
  });
  for (const flag of ['server', 'name', 'key', 'out'] as const) if (!values[flag]) throw new UsageError(`--${flag} is required`);
  if (values.transport !== 'grpc' && values.transport !== 'rest') throw new UsageError(`--transport ${values.transport}: grpc or rest`);
  if ((values.ca === undefined) === (values['ca-sha256'] === undefined))
    throw new UsageError('give --ca ca.pem or --ca-sha256 AB:CD:…, one of them');
  const ca =
    values.ca !== undefined
      ? { pem: await readBounded(values.ca, 64 * 1024, 'the CA file') }
      : { sha256: values['ca-sha256']!.toUpperCase() };
  const written = await writeInvitation({
    server: values.server!,
    transport: values.transport,
    ca,
    name: values.name!,
    nodeAuth: values['node-auth'],
    ...(values.model !== undefined && { model: modelFlag(values.model) }),
    expires: values.expires,
    keyFile: values.key!,
    out: values.out!,
  });
  console.log(written);
  return 0;
}

/** Signs and writes the invitation (JSON when `out` ends in .json, else the text form); returns what to tell the coordinator. */
export async function writeInvitation(flags: InvitationFlags): Promise<string> {
  const key = await coordinatorKey(flags.keyFile);
  const signed = createInvitation({
    federation: flags.name,
    server: flags.server,
    transport: flags.transport,
    ca: flags.ca,
    nodeAuth: flags.nodeAuth,
    ...(flags.model && { model: flags.model }),
    lifetimeMs: lifetime(flags.expires),
    key,
  });
  await writeFile(flags.out, flags.out.endsWith('.json') ? invitationJson(signed) : `${invitationText(signed)}\n`);
  const { view } = openInvitation(invitationText(signed));
  return (
    `invitation to ${view.federation} written to ${flags.out} (expires ${view.expires})\n${describeView(view)}\n` +
    'Tell each site this issuer fingerprint over a second channel (a phone call): it is how they know the invitation is yours'
  );
}

/** `resnet:depth=2,width=32`: a built-in and the keys that shape it, checked as a site checks them on opening. */
export function modelFlag(text: string): InvitationModel {
  const [builtin, keys = ''] = text.split(':', 2);
  const pairs = keys
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=', 2).map((part) => part.trim()));
  const parsed = InvitationModelSchema.safeParse({ builtin, ...Object.fromEntries(pairs.map(([key, value]) => [key, Number(value)])) });
  if (!parsed.success) throw new UsageError(`--model ${text}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

export async function joinCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, invite: { type: 'string' } } });
  if (!values.config) throw new UsageError('--config is required');
  if (!values.invite) throw new UsageError('--invite is required: the invitation file the coordinator sent');
  const opened = openInvitation(await readBounded(values.invite, MAX_INVITATION_BYTES, 'the invitation'));
  console.log(`${describeView(opened.view)}\nCheck the issuer fingerprint with the coordinator before the first join.`);
  const applied = await applyInvitation(values.config, opened, KEY_FILES);
  const key = applied.nodeKey;
  console.log(
    `applied to ${applied.file}${applied.caFile ? `; CA written to ${applied.caFile}` : ''}; CA ${opened.view.caSha256} pinned\n` +
      `node key ${key.fingerprint} (${applied.keyCreated ? 'created' : 'kept'}: ${key.keyFile})\n` +
      (applied.model ? `model ${opened.view.model} (${applied.model} in the config)\n` : '') +
      `public key to send back to the coordinator${opened.view.nodeAuth ? ' (it registers it before your first join)' : ''}:\n${key.publicKeySsh}`,
  );
  return 0;
}

export function describeView(view: InvitationView): string {
  return [
    `  federation   ${view.federation}`,
    `  server       ${view.server} (${view.transport})`,
    `  CA           ${view.caSha256}${view.caSubject ? ` (${view.caSubject})` : ' (fingerprint only: a CA this computer already trusts)'}`,
    `  node auth    ${view.nodeAuth ? 'yes: the coordinator registers each node key first' : 'no: nodes register themselves'}`,
    `  model        ${view.model ?? "not named: the site's config names it"}`,
    `  issuer       ${view.issuerFingerprint} (${view.issuerAlgorithm})`,
    `  expires      ${view.expires}`,
  ].join('\n');
}

async function coordinatorKey(file: string): Promise<KeyObject> {
  const pem = await readBounded(file, KEY_FILE_BYTES, 'the coordinator key');
  try {
    const key = createPrivateKey(pem);
    keyFingerprint(key);
    return key;
  } catch (error) {
    throw new UsageError(`--key ${file}: not a PEM private key: ${(error as Error).message}`);
  }
}

/** `30d`, `12h`, `90m`: how long the invitation may be opened. */
function lifetime(text: string): number {
  const match = /^(\d+)([mhd])$/.exec(text);
  const ms = match ? Number(match[1]) * UNITS[match[2]!]! : NaN;
  if (!(ms > 0) || ms > 366 * UNITS.d!)
    throw new UsageError(`--expires ${text}: give minutes, hours or days, e.g. 90m, 12h, 30d (at most 366d)`);
  return ms;
}

/** Read no more than `limit` bytes: a file from elsewhere is bounded before it is read. */
async function readBounded(file: string, limit: number, what: string): Promise<string> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  });
  try {
    const { size } = await handle.stat();
    if (size > limit) throw new UsageError(`${what} ${file} is ${size} bytes; at most ${limit}`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
