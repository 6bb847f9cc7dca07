// Runs anywhere in main: the one error opening an invitation gives, with the reason as a word a caller (the UI, a test) can tell apart.

export type InvitationProblem = 'oversize' | 'malformed' | 'tampered' | 'expired' | 'not-yet-valid' | 'field' | 'certificate' | 'issuer';

export class InvitationError extends Error {
  override readonly name = 'InvitationError';
  readonly problem: InvitationProblem;

  constructor(problem: InvitationProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}
