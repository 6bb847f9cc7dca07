// Runs anywhere (the contract): one problem in a party config, placed on its key and line, as every surface shows it.
import { z } from 'zod';

export const ConfigIssueSchema = z.object({
  key: z.string().describe('dotted key at fault, e.g. `data.info.batch_size`; empty when the file as a whole is at fault'),
  line: z.number().int().positive().optional().describe('1-based line in the YAML text, where the key (or its nearest ancestor) is'),
  problem: z.string().describe('what is wrong, in words a site operator can act on'),
  module: z.string().optional().describe('the data handler module involved, when there is one'),
});
export type ConfigIssue = z.infer<typeof ConfigIssueSchema>;
