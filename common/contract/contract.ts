// Runs anywhere (the contract): the one table of methods and events between the UI and the services, and its types.
import type { z } from 'zod';
import { appEvents, appMethods } from './app-api.js';
import { configEvents, configMethods } from './config-api.js';
import { datasetEvents, datasetMethods } from './dataset-api.js';
import type { EventSpec, MethodSpec } from './define.js';
import { evaluationEvents, evaluationMethods } from './evaluation-api.js';
import { invitationMethods } from './invitation-api.js';
import { partyEvents, partyMethods } from './party-api.js';
import { reviewEvents, reviewMethods } from './review-api.js';
import { siteMethods } from './site-api.js';
import type { Envelope } from './envelope.js';

/** Names are `area.verb`: the area groups the UI's API (`api.config.open`), the verb names the task. */
type EntryName = `${string}.${string}`;

export const methods = {
  ...appMethods,
  ...configMethods,
  ...datasetMethods,
  ...partyMethods,
  ...invitationMethods,
  ...siteMethods,
  ...evaluationMethods,
  ...reviewMethods,
} satisfies Record<EntryName, MethodSpec>;
export const events = {
  ...appEvents,
  ...configEvents,
  ...datasetEvents,
  ...partyEvents,
  ...evaluationEvents,
  ...reviewEvents,
} satisfies Record<EntryName, EventSpec>;

type Methods = typeof methods;
type Events = typeof events;
export type MethodName = keyof Methods & EntryName;
export type EventName = keyof Events & EntryName;

/** What a caller passes (defaults may be left out) and what a handler receives (defaults filled in). */
export type ArgsIn<M extends MethodName> = z.input<Methods[M]['args']>;
export type ArgsOf<M extends MethodName> = z.output<Methods[M]['args']>;
/** What a handler returns and what a caller receives. */
export type ResultIn<M extends MethodName> = z.input<Methods[M]['result']>;
export type ResultOf<M extends MethodName> = z.output<Methods[M]['result']>;
export type PayloadIn<E extends EventName> = z.input<Events[E]['payload']>;
export type PayloadOf<E extends EventName> = z.output<Events[E]['payload']>;

export const METHOD_NAMES = Object.freeze(Object.keys(methods)) as readonly MethodName[];
export const EVENT_NAMES = Object.freeze(Object.keys(events)) as readonly EventName[];

/** One handler per method, typed: a service host that misses or misnames one does not compile. */
export type MethodHandlers = { [M in MethodName]: (args: ArgsOf<M>) => Promise<ResultIn<M>> };

export type Unsubscribe = () => void;

type AreaOf<N> = N extends `${infer Area}.${string}` ? Area : never;
type VerbOf<N> = N extends `${string}.${infer Verb}` ? Verb : never;
type Area = AreaOf<MethodName | EventName>;

/** A method without required arguments may be called with none: `api.app.info()`. */
type Caller<M extends MethodName> =
  Record<string, never> extends ArgsIn<M>
    ? (args?: ArgsIn<M>) => Promise<Envelope<ResultOf<M>>>
    : (args: ArgsIn<M>) => Promise<Envelope<ResultOf<M>>>;

/** `config.open` becomes `config.open(args)`, `dataset.scanProgress` becomes `dataset.onScanProgress(listener)`. */
type AreaApi<A extends Area> = { [M in MethodName as AreaOf<M> extends A ? VerbOf<M> : never]: Caller<M> } & {
  [E in EventName as AreaOf<E> extends A ? `on${Capitalize<VerbOf<E>>}` : never]: (
    listener: (payload: PayloadOf<E>) => void,
  ) => Unsubscribe;
};

/** The API the renderer sees as `window.tributary` (desktop) or over the console's WebSocket (browser). */
export type TributaryApi = { [A in Area]: AreaApi<A> };

export function splitName(name: MethodName | EventName): [area: Area, verb: string] {
  const dot = name.indexOf('.');
  return [name.slice(0, dot) as Area, name.slice(dot + 1)];
}
