// Runs in the CLI process: a mistake in how a command was called, which `tributary` answers with exit code 2, like a bad config.
export class UsageError extends Error {
  override name = 'UsageError';
}
