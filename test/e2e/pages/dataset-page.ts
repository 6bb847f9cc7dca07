// Page object (e2e): the Dataset page: the data section's fields and their problems, the YAML view, save, scan and its report.
import type { Page } from 'playwright-core';

export class DatasetPage {
  constructor(readonly page: Page) {}

  /** The form control of a config key, labelled in words with the key in small print (`Batch size batch_size`); or the Handler picker. */
  field(key: string) {
    return key === 'Handler'
      ? this.page.getByLabel(key, { exact: true })
      : this.page.getByLabel(new RegExp(` ${key}$`)).and(this.page.locator('input, select, textarea'));
  }

  /** The problems shown beside a field are the list its input's aria-describedby names. */
  async waitForProblemBeside(key: string, text: string): Promise<void> {
    await this.page.locator(`[id="issues-${key}"]`, { hasText: text }).waitFor();
  }

  async waitForNoProblemBeside(key: string): Promise<void> {
    await this.page.locator(`[id="issues-${key}"]`).waitFor({ state: 'detached' });
  }

  yamlText(): Promise<string> {
    return this.page.getByLabel('Config YAML').inputValue();
  }

  yamlProblems() {
    return this.page.getByRole('list', { name: 'Problems in the config' });
  }

  async save(): Promise<void> {
    await this.page.getByRole('button', { name: 'Save', exact: true }).click();
    await this.page
      .getByRole('status')
      .filter({ hasText: /^Saved / })
      .waitFor();
  }

  scanButton() {
    return this.page.getByRole('button', { name: /^Scan/ });
  }

  async scan(): Promise<void> {
    await this.scanButton().click();
    await this.split('train').waitFor();
  }

  split(name: 'train' | 'test') {
    return this.page.getByRole('region', { name, exact: true });
  }

  /** "samples" -> "1,000": the counts at the top of a split's report. */
  async counts(name: 'train' | 'test'): Promise<Record<string, string>> {
    const terms = await this.split(name).locator('dl dt').allInnerTexts();
    const values = await this.split(name).locator('dl dd').allInnerTexts();
    return Object.fromEntries(terms.map((term, i) => [term, values[i]!]));
  }

  /** The histogram's bars: class name and the count written beside the bar. */
  async histogram(name: 'train' | 'test'): Promise<{ name: string; count: number }[]> {
    const bars = this.split(name).locator('svg g[data-class]');
    const names = await bars.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-class') ?? ''));
    const counts = await bars.locator('text.count').allTextContents();
    return names.map((n, i) => ({ name: n, count: Number(counts[i]) }));
  }
}
