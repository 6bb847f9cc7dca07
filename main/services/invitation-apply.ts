// Runs in main (plain Node; the services and `tributary join`): applies an opened invitation to a party config: the CA written
// beside it and pinned, the `federation:` section filled in (comments and other keys kept), the federation's built-in architecture
// set in `model:`, the node key made if there is none.
import path from 'node:path';
import { isMap, parseDocument, type Document, type YAMLMap } from 'yaml';
import type { ResultIn } from '../../common/contract/contract.js';
import type { InvitationModel } from '../../common/invitation.js';
import { ARCHITECTURE_KEYS } from '../../common/model-config.js';
import { writeTextAtomically } from '../config/atomic-write.js';
import { ConfigError } from '../config/errors.js';
import { fsProblem } from '../config/fs-problem.js';
import { loadPartyConfig } from '../config/party-config.js';
import { readConfigText } from '../config/yaml-config.js';
import type { OpenedInvitation } from '../federation/invitation/invitation.js';
import { checkConfigText } from './config-text.js';
import { nodeKeyOf } from './node-key.js';
import { createNodeKey } from './node-key-actions.js';
import type { NodeKeyStorage } from './node-key-storage.js';

export type AppliedInvitation = ResultIn<'party.applyInvitation'>;

/**
 * Only the keys the invitation speaks for change; the site's own (key_file, bounds, intervals, audit_log, and the
 * model's optimizer, loss and freeze) stay. A config whose federation or model section the invitation would make
 * invalid is left as it was.
 */
export async function applyInvitation(file: string, opened: OpenedInvitation, storage: NodeKeyStorage): Promise<AppliedInvitation> {
  const absolute = path.resolve(file);
  const { body, view } = opened;
  const doc = parseDocument(await readConfigText(absolute));
  if (doc.errors.length)
    throw new ConfigError({
      file: absolute,
      key: '',
      problem: `the config does not parse as YAML (${doc.errors[0]!.message}): fix it first`,
    });
  const caFile = body.ca.pem === undefined ? null : path.join(path.dirname(absolute), caFileName(body.ca.sha256));
  fillFederation(doc, {
    server: body.server,
    transport: body.transport,
    root_ca: caFile && path.basename(caFile),
    ca_sha256: body.ca.sha256,
    register: !body.node_auth,
  });
  const model = body.model ? fillModel(doc, body.model) : null;
  const text = doc.toString();
  const federationIssues = (await checkConfigText(text, absolute)).issues.filter((issue) =>
    ['federation', 'model'].some((section) => issue.key === section || issue.key.startsWith(`${section}.`)),
  );
  if (federationIssues.length)
    throw new ConfigError(
      federationIssues.map((issue) => ({ ...issue, file: absolute })) as [ConfigError['issues'][number], ...ConfigError['issues']],
    );
  if (caFile !== null) await write(caFile, body.ca.pem!, 'the CA certificate');
  await write(absolute, text, 'the config');
  const loaded = await loadPartyConfig(absolute);
  const before = await nodeKeyOf(loaded, storage);
  const keyCreated = before.fingerprint === null && before.problem === null;
  const nodeKey = keyCreated ? await createNodeKey(loaded, storage) : before;
  return { file: absolute, invitation: view, caFile, keyCreated, model, nodeKey };
}

/** Named by the CA's fingerprint: a second federation's CA in the same folder never lands on the first one's file. */
export function caFileName(sha256: string): string {
  return `federation-ca-${sha256.replaceAll(':', '').slice(0, 16).toLowerCase()}.pem`;
}

function fillFederation(doc: Document, values: Record<string, string | boolean | null>): void {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as YAMLMap;
  if (!doc.has('federation') || !isMap(doc.get('federation', true))) doc.set('federation', doc.createNode({}));
  for (const [key, value] of Object.entries(values)) {
    if (value === null) doc.deleteIn(['federation', key]);
    else doc.setIn(['federation', key], value);
  }
  // An invitation always means TLS to the pinned CA.
  doc.deleteIn(['federation', 'insecure']);
}

/**
 * The invitation's architecture in `model:`: a built-in in place of any other built-in or model.json, its shaping keys as
 * the invitation gives them (a key it leaves out takes the built-in's default, as at the aggregator).
 */
function fillModel(doc: Document, model: InvitationModel): NonNullable<AppliedInvitation['model']> {
  const wanted: Record<string, unknown> = { builtin: model.builtin };
  for (const key of Object.keys(ARCHITECTURE_KEYS)) wanted[key] = model[key as keyof InvitationModel];
  if (!doc.has('model') || !isMap(doc.get('model', true))) {
    doc.set('model', doc.createNode(Object.fromEntries(Object.entries(wanted).filter(([, value]) => value !== undefined))));
    return 'added';
  }
  const same =
    doc.getIn(['model', 'path']) === undefined && Object.entries(wanted).every(([key, value]) => doc.getIn(['model', key]) === value);
  if (same) return 'unchanged';
  doc.deleteIn(['model', 'path']);
  for (const [key, value] of Object.entries(wanted)) {
    if (value === undefined) doc.deleteIn(['model', key]);
    else doc.setIn(['model', key], value);
  }
  return 'changed';
}

async function write(file: string, text: string, what: string): Promise<void> {
  await writeTextAtomically(file, text).catch((error: unknown) => {
    throw new Error(`cannot write ${what} to ${file}: ${fsProblem(error)}`, { cause: error });
  });
}
