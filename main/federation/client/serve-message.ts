// Runs in the party (plain Node): one message from the server, end to end: receive and check it, confirm, work or decline, reply, audit.
import type { MessageProto, Metadata, ObjectTree } from '../wire/proto/record-types.js';
import type { Message, OutgoingMessage, RecordDict } from '../wire/records/model.js';
import { auditEntry } from './audit-entry.js';
import type { AuditLog } from './audit-log.js';
import type { FleetClient } from './fleet-client.js';
import type { InHandFile } from './in-hand.js';
import type { ObjectCache } from './object-cache.js';
import type { PartyEvent, RoundOutcome, RoundSummary } from './party-events.js';
import { confirmReceived, receiveMessage } from './receive.js';
import { CLIENT_APP_CRASHED, CLIENT_APP_RAISED_EXCEPTION, MOD_FAILED_PRECONDITION, replyTo, sendReply } from './send.js';
import { readTask } from './task.js';
import { doWork, WorkAborted, type WorkContext } from './work.js';

export interface ServeContext {
  client: FleetClient;
  nodeId: bigint;
  /** Aborted when the node is lost or the party must stop at once. */
  signal: AbortSignal;
  maxBytes: number;
  /** The objects of the last message received, for the party's whole session: a repeated object is not pulled again. */
  cache: ObjectCache;
  audit: AuditLog;
  /** Where the message being served is noted until its reply is sent. */
  inHand: InHandFile;
  work: WorkContext;
  /** Why this site will not work on a message now (paused, leaving), or null to work. */
  declining: () => string | null;
  /** The operator asked to abort the task in hand. */
  stopRequested: () => boolean;
  emit: (event: PartyEvent) => void;
}

type Answer = { content: RecordDict; metrics: Record<string, number> } | { outcome: Exclude<RoundOutcome, 'replied'>; code: bigint; reason: string };

/** Never throws for the message's own faults (they become error replies); rejects only when the session's signal aborts. */
export async function serveMessage(proto: MessageProto, tree: ObjectTree, context: ServeContext): Promise<RoundSummary | null> {
  const started = performance.now();
  const metadata = proto.metadata;
  if (!metadata) {
    context.emit({ type: 'error', message: 'PullMessages returned a message without metadata; it cannot be answered and was skipped' });
    return null;
  }
  await context.inHand.save(context.nodeId, metadata);
  const answer = await answerFor(proto, tree, metadata, context);
  const round = roundOf(answer.message, metadata);
  const outgoing = replyTo(metadata, context.nodeId, 'content' in answer.answer ? { content: answer.answer.content } : { error: { code: answer.answer.code, reason: answer.answer.reason } });
  const pushError = await push(outgoing, (performance.now() - started) / 1000, context);
  await context.inHand.clear();
  const seconds = (performance.now() - started) / 1000;
  const summary = { messageType: metadata.messageType, runId: String(metadata.runId), round, group: metadata.groupId, seconds };
  if (pushError) return { ...summary, outcome: 'failed', metrics: {}, error: pushError };
  if ('content' in answer.answer) return { ...summary, outcome: 'replied', metrics: answer.answer.metrics, error: null };
  return { ...summary, outcome: answer.answer.outcome, metrics: {}, error: answer.answer.reason };
}

/**
 * The message this node was serving when the party stopped (killed, or cut off) gets an error reply, so its round
 * goes on without this site instead of waiting for the server's timeout. A note for another node id (the server
 * forgot its nodes) or an expired message is dropped.
 */
export async function answerInterrupted(context: ServeContext): Promise<void> {
  const held = await context.inHand.read();
  if (!held) return;
  const { metadata } = held;
  if (held.nodeId === context.nodeId && metadata.createdAt + metadata.ttl > Date.now() / 1000) {
    const reason = `this site stopped while serving "${metadata.messageType}" (message ${metadata.messageId})`;
    const failed = await push(replyTo(metadata, context.nodeId, { error: { code: CLIENT_APP_CRASHED, reason } }), 0, context);
    if (!failed) context.emit({ type: 'notice', message: `answered message ${metadata.messageId} ("${metadata.messageType}"), in hand when this site stopped, with an error: its round goes on without this site` });
  }
  await context.inHand.clear();
}

async function answerFor(proto: MessageProto, tree: ObjectTree, metadata: Metadata, context: ServeContext): Promise<{ message?: Message; answer: Answer }> {
  const { client, nodeId, signal, audit } = context;
  const declined = context.declining();
  if (declined !== null) {
    // Its objects are not fetched: a paused site should not pull a model it will not use.
    const reason = `this site declined "${metadata.messageType}": ${declined}`;
    await confirmReceived(client, nodeId, metadata.runId, metadata.messageId, signal);
    await audit.append(auditEntry({ direction: 'received', metadata, bytes: 0, error: reason }));
    return { answer: { outcome: 'declined', code: MOD_FAILED_PRECONDITION, reason } };
  }
  let message: Message;
  try {
    const received = await receiveMessage(client, nodeId, proto, tree, { signal, maxBytes: context.maxBytes, cache: context.cache });
    message = received.message;
    await confirmReceived(client, nodeId, metadata.runId, metadata.messageId, signal);
    const { bytes, cachedBytes } = received;
    await audit.append(auditEntry({ direction: 'received', metadata: message.metadata, content: message.content, bytes, cachedBytes }));
    if (received.refetched) context.emit({ type: 'notice', message: `message ${metadata.messageId}: objects held from an earlier message failed their check, so all were pulled again` });
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
    return await doWork(readTask(message), roundOf(message, message.metadata), context.work);
  } catch (error) {
    if (context.signal.aborted) throw error;
    if (error instanceof WorkAborted || context.stopRequested()) {
      return { outcome: 'aborted', code: MOD_FAILED_PRECONDITION, reason: `this site's operator stopped "${messageType}" before it finished` };
    }
    const refused = ['TaskRefused', 'ModelMismatchError', 'RoundConfigRefused'].includes((error as Error).name);
    const reason = `${refused ? 'refused' : 'failed'} "${messageType}" (message ${messageId}): ${(error as Error).message}`;
    context.emit({ type: 'error', message: reason });
    return { outcome: refused ? 'refused' : 'failed', code: CLIENT_APP_RAISED_EXCEPTION, reason };
  }
}

/** Pushes the reply and audits it; returns why it could not be pushed, or null. */
async function push(outgoing: OutgoingMessage, runtimeSec: number, context: ServeContext): Promise<string | null> {
  const { client, nodeId, signal, audit } = context;
  const error = outgoing.error ? `${outgoing.error.reason}` : null;
  try {
    const sent = await sendReply(client, nodeId, outgoing, runtimeSec, signal);
    await audit.append(auditEntry({ direction: 'sent', metadata: { ...outgoing.metadata, messageId: sent.messageId }, content: outgoing.content, bytes: sent.bytes, error }));
    return null;
  } catch (pushError) {
    if (signal.aborted) throw pushError;
    const reason = `the reply to message ${outgoing.metadata.replyToMessageId} could not be sent: ${(pushError as Error).message}`;
    await audit.append(auditEntry({ direction: 'sent', metadata: outgoing.metadata, content: outgoing.content, bytes: 0, error: `${error ? `${error}; ` : ''}${reason}` }));
    context.emit({ type: 'error', message: reason });
    return reason;
  }
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
