// Page object (e2e): the Preview page: the grid of samples (image, label, source), the class filter, reshuffle.
import type { Page } from 'playwright-core';

export interface ShownSample {
  label: string;
  source: string;
  src: string;
  /** The decoded image's width: 0 when the browser could not show it. */
  naturalWidth: number;
}

export class PreviewPage {
  constructor(readonly page: Page) {}

  grid() {
    return this.page.getByRole('list', { name: 'Samples' });
  }

  /** Waits until the grid shows `count` loaded images, then reads them. */
  async samples(count: number): Promise<ShownSample[]> {
    await this.page.waitForFunction((n) => {
      const images = [...document.querySelectorAll('ul[aria-label="Samples"] img')] as HTMLImageElement[];
      return images.length === n && images.every((img) => img.complete && img.naturalWidth > 0);
    }, count);
    return this.grid()
      .getByRole('figure')
      .evaluateAll((figures) =>
        figures.map((figure) => ({
          label: figure.querySelector('.label')?.textContent ?? '',
          source: figure.querySelector('.source')?.getAttribute('title') ?? '',
          src: figure.querySelector('img')?.getAttribute('src') ?? '',
          naturalWidth: (figure.querySelector('img') as HTMLImageElement | null)?.naturalWidth ?? 0,
        })),
      );
  }

  /** Chooses a class and waits until every sample shown is of it. */
  async filterClass(name: string): Promise<void> {
    await this.page.getByLabel('Class', { exact: true }).selectOption(name);
    await this.page.waitForFunction(
      (label) => [...document.querySelectorAll('ul[aria-label="Samples"] .label')].every((shown) => shown.textContent === label),
      name,
    );
  }

  classOptions(): Promise<string[]> {
    return this.page.getByLabel('Class', { exact: true }).locator('option').allTextContents();
  }

  /** Draws with a new seed and waits until the grid shows other samples than `shown`. */
  async reshuffle(shown: ShownSample[]): Promise<void> {
    await this.page.getByRole('button', { name: 'Reshuffle' }).click();
    await this.page.waitForFunction(
      (old) => {
        const now = [...document.querySelectorAll('ul[aria-label="Samples"] .source')].map((source) => source.getAttribute('title'));
        return now.length === old.length && now.join() !== old.join();
      },
      shown.map((s) => s.source),
    );
  }
}
