// Page object (e2e): the Federation page's Task review panel: the task waiting for approval, Approve and Decline, and the runs decided.
import type { Page } from 'playwright-core';

export class TaskReviewPanel {
  constructor(readonly page: Page) {}

  region() {
    return this.page.getByRole('region', { name: 'Task review' });
  }

  /** The task waiting for approval (the panel's alert). */
  pending() {
    return this.region()
      .getByRole('alert')
      .filter({ hasText: /asks this site to/ });
  }

  /** Resolves with the waiting task's run id and its lines (label: text). */
  async waitForPending(): Promise<{ runId: string; lines: Record<string, string> }> {
    const pending = this.pending();
    await pending.waitFor({ timeout: 60_000 });
    const runId = (await pending.getAttribute('data-run')) ?? '';
    const lines = await pending.locator('dl').evaluate((list) => {
      const terms = [...list.querySelectorAll('dt')].map((term) => term.textContent?.trim() ?? '');
      const values = [...list.querySelectorAll('dd')].map((value) => value.textContent?.trim() ?? '');
      return Object.fromEntries(terms.map((term, index) => [term, values[index] ?? '']));
    });
    return { runId, lines };
  }

  button(name: 'Approve for this run' | 'Decline') {
    return this.region().getByRole('group', { name: 'Task review' }).getByRole('button', { name, exact: true });
  }

  reason() {
    return this.region().getByLabel(/^Reason, if you decline/);
  }

  /** The list item of a decided run, once it is there. */
  async waitForDecision(runId: string, decision: 'approved' | 'declined'): Promise<string> {
    const item = this.region().locator(`li[data-run="${runId}"][data-decision="${decision}"]`);
    await item.waitFor();
    return (await item.innerText()).replace(/\s+/g, ' ').trim();
  }
}
