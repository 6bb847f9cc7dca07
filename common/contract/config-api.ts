// Runs anywhere (the contract): open, validate and save a party's YAML config as text, every problem on its key and line.
import { z } from 'zod';
import { ConfigIssueSchema } from './config-issue.js';
import { event, method } from './define.js';

/**
 * Only YAML files, so that no caller (a compromised renderer included) can read or overwrite just any file through
 * these methods.
 */
export const ConfigFileSchema = z
  .string()
  .min(1)
  .max(4096)
  .regex(/\.ya?ml$/i, 'a party config is a .yaml or .yml file')
  .describe("path of a party config file; relative paths resolve against the services' working folder");

const ConfigTextSchema = z.string().max(1_000_000, 'a party config is at most 1 MB of text');

const ConfigCheckSchema = z.object({
  parsed: z.record(z.string(), z.unknown()).nullable().describe('the YAML as plain data, or null when it is not a YAML mapping'),
  valid: z.boolean().describe('no issues: the config can be scanned, previewed and trained'),
  issues: z.array(ConfigIssueSchema),
});
export type ConfigCheck = z.infer<typeof ConfigCheckSchema>;

const OpenedConfigSchema = ConfigCheckSchema.extend({
  file: z.string().describe('absolute path'),
  text: z.string(),
});

export const configMethods = {
  'config.open': method({
    summary: 'read a party config: its text, its YAML as data, and every problem with its key and line',
    args: z.object({ file: ConfigFileSchema }),
    result: OpenedConfigSchema,
  }),
  'config.validate': method({
    summary: 'check config text (unsaved edits) as if it were the file: relative paths resolve beside `file`',
    args: z.object({ file: ConfigFileSchema, text: ConfigTextSchema }),
    result: ConfigCheckSchema,
  }),
  'config.save': method({
    summary: "write config text atomically, refused (config-invalid) when it has problems; keeps the file's permissions",
    args: z.object({ file: ConfigFileSchema, text: ConfigTextSchema }),
    result: ConfigCheckSchema,
  }),
};

export const configEvents = {
  'config.opened': event({
    summary: 'a config was opened, by the UI or by the app (a menu, the command line): the UI shows it, main remembers it',
    payload: z.object({ file: z.string() }),
  }),
};
