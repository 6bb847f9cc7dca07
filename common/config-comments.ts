// Runs anywhere: the comment lines `tributary init` writes atop a new party.yaml, and the note the Dataset page adds under them.

/** The first line of init's header; the comment lines after it say what init found in the folder. */
export const INIT_HEADER = '# Written by `tributary init` for ';

/** Added once under init's header when a data setting changes in the form: what the header says was found may no longer hold. */
export const DATA_CHANGED_NOTE =
  '# Data settings were changed on the Dataset page since: what the lines above say was found may no longer hold (scan to see).';

/** `text` with DATA_CHANGED_NOTE after init's header comment block, once; text without that header is returned as it is. */
export function withDataChangedNote(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(INIT_HEADER));
  if (start < 0 || lines.includes(DATA_CHANGED_NOTE)) return text;
  let end = start;
  while (lines[end + 1]?.startsWith('#')) end++;
  lines.splice(end + 1, 0, DATA_CHANGED_NOTE);
  return lines.join('\n');
}

/** `text` without DATA_CHANGED_NOTE: the data settings are back to what was saved. */
export function withoutDataChangedNote(text: string): string {
  return text
    .split('\n')
    .filter((line) => line !== DATA_CHANGED_NOTE)
    .join('\n');
}
