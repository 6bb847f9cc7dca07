// Runs in the CLI process: `tributary aggregator --invite FILE`: the invitation to the aggregator just started, written once it listens.
import { readFile } from 'node:fs/promises';
import type { InvitationModel } from '../../common/invitation.js';
import { ARCHITECTURE_KEYS } from '../../common/model-config.js';
import type { AggregatorAddresses } from '../federation/server/aggregator.js';
import type { AggregatorConfig } from '../federation/server/config.js';
import { writeInvitation } from './invite-command.js';
import { UsageError } from './usage-error.js';

export const AGGREGATOR_INVITE_USAGE = `      [--invite invite.txt --invite-key coordinator.key --invite-ca ca.pem [--invite-server HOST:PORT]
       [--invite-name NAME] [--invite-expires 30d]]`;

export const AGGREGATOR_INVITE_OPTIONS = {
  invite: { type: 'string' as const },
  'invite-key': { type: 'string' as const },
  'invite-ca': { type: 'string' as const },
  'invite-server': { type: 'string' as const },
  'invite-name': { type: 'string' as const },
  'invite-expires': { type: 'string' as const },
};

type InviteValues = { [K in keyof typeof AGGREGATOR_INVITE_OPTIONS]?: string | boolean };

/** Bad invitation flags are bad usage, found before the aggregator starts listening. */
export function checkInviteFlags(values: InviteValues, config: AggregatorConfig): void {
  if (values.invite === undefined) {
    const stray = Object.keys(AGGREGATOR_INVITE_OPTIONS).find(
      (flag) => flag !== 'invite' && values[flag as keyof InviteValues] !== undefined,
    );
    if (stray) throw new UsageError(`--${stray} needs --invite FILE`);
    return;
  }
  if (config.insecure) throw new UsageError('--invite: an invitation pins the CA of a TLS server; this aggregator is --insecure');
  if (typeof values['invite-key'] !== 'string') throw new UsageError("--invite needs --invite-key, the coordinator's key that signs it");
  if (typeof values['invite-ca'] !== 'string') throw new UsageError('--invite needs --invite-ca, the CA that signed --tls-cert');
}

/**
 * The address the aggregator is bound to, unless it listens on every interface: then the sites' name for it is
 * --invite-server's to say. gRPC when it serves gRPC, else REST.
 */
export async function writeAggregatorInvitation(
  values: InviteValues,
  addresses: AggregatorAddresses,
  model?: InvitationModel,
): Promise<string | undefined> {
  if (typeof values.invite !== 'string') return undefined;
  const transport = addresses.grpc ? 'grpc' : 'rest';
  const bound = (addresses.grpc ?? addresses.rest)!;
  const given = typeof values['invite-server'] === 'string' ? values['invite-server'] : undefined;
  if (!given && /^(0\.0\.0\.0|\[::\]|::):/.test(bound))
    throw new UsageError(`--invite: the aggregator listens on ${bound}, every interface: give --invite-server with the name the sites use`);
  const host = given ?? bound;
  return writeInvitation({
    server: transport === 'rest' && !host.includes('://') ? `https://${host}` : host,
    transport,
    ca: { pem: await readFile(values['invite-ca'] as string, 'utf8') },
    name: typeof values['invite-name'] === 'string' ? values['invite-name'] : `reference aggregator at ${host}`,
    nodeAuth: false,
    ...(model && { model }),
    expires: typeof values['invite-expires'] === 'string' ? values['invite-expires'] : '30d',
    keyFile: values['invite-key'] as string,
    out: values.invite,
  });
}

/** The aggregator's architecture as an invitation names it: a built-in with its shaping keys; a model.json is each site's to have. */
export function invitationModelOf(model: AggregatorConfig['model']): InvitationModel | undefined {
  if (model.builtin === undefined) return undefined;
  const keys = (Object.keys(ARCHITECTURE_KEYS) as (keyof typeof ARCHITECTURE_KEYS)[]).filter((key) => model[key] !== undefined);
  return { builtin: model.builtin, ...Object.fromEntries(keys.map((key) => [key, model[key]])) };
}
