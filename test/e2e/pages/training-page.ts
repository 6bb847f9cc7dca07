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
    return this.page
      .locator(`svg[data-chart="${chart}"] path[data-points]`)
      .evaluateAll((paths) => paths.reduce((sum, p) => sum + Number(p.getAttribute('data-points')), 0));
  }

  /** A chart's axis titles, as the page writes them under and beside it. */
  async axisTitles(chart: string): Promise<{ x: string; y: string }> {
    const svg = this.page.locator(`svg[data-chart="${chart}"]`);
    return {
      x: (await svg.locator('text[data-axis="x"]').textContent()) ?? '',
      y: (await svg.locator('text[data-axis="y"]').textContent()) ?? '',
    };
  }

  /** The numbers under a chart's x axis. */
  async xTicks(chart: string): Promise<number[]> {
    return (await this.page.locator(`svg[data-chart="${chart}"] text[data-x-tick]`).allTextContents()).map(Number);
  }

  /**
   * From now on, every time the page changes, compares the status line's "Epoch a of b, batch c of d" with the
   * epoch bar's "Epoch a of b: batch c of d"; `statusChecks` says how often both were there and what differed.
   */
  async watchStatusAgainstBar(): Promise<void> {
    await this.page.evaluate(() => {
      const seen = { compared: 0, differed: [] as string[] };
      (window as unknown as { statusChecks: typeof seen }).statusChecks = seen;
      new MutationObserver(() => {
        const line = /Epoch (\d+) of (\d+), batch (\d+) of (\d+)/.exec(
          document.querySelector('[data-testid="status-line"]')?.textContent ?? '',
        );
        const bar = /Epoch (\d+) of (\d+): batch (\d+) of (\d+)/.exec(
          document.querySelector('[data-testid="epoch-bar"]')?.textContent ?? '',
        );
        if (!line || !bar) return;
        seen.compared++;
        if (line.slice(1).join() !== bar.slice(1).join()) seen.differed.push(`${line[0]} | ${bar[0]}`);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }

  statusChecks(): Promise<{ compared: number; differed: string[] }> {
    return this.page.evaluate(() => (window as unknown as { statusChecks: { compared: number; differed: string[] } }).statusChecks);
  }

  /** Waits until the chart shows more than `count` points. */
  async waitForChartPoints(chart: string, count: number): Promise<number> {
    await this.page.waitForFunction(
      ([id, n]) =>
        [...document.querySelectorAll(`svg[data-chart="${id}"] path[data-points]`)].reduce(
          (sum, p) => sum + Number(p.getAttribute('data-points')),
          0,
        ) > n,
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
        const outcomes = [...row.querySelectorAll('td')]
          .filter((cell) => cell.classList.contains('outcome') || cell.colSpan === 5)
          .map((cell) => cell.textContent?.trim() ?? '');
        return { round: row.getAttribute('data-round') ?? '', train: outcomes[0] ?? '', evaluate: outcomes[1] ?? '' };
      }),
    );
  }

  /** Why a round's training has the outcome it has, as its outcome cell's tooltip gives it ('' when it says nothing). */
  async trainingReason(round: number): Promise<string> {
    return (await this.page.locator(`tr[data-round="${round}"] td.outcome`).first().getAttribute('title')) ?? '';
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
