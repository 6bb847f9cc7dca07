// Page object (e2e): the Federation page: the federation section's fields and their problems, the node key, the party's controls and state, the audit table.
import type { Page } from 'playwright-core';

type FieldKey = 'server' | 'transport' | 'root_ca' | 'insecure';

const LABELS: Record<FieldKey, string> = { server: 'Aggregator address', transport: 'Transport', root_ca: 'CA file', insecure: 'Insecure (no TLS)' };

export interface AuditRow {
  direction: string;
  message: string;
  round: string;
  arrays: string;
  error: string;
}

export class FederationPage {
  constructor(readonly page: Page) {}

  field(key: FieldKey) {
    return this.page.getByLabel(LABELS[key], { exact: true });
  }

  /** The problems shown beside a field are the list its control's aria-describedby names. */
  async waitForProblemBeside(key: FieldKey, text: string): Promise<void> {
    await this.page.locator(`[id="issues-federation.${key}"]`, { hasText: text }).waitFor();
  }

  async waitForNoProblemBeside(key: FieldKey): Promise<void> {
    await this.page.locator(`[id="issues-federation.${key}"]`).waitFor({ state: 'detached' });
  }

  insecureWarning() {
    return this.page.getByRole('note').filter({ hasText: 'No TLS.' });
  }

  async save(): Promise<void> {
    await this.page.getByRole('button', { name: 'Save', exact: true }).click();
    await this.page.getByRole('status').filter({ hasText: /^Saved / }).waitFor();
  }

  button(name: 'Join' | 'Pause' | 'Resume' | 'Leave after this task' | 'Leave now') {
    return this.page.getByRole('group', { name: 'Taking part' }).getByRole('button', { name, exact: true });
  }

  /** The party's status line: its stage (out, joining, joined, leaving) and phase (idle, training, paused ...). */
  status() {
    return this.page.locator('[data-stage][data-phase]');
  }

  async waitForStage(stage: 'out' | 'joined'): Promise<void> {
    await this.page.locator(`[data-stage="${stage}"]`).waitFor();
  }

  async waitForPhase(phase: string): Promise<void> {
    await this.page.locator(`[data-stage][data-phase="${phase}"]`).waitFor();
  }

  fingerprint(): Promise<string> {
    return this.page.getByTestId('node-fingerprint').innerText();
  }

  log() {
    return this.page.getByRole('list', { name: 'Party log, newest first' });
  }

  /** The audit table's rows, newest first. */
  async auditRows(): Promise<AuditRow[]> {
    return this.page.locator('tr[data-direction]').evaluateAll((rows) =>
      rows.map((row) => {
        const cells = [...row.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? '');
        return { direction: row.getAttribute('data-direction') ?? '', message: cells[2] ?? '', round: cells[3] ?? '', arrays: cells[4] ?? '', error: cells[7] ?? '' };
      }),
    );
  }
}
