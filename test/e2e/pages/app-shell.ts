// Page object (e2e): the app shell: pages reached by keyboard, the theme button, the open config's name.
import type { Page } from 'playwright-core';

const PAGES = ['Dataset', 'Preview', 'Federation', 'Training'] as const;

export class AppShell {
  constructor(readonly page: Page) {}

  /** Alt+1 Dataset, Alt+2 Preview, Alt+3 Federation, Alt+4 Training: the way a keyboard user moves between pages. */
  async goTo(page: 'Dataset' | 'Preview' | 'Federation' | 'Training'): Promise<void> {
    await this.page.keyboard.press(`Alt+${PAGES.indexOf(page) + 1}`);
    await this.page.getByRole('heading', { level: 1, name: page }).waitFor();
  }

  /** What has keyboard focus, as a person would name it: its tag and text. */
  focused(): Promise<string> {
    return this.page.evaluate(() => `${document.activeElement?.tagName.toLowerCase()}: ${document.activeElement?.textContent?.trim()}`);
  }

  /** The party's state in the header, on every page: its words, and the detail its tooltip gives. */
  async partyBadge(): Promise<{ title: string; detail: string }> {
    const badge = this.page.getByRole('link', { name: /^Federation: / });
    return { title: (await badge.innerText()).trim(), detail: (await badge.getAttribute('title')) ?? '' };
  }

  navLinks() {
    return this.page.getByRole('navigation', { name: 'Pages' }).getByRole('link');
  }

  async theme(): Promise<string | null> {
    return this.page.locator('html').getAttribute('data-theme');
  }

  /** Steps the theme button until the page is in `theme`. */
  async useTheme(theme: 'light' | 'dark'): Promise<void> {
    for (let press = 0; press < 3 && (await this.theme()) !== theme; press++)
      await this.page.getByRole('button', { name: /^Theme:/ }).click();
  }
}
