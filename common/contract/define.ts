// Runs anywhere (the contract): how one method or one event is declared in the table.
import type { z } from 'zod';

/** A request the UI makes: its arguments and its result, each a zod schema, and one line saying what it does. */
export interface MethodSpec<A extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  args: A;
  result: R;
  summary: string;
}

/** Something the services tell the UI without being asked (progress, a state change). */
export interface EventSpec<P extends z.ZodType = z.ZodType> {
  payload: P;
  summary: string;
}

// Identity functions: they keep each entry's exact schema types, which the table's derived types depend on.
export const method = <A extends z.ZodType, R extends z.ZodType>(spec: MethodSpec<A, R>): MethodSpec<A, R> => spec;
export const event = <P extends z.ZodType>(spec: EventSpec<P>): EventSpec<P> => spec;
