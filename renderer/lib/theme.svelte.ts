// Runs in the renderer: light, dark, or as the system says; the choice is remembered on this machine.
const THEMES = ['system', 'light', 'dark'] as const;
type Theme = (typeof THEMES)[number];

const KEY = 'tributary.theme';

class ThemeStore {
  choice = $state<Theme>(stored());

  constructor() {
    apply(this.choice);
  }

  next = (): void => {
    this.choice = THEMES[(THEMES.indexOf(this.choice) + 1) % THEMES.length]!;
    localStorage.setItem(KEY, this.choice);
    apply(this.choice);
  };
}

function stored(): Theme {
  const value = localStorage.getItem(KEY);
  return (THEMES as readonly string[]).includes(value ?? '') ? (value as Theme) : 'system';
}

/** The CSS reads `color-scheme` (light-dark() colours): `system` leaves it to prefers-color-scheme. */
function apply(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export const theme = new ThemeStore();
