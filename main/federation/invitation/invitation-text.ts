// Runs anywhere in main: an invitation's two forms, pasteable text (`tributary-invite:` + base64url JSON) and a JSON file, both read with a size bound first.
import { INVITATION_PREFIX, MAX_INVITATION_BYTES, SignedInvitationSchema, type SignedInvitation } from '../../../common/invitation.js';
import { InvitationError } from './invitation-error.js';

/** One line: nothing in it that an email client or a chat would reflow or re-quote. */
export function invitationText(signed: SignedInvitation): string {
  return `${INVITATION_PREFIX}${Buffer.from(JSON.stringify(signed), 'utf8').toString('base64url')}`;
}

/** The file form: the same document, readable, for a file handed over as it is. */
export function invitationJson(signed: SignedInvitation): string {
  return `${JSON.stringify(signed, null, 2)}\n`;
}

/**
 * Either form, as read from a file or pasted: surrounding spaces and line breaks inside the text form (a mail
 * client wrapped it) are dropped. Refuses more than MAX_INVITATION_BYTES before decoding anything.
 */
export function parseInvitationText(input: string): SignedInvitation {
  const size = Buffer.byteLength(input, 'utf8');
  if (size > MAX_INVITATION_BYTES)
    throw new InvitationError('oversize', `the invitation is ${size} bytes; an invitation is at most ${MAX_INVITATION_BYTES} bytes`);
  const text = input.trim();
  const json = text.startsWith(INVITATION_PREFIX) ? decodeTextForm(text.slice(INVITATION_PREFIX.length)) : text;
  if (!json.startsWith('{'))
    throw new InvitationError('malformed', `not an invitation: it starts neither with ${INVITATION_PREFIX} nor with a JSON document`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InvitationError('malformed', `the invitation is not valid JSON (${(error as Error).message}): it was cut short or damaged`);
  }
  const parsed = SignedInvitationSchema.safeParse(value);
  if (!parsed.success) throw new InvitationError('malformed', `the invitation's envelope: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

function decodeTextForm(encoded: string): string {
  const compact = encoded.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9_-]*$/.test(compact))
    throw new InvitationError(
      'malformed',
      `the text after ${INVITATION_PREFIX} is not base64url: it was damaged or only part of it was pasted`,
    );
  return Buffer.from(compact, 'base64url').toString('utf8');
}

/** `transport: Invalid option: expected one of "grpc"|"rest"`: each problem on the key it is about. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : '(the whole document)'}: ${issue.message}`)
    .join('; ');
}
