// Runs in the party (plain Node): one message from the server, end to end: receive and check it, confirm, work or decline, reply, audit.
import type { PrivacyAudit } from '../privacy/site-privacy.js';
import type { MessageLimits } from '../wire/limits.js';
import { deflateMessage } from '../wire/objects/deflate.js';
import type { MessageProto, Metadata, ObjectTree } from '../wire/proto/record-types.js';
import type { Message, OutgoingMessage, RecordDict } from '../wire/records/model.js';
import { auditEntry } from './audit-entry.js';
import type { AuditLog } from './audit-log.js';
import type { FleetClient } from './fleet-client.js';
import type { InHandFile } from './in-hand.js';
import type { ObjectCache } from './object-cache.js';
import type { PartyEvent, RoundOutcome, RoundSummary } from './party-events.js';
import { confirmReceived, receiveMessage } from './receive.js';
import type { Instruction, Unserved } from './pulled.js';
import { CLIENT_APP_CRASHED, CLIENT_APP_RAISED_EXCEPTION, MOD_FAILED_PRECONDITION, ReplyNotStored, replyTo, sendReply } from './send.js';
import type { SecAggPlusClient } from '../secagg/client.js';
import { isSecAggMessage, secAggWork } from './secagg-work.js';
import { readTask } from './task.js';
import { TaskNotApproved } from './task-review.js';
import { doWork, PrivacyDeclined, WorkAborted, type WorkContext } from './work.js';

export interface ServeContext {
  client: FleetClient;
  nodeId: bigint;
  /** Aborted when the node is lost or the party must stop at once. */
  signal: AbortSignal;
  /** What one message may hold. */
  limits: MessageLimits;
  /** The objects of the last message received, for the party's whole session: a repeated object is not pulled again. */
  cache: ObjectCache;
  audit: AuditLog;
  /** Where the message being served is noted until its reply is sent. */
  inHand: InHandFile;
  work: WorkContext;
  /** This node's SecAgg+ state, kept from one stage's message to the next. */
  secagg: SecAggPlusClient;
  /** Why this site will not work on a message now (paused, leaving, outside its schedule), or null to work. */
  declining: (metadata: Metadata) => string | null;
  /** The operator asked to abort the task in hand. */
  stopRequested: () => boolean;
  emit: (event: PartyEvent) => void;
}

type Answer =
  | { content: RecordDict; metrics: Record<string, number>; privacy?: PrivacyAudit | null }
  | { outcome: Exclude<RoundOutcome, 'replied'>; code: bigint; reason: string };

/** Never throws for the message's own faults (they become error replies); rejects only when the session's signal aborts. */
export async function serveMessage(proto: Instruction, tree: ObjectTree, context: ServeContext): Promise<RoundSummary> {
  const started = performance.now();
  const { metadata } = proto;
  await context.inHand.save(context.nodeId, metadata);
  const answer = await answerFor(proto, tree, metadata, context);
  const outgoing = replyTo(
    metadata,
    context.nodeId,
    'content' in answer.answer ? { content: answer.answer.content } : { error: { code: answer.answer.code, reason: answer.answer.reason } },
  );
  const outcome = 'content' in answer.answer ? 'replied' : answer.answer.outcome;
  const privacy = 'content' in answer.answer ? answer.answer.privacy : undefined;
  const pushed = await push(outgoing, (performance.now() - started) / 1000, context, outcome, privacy);
  await context.inHand.clear();
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    messageType: metadata.messageType,
    runId: String(metadata.runId),
    round: roundOf(answer.message, metadata),
    group: metadata.groupId,
    seconds,
  };
  if (pushed.error) return { ...summary, outcome: 'failed', metrics: {}, error: notSent(metadata, pushed.error, context) };
  if ('content' in answer.answer) return { ...summary, outcome: 'replied', metrics: answer.answer.metrics, error: null };
  return { ...summary, outcome: answer.answer.outcome, metrics: {}, error: answer.answer.reason };
}

/**
 * A message that is not served, or an answer to PullMessages that held none to serve, is audited with why; one whose
 * ids are known is confirmed and answered with an error, so its round goes on without this site.
 */
export async function refuseUnserved({ metadata, reason }: Unserved, context: ServeContext): Promise<RoundSummary | null> {
  const { client, nodeId, signal, audit } = context;
  context.emit({ type: 'error', message: reason });
  await audit.append(auditEntry({ direction: 'received', metadata: metadata ?? {}, bytes: 0, error: reason }));
  if (!metadata) return null;
  const started = performance.now();
  await confirmReceived(client, nodeId, metadata.runId, metadata.messageId, signal).catch(() => {});
  const pushed = await push(replyTo(metadata, nodeId, { error: { code: CLIENT_APP_RAISED_EXCEPTION, reason } }), 0, context, 'refused');
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    messageType: metadata.messageType,
    runId: String(metadata.runId),
    round: roundOf(undefined, metadata),
    group: metadata.groupId,
    seconds,
    metrics: {},
  };
  return pushed.error
    ? { ...summary, outcome: 'failed', error: notSent(metadata, pushed.error, context) }
    : { ...summary, outcome: 'refused', error: reason };
}

/**
 * The message this node was serving when the party stopped (killed, or cut off) gets an error reply, so its round
 * goes on without this site instead of waiting for the server's timeout. A note for another node id (the server
 * forgot its nodes) or an expired message is dropped; a reply the server does not take means it had written the
 * message off already (Flower counts a node gone that long as failed), which is what the reply was for.
 */
export async function answerInterrupted(context: ServeContext): Promise<void> {
  const held = await context.inHand.read();
  if (!held) return;
  const { metadata } = held;
  if (held.nodeId === context.nodeId && metadata.createdAt + metadata.ttl > Date.now() / 1000) {
    const reason = `this site stopped while serving "${metadata.messageType}" (message ${metadata.messageId})`;
    const pushed = await push(replyTo(metadata, context.nodeId, { error: { code: CLIENT_APP_CRASHED, reason } }), 0, context, 'failed');
    const which = `message ${metadata.messageId} ("${metadata.messageType}"), in hand when this site stopped,`;
    if (!pushed.error) context.emit({ type: 'notice', message: `answered ${which} with an error: its round goes on without this site` });
    else if (pushed.notStored) context.emit({ type: 'notice', message: `${which} needs no answer: the server no longer wanted one` });
    else notSent(metadata, pushed.error, context);
  }
  await context.inHand.clear();
}

async function answerFor(
  proto: MessageProto,
  tree: ObjectTree,
  metadata: Metadata,
  context: ServeContext,
): Promise<{ message?: Message; answer: Answer }> {
  const { client, nodeId, signal, audit } = context;
  const declined = context.declining(metadata) ?? (await context.work.review?.declinedRun(String(metadata.runId))) ?? null;
  if (declined !== null) {
    // Its objects are not fetched: a paused site should not pull a model it will not use.
    const reason = `this site declined "${metadata.messageType}": ${declined}`;
    await confirmReceived(client, nodeId, metadata.runId, metadata.messageId, signal);
    await audit.append(auditEntry({ direction: 'received', metadata, bytes: 0, error: reason }));
    return { answer: { outcome: 'declined', code: MOD_FAILED_PRECONDITION, reason } };
  }
  let message: Message;
  try {
    const received = await receiveMessage(client, nodeId, proto, tree, { signal, limits: context.limits, cache: context.cache });
    message = received.message;
    await confirmReceived(client, nodeId, metadata.runId, metadata.messageId, signal);
    const { bytes, cachedBytes } = received;
    await audit.append(auditEntry({ direction: 'received', metadata: message.metadata, content: message.content, bytes, cachedBytes }));
    if (received.refetched)
      context.emit({
        type: 'notice',
        message: `message ${metadata.messageId}: objects held from an earlier message failed their check, so all were pulled again`,
      });
  } catch (error) {
    if (signal.aborted) throw error;
    const reason = `message ${metadata.messageId} ("${metadata.messageType}") refused: ${(error as Error).message}`;
    await confirmReceived(client, nodeId, metadata.runId, metadata.messageId, signal).catch(() => {});
    await audit.append(auditEntry({ direction: 'received', metadata, bytes: 0, error: reason }));
    context.emit({ type: 'error', message: reason });
    return { answer: { outcome: 'refused', code: CLIENT_APP_RAISED_EXCEPTION, reason } };
  }
  return { message, answer: await work(message, context) };
}

async function work(message: Message, context: ServeContext): Promise<Answer> {
  const { messageType, messageId } = message.metadata;
  try {
    const round = { round: roundOf(message, message.metadata), runId: String(message.metadata.runId), metadata: message.metadata };
    if (isSecAggMessage(message)) return await secAggWork(message, context.nodeId, round, context.work, context.secagg);
    return await doWork(readTask(message), round, context.work);
  } catch (error) {
    if (context.signal.aborted) throw error;
    if (error instanceof PrivacyDeclined || error instanceof TaskNotApproved) {
      const reason = `this site declined "${messageType}": ${error.message}`;
      context.emit({ type: 'notice', message: reason });
      return { outcome: 'declined', code: MOD_FAILED_PRECONDITION, reason };
    }
    if (error instanceof WorkAborted || context.stopRequested()) {
      return {
        outcome: 'aborted',
        code: MOD_FAILED_PRECONDITION,
        reason: `this site's operator stopped "${messageType}" before it finished`,
      };
    }
    const refused = ['TaskRefused', 'ModelMismatchError', 'RoundConfigRefused', 'ServerClippingRefused', 'SecAggError'].includes(
      (error as Error).name,
    );
    const reason = `${refused ? 'refused' : 'failed'} "${messageType}" (message ${messageId}): ${(error as Error).message}`;
    context.emit({ type: 'error', message: reason });
    return { outcome: refused ? 'refused' : 'failed', code: CLIENT_APP_RAISED_EXCEPTION, reason };
  }
}

type Pushed = { error: null } | { error: string; notStored: boolean };

/**
 * Pushes the reply and audits it as sent, under its own id whether or not the server took it, with what became of the
 * message it answers (`outcome`, or failed when the reply was not taken): the history reads it back after a restart.
 */
async function push(
  outgoing: OutgoingMessage,
  runtimeSec: number,
  context: ServeContext,
  outcome: RoundOutcome,
  privacy?: PrivacyAudit | null,
): Promise<Pushed> {
  const { client, nodeId, signal, audit } = context;
  const deflated = deflateMessage(outgoing);
  const carried = outgoing.error?.reason ?? null;
  const sentLine = (bytes: number, error: string | null, as: RoundOutcome) =>
    auditEntry({ direction: 'sent', metadata: deflated.message.metadata!, content: outgoing.content, bytes, error, outcome: as, privacy });
  try {
    await audit.append(sentLine(await sendReply(client, nodeId, deflated, runtimeSec, signal), carried, outcome));
    return { error: null };
  } catch (pushError) {
    if (signal.aborted) throw pushError;
    const why = (pushError as Error).message;
    await audit.append(sentLine(0, `${carried ? `${carried}; ` : ''}not taken: ${why}`, 'failed'));
    return { error: why, notStored: pushError instanceof ReplyNotStored };
  }
}

/** Says that the reply to `metadata` could not be sent, and returns it as the round's error. */
function notSent(metadata: Metadata, why: string, context: ServeContext): string {
  const reason = `the reply to message ${metadata.messageId} could not be sent: ${why}`;
  context.emit({ type: 'error', message: reason });
  return reason;
}

/** FedAvg's "server-round", else the group id when it is a number (FedAvg puts the round there too). */
function roundOf(message: Message | undefined, metadata: Metadata): number | null {
  for (const record of message?.content?.values() ?? []) {
    if (record.kind !== 'config') continue;
    const value = record.items.get('server-round') ?? record.items.get('server_round');
    if (typeof value === 'bigint' || typeof value === 'number') return Number(value);
  }
  return /^\d+$/.test(metadata.groupId) ? Number(metadata.groupId) : null;
}
