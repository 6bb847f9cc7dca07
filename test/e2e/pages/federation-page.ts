// Page object (e2e): the Federation page: the federation section's fields and their problems, the node key and its actions,
// the party's controls and state, the audit table.
import type { Page } from 'playwright-core';

type FieldKey = 'server' | 'transport' | 'root_ca' | 'insecure';

const LABELS: Record<FieldKey, string> = {
  server: 'Aggregator address',
  transport: 'Transport',
  root_ca: 'CA file',
  insecure: 'Insecure (no TLS)',
};

export interface AuditRow {
  direction: string;
  message: string;
  round: string;
  arrays: string;
  bytes: string;
  /** The bytes cell's tooltip: what "reused" means, when the row has it. */
  bytesTitle: string;
  error: string;
}

type NodeKeyButton = 'Create node key' | 'Save public key' | 'Reset node key…' | 'Replace it';

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

  /** The Schedule and resource limits panel's line: open now, or when the next window opens. */
  scheduleNow() {
    return this.page.getByTestId('schedule-now');
  }

  /** The panel's last message declined for the schedule, with the reason the server was sent. */
  scheduleDeclined() {
    return this.page.getByTestId('schedule-declined');
  }

  async save(): Promise<void> {
    await this.page.getByRole('button', { name: 'Save', exact: true }).click();
    await this.page
      .getByRole('status')
      .filter({ hasText: /^Saved / })
      .waitFor();
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

  /** Resolves once the node key panel shows a fingerprint (a key created, or joined with). */
  async waitForFingerprint(): Promise<string> {
    await this.page
      .getByTestId('node-fingerprint')
      .filter({ hasText: /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/ })
      .waitFor();
    return this.fingerprint();
  }

  nodeKeyButton(name: NodeKeyButton) {
    return this.page.getByRole('region', { name: 'This node' }).getByRole('button', { name, exact: true });
  }

  /** The read-only public key boxes: OpenSSH's line (what the coordinator registers) and PEM. */
  publicKey(format: 'openssh' | 'pem') {
    return this.page.getByLabel(format === 'pem' ? 'The same public key as PEM' : /^Public key, as flwr supernode register reads it/);
  }

  /** What the last node key action did, or why it was refused. */
  nodeKeyOutcome() {
    return this.page.getByTestId('node-key-outcome');
  }

  resetDialog() {
    return this.page.getByRole('dialog', { name: 'Reset this node key?' });
  }

  log() {
    return this.page.getByRole('list', { name: 'Party log, newest first' });
  }

  async refreshAudit(): Promise<void> {
    await this.page.getByRole('region', { name: 'What left this site' }).getByRole('button', { name: 'Refresh' }).click();
  }

  /** The audit log the table reads, as the page names it. */
  auditLogPath(): Promise<string> {
    return this.page.getByRole('region', { name: 'What left this site' }).locator('p code').first().innerText();
  }

  /** The notice about audit lines that could not be read, or '' when there is none. */
  async auditWarning(): Promise<string> {
    const warning = this.page.getByRole('region', { name: 'What left this site' }).locator('.warning');
    return (await warning.count()) === 0 ? '' : (await warning.innerText()).replace(/\s+/g, ' ').trim();
  }

  /** The audit table's rows, newest first. */
  async auditRows(): Promise<AuditRow[]> {
    return this.page.locator('tr[data-direction]').evaluateAll((rows) =>
      rows.map((row) => {
        const cells = [...row.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? '');
        const bytesTitle = row.querySelectorAll('td')[5]?.getAttribute('title') ?? '';
        return {
          direction: row.getAttribute('data-direction') ?? '',
          message: cells[2] ?? '',
          round: cells[3] ?? '',
          arrays: cells[4] ?? '',
          bytes: cells[5] ?? '',
          bytesTitle,
          error: cells[7] ?? '',
        };
      }),
    );
  }
}
