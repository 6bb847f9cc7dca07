// Runs anywhere (the contract): a new site from a folder: its layout recognised, its scan, and its party.yaml written.
import { z } from 'zod';
import { ConfigFileSchema } from './config-api.js';
import { SplitScanSchema } from './dataset-api.js';
import { method } from './define.js';

const FolderSchema = z.string().min(1).max(4096).describe("a data folder; relative paths resolve against the services' working folder");

const ProposalSchema = z.object({
  folder: z.string().describe('absolute path'),
  handler: z.string().describe('the built-in handler chosen'),
  info: z.record(z.string(), z.unknown()).describe('its `info` as proposed, paths absolute'),
  why: z.string().describe('why that handler'),
  considered: z.array(z.object({ handler: z.string(), why: z.string() })).describe('every other built-in, and why not'),
  sampled: z.string().describe('how much of the folder was read to decide: a bounded sample'),
  file: z.string().describe('where the config goes by default: party.yaml in the folder'),
  exists: z.boolean().describe('a file is there already (it is never replaced unless asked)'),
  text: z.string().describe('party.yaml as it would be written there, with a comment on each key'),
});

export const siteMethods = {
  'site.recognise': method({
    summary: "recognise a data folder's layout (a bounded look) and propose the handler with its fields filled, as party.yaml text",
    args: z.object({ folder: FolderSchema }),
    result: ProposalSchema,
  }),
  'site.scan': method({
    summary: 'scan the proposed config of a folder before it is written (dataset.scanProgress events name the proposed file)',
    args: z.object({ folder: FolderSchema }),
    result: z.object({ file: z.string(), splits: z.array(SplitScanSchema) }),
  }),
  'site.create': method({
    summary: 'write the proposed config of a folder to `file`, its paths relative to it; an existing file is kept unless `replace`',
    args: z.object({ folder: FolderSchema, file: ConfigFileSchema, replace: z.boolean().default(false) }),
    result: z.object({ file: z.string().describe('absolute path'), text: z.string() }),
  }),
};
