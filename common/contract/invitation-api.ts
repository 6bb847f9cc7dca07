// Runs anywhere (the contract): open an invitation to a federation (see what it asks the site to trust), then apply it to a party config.
import { z } from 'zod';
import { InvitationViewSchema, MAX_INVITATION_BYTES } from '../invitation.js';
import { ConfigFileSchema } from './config-api.js';
import { method } from './define.js';
import { NodeKeySchema } from './party-api.js';

/** Room above the invitation's own bound, so that an oversize paste reaches the service and is refused there in plain words. */
const InvitationTextSchema = z
  .string()
  .min(1, 'paste the invitation, or open its file')
  .max(4 * MAX_INVITATION_BYTES)
  .describe('the invitation as pasted text (`tributary-invite:…`) or the contents of its file');

export const invitationMethods = {
  'party.openInvitation': method({
    summary: 'check an invitation (size, signature, expiry, fields, CA certificate) and say what applying it would trust; changes nothing',
    args: z.object({ text: InvitationTextSchema }),
    result: InvitationViewSchema,
  }),
  'party.applyInvitation': method({
    summary:
      "check the invitation again, write its CA beside the config and pin it, fill the config's `federation:` section (and the " +
      "model's architecture, when it names one) from it, and create the node key if there is none; refused while the party is in a federation",
    args: z.object({ file: ConfigFileSchema, text: InvitationTextSchema }),
    result: z.object({
      file: z.string().describe('the config written (absolute)'),
      invitation: InvitationViewSchema,
      caFile: z
        .string()
        .nullable()
        .describe('the CA certificate written beside the config; null when the invitation pins a fingerprint only'),
      keyCreated: z.boolean().describe('a node key was made now; false: the config already had one'),
      model: z
        .enum(['added', 'changed', 'unchanged'])
        .nullable()
        .describe(
          "what became of the config's `model:`: the invitation's architecture added, put in place of another, or already there; null: it names none",
        ),
      nodeKey: NodeKeySchema,
    }),
  }),
};
