// Runs in the services process (plain Node): what the contract says about a joined party: its node key, server, backend and model.
import path from 'node:path';
import type { PartyState, PartyStatus } from '../../common/contract/party-api.js';
import type { FederationSection } from '../../common/federation-config.js';
import type { OpenedInfo } from '../engine/train/protocol.js';
import type { TrainingProgress } from '../federation/client/party-events.js';

/** The facts of one joined party that stay put while it serves. */
export interface JoinedFacts {
  file: string;
  baseDir: string;
  section: FederationSection;
  info: OpenedInfo;
  auditLog: string;
}

type Facts = Pick<PartyStatus, 'file' | 'node' | 'federation' | 'backend' | 'model'>;

export const NO_FACTS: Omit<Facts, 'file'> = { node: null, federation: null, backend: null, model: null };

/** `fingerprint`: the node key's, once joining has loaded (or created) it. */
export function joinedFacts({ file, baseDir, section, info, auditLog }: JoinedFacts, fingerprint: string | null): Facts {
  const { backend, model, classNames, sampleShape, samples } = info;
  return {
    file,
    node: { keyFile: path.resolve(baseDir, section.key_file), fingerprint },
    federation: {
      server: section.server,
      transport: section.transport,
      insecure: section.insecure,
      rootCa: section.root_ca ?? null,
      auditLog,
    },
    backend: { name: backend.name, description: backend.description, ...(backend.warning && { warning: backend.warning }) },
    model: { name: model.name, parameters: model.parameters, classes: classNames.length, sampleShape, samples },
  };
}

/** The party's state as the contract carries it. */
export function contractState(state: PartyState): PartyState {
  return state.type === 'training' ? contractProgress(state) : state;
}

/** JSON and the contract have no NaN or Infinity: a rate over zero seconds, an ETA before the first batch, a diverged loss. */
export function contractProgress<P extends TrainingProgress>(progress: P): P {
  const { loss, acc, samplesPerSec, etaSec } = progress;
  return {
    ...progress,
    loss: finiteOr(loss, null),
    acc: finiteOr(acc, null),
    samplesPerSec: finiteOr(samplesPerSec, 0),
    etaSec: finiteOr(etaSec, 0),
  };
}

export function finiteOr<T extends number | null>(value: number | null, fallback: T): number | T {
  return value !== null && Number.isFinite(value) ? value : fallback;
}
