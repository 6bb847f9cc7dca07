// Runs in the renderer: what the node key panel offers (create, save the public key, reset), why an action must wait, and its outcomes in words.
import type { ResultOf } from '../../../common/contract/contract.js';
import type { NodeKey, PartyStage } from '../../../common/contract/party-api.js';

export interface NodeKeyActions {
  /** No key yet: one can be made now, before joining. */
  create: boolean;
  /** A usable key: its public half can be written beside the config. */
  savePublicKey: boolean;
  /** A key is there, usable or not: it can be deleted. */
  reset: boolean;
  /** Why create or reset is offered but cannot run now; null when they can. */
  blocker: string | null;
}

interface PanelState {
  nodeKey: NodeKey | null;
  stage: PartyStage;
  /** The editor holds changes the file does not: key_file may be about to change. */
  dirty: boolean;
}

/** The actions the services would accept now: a button that would be refused is disabled, with the reason beside it. */
export function nodeKeyActions({ nodeKey, stage, dirty }: PanelState): NodeKeyActions {
  const named = nodeKey !== null && nodeKey.keyFile !== null;
  const present = nodeKey !== null && (nodeKey.fingerprint !== null || nodeKey.problem !== null);
  const blocker =
    stage !== 'out'
      ? 'The party is in a federation and its node uses this key: leave first to create or reset it.'
      : dirty
        ? 'Save your changes first: the key is named by the saved config.'
        : null;
  return { create: named && !present, savePublicKey: nodeKey !== null && nodeKey.publicKeySsh !== null, reset: present, blocker };
}

export interface Outcome {
  tone: 'success' | 'warning' | 'error';
  text: string;
}

/** A file already there and different is left alone: the operator decides whether it goes (offerReplace). */
export function savedPublicKeyWords({ publicKeyFile, outcome }: ResultOf<'party.savePublicKey'>): Outcome & { offerReplace: boolean } {
  switch (outcome) {
    case 'written':
      return {
        tone: 'success',
        text: `Saved to ${publicKeyFile}. Send it to the coordinator, and the fingerprint by another channel.`,
        offerReplace: false,
      };
    case 'replaced':
      return { tone: 'success', text: `Replaced ${publicKeyFile} with this key's public key.`, offerReplace: false };
    case 'unchanged':
      return { tone: 'success', text: `${publicKeyFile} already holds this public key.`, offerReplace: false };
    case 'kept':
      return {
        tone: 'warning',
        text: `${publicKeyFile} already exists and holds something else (the public key of an earlier node key?). It was left as it is.`,
        offerReplace: true,
      };
  }
}

/** Where the key goes when it is deleted, for the confirmation: the operator should know which copy disappears. */
export function keptWhere(nodeKey: NodeKey): string {
  return nodeKey.storage === 'keychain' ? "sealed by this computer's keychain" : `in the key file ${nodeKey.keyFile ?? ''}`;
}

/** What resetting means, sentence by sentence, for the confirmation; `register` is the config's `federation.register`. */
export function resetConsequences(nodeKey: NodeKey, register: boolean): string[] {
  const which = nodeKey.fingerprint === null ? 'The node key, which cannot be used,' : `Node key ${nodeKey.fingerprint}`;
  return [
    `${which} is deleted (${keptWhere(nodeKey)}). This cannot be undone.`,
    'The next join makes a new key: the server will know this site as a new node, not as the one it was.',
    register
      ? 'This federation registers nodes as they join (register: true), so the new node registers itself.'
      : 'This federation registers node keys itself (register: false): the coordinator must register the new public key before this site can join again.',
    ...(nodeKey.publicKeySsh !== null && nodeKey.publicKeyFile !== null
      ? [`If ${nodeKey.publicKeyFile} holds this key's public key, it is deleted too.`]
      : []),
  ];
}
