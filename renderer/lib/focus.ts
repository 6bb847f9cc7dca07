// Runs in the renderer: where keyboard focus goes when a page replaces the one that held it.

/**
 * An attachment for a page's heading (`tabindex="-1"`): when the element that had focus went away with the old
 * page (after Alt+2, say), focus lands on the new page's heading, where a screen reader announces it, not on <body>.
 */
export function takeLostFocus(heading: HTMLElement): void {
  if (document.activeElement === null || document.activeElement === document.body) heading.focus();
}
