// Page object (e2e): the Training page: round and phase, the charts' points, the table of past rounds.
import type { Page } from 'playwright-core';

export interface RoundRow {
  round: string;
  /** Outcome of the round's training and of its evaluation, '—' when there was none. */
  train: string;
  evaluate: string;
}

export class TrainingPage {
  constructor(readonly page: Page) {}

  phase(): Promise<string | null> {
    return this.page.getByTestId('phase').getAttribute('data-phase');
  }

  /** Points drawn in a chart, over its series: `batch-loss`, `epoch-acc`, `round-loss` ... */
  chartPoints(chart: string): Promise<number> {
    return this.page.locator(`svg[data-chart="${chart}"] path[data-points]`).evaluateAll((paths) => paths.reduce((sum, p) => sum + Number(p.getAttribute('data-points')), 0));
  }

  /** Waits until the chart shows more than `count` points. */
  async waitForChartPoints(chart: string, count: number): Promise<number> {
    await this.page.waitForFunction(
      ([id, n]) => [...document.querySelectorAll(`svg[data-chart="${id}"] path[data-points]`)].reduce((sum, p) => sum + Number(p.getAttribute('data-points')), 0) > n,
      [chart, count] as const,
    );
    return this.chartPoints(chart);
  }

  /** The federation runs the picker offers, newest first, as it names them. */
  runs(): Promise<string[]> {
    return this.page.getByLabel('Federation run').locator('option').allInnerTexts();
  }

  /** The run the charts and the rounds table show. */
  async shownRun(): Promise<string | null> {
    return this.page.getByRole('table', { name: 'Past rounds, newest first' }).getAttribute('data-run');
  }

  async pickRun(runId: string): Promise<void> {
    await this.page.getByLabel('Federation run').selectOption(runId);
    await this.page.locator(`table[data-run="${runId}"]`).waitFor();
  }

  /** Waits until the picker offers `count` runs. */
  async waitForRuns(count: number): Promise<string[]> {
    await this.page.waitForFunction((n) => document.querySelectorAll('#run-picker option').length === n, count, { timeout: 90_000 });
    return this.runs();
  }

  /** The rounds table, newest first. */
  async rounds(): Promise<RoundRow[]> {
    return this.page.locator('tr[data-round]').evaluateAll((rows) =>
      rows.map((row) => {
        const outcomes = [...row.querySelectorAll('td')].filter((cell) => cell.classList.contains('outcome') || cell.colSpan === 5).map((cell) => cell.textContent?.trim() ?? '');
        return { round: row.getAttribute('data-round') ?? '', train: outcomes[0] ?? '', evaluate: outcomes[1] ?? '' };
      }),
    );
  }

  /** Waits until some round's training has the outcome (replied, declined ...), after round `after` when given. */
  async waitForTraining(outcome: string, after = 0): Promise<string> {
    const handle = await this.page.waitForFunction(
      ([wanted, min]) => {
        for (const row of document.querySelectorAll('tr[data-round]')) {
          const round = Number(row.getAttribute('data-round'));
          if (round > min && row.querySelector('td')?.textContent?.trim() === wanted) return String(round);
        }
        return null;
      },
      [outcome, after] as const,
      { timeout: 60_000 },
    );
    return (await handle.jsonValue()) as string;
  }
}
