// Runs in the renderer: the party's status as every page reads it, kept current between the services' announcements by each training batch.
import type { PayloadOf } from '../../../common/contract/contract.js';
import type { PartyStatus } from '../../../common/contract/party-api.js';

export type BatchProgress = Extract<PayloadOf<'party.progress'>, { kind: 'batch' }>;

/**
 * The services announce the status when the state changes, not on every batch (party.progress carries those). A
 * status line reading the status beside a bar reading the batches said "Epoch 1 of 5, batch 1 of 32" over a bar at
 * epoch 3, batch 23: so each batch updates the training state, and both read the one status.
 */
export function withBatch(status: PartyStatus, { kind: _kind, memory: _memory, ...progress }: BatchProgress): PartyStatus {
  if (status.state.type !== 'training' || status.state.runId !== progress.runId || status.state.round !== progress.round) return status;
  return { ...status, state: { type: 'training', ...progress } };
}
