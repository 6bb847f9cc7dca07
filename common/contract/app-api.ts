// Runs anywhere (the contract): what the app is and how its services are doing.
import { z } from 'zod';
import { event, method } from './define.js';

const SERVICES_STATES = ['starting', 'ready', 'restarting', 'stopped', 'failed'] as const;
export type ServicesState = (typeof SERVICES_STATES)[number];

export const appMethods = {
  'app.info': method({
    summary: "the app's version and the configs this session knows: the one it started with, and recent ones",
    args: z.object({}),
    result: z.object({
      version: z.string(),
      startConfig: z.string().nullable().describe("the config to show first (the command line's, or the last one opened)"),
      recentConfigs: z.array(z.string()).describe('most recent first'),
    }),
  }),
};

export const appEvents = {
  'app.servicesState': event({
    summary: 'the services process started, crashed and is restarting, stopped, or gave up after repeated crashes',
    payload: z.object({ state: z.enum(SERVICES_STATES), detail: z.string().optional() }),
  }),
};
