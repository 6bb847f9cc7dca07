// Runs in the renderer: which config issues belong beside which form field, and which belong to no field.
import type { ConfigIssue } from '../../../common/contract/config-issue.js';

interface PlacedIssues {
  byField: Map<string, ConfigIssue[]>;
  /** Issues of the file, a section, or a key the form has no field for: shown above the form and in the YAML view. */
  elsewhere: ConfigIssue[];
}

/** `data.info.image_size[1]` belongs to the `data.info.image_size` field. */
export function placeIssues(issues: readonly ConfigIssue[], fieldKeys: readonly string[]): PlacedIssues {
  const fields = new Set(fieldKeys);
  const byField = new Map<string, ConfigIssue[]>();
  const elsewhere: ConfigIssue[] = [];
  for (const issue of issues) {
    const field = issue.key.replace(/(\[\d+\])+$/, '');
    if (fields.has(field)) byField.set(field, [...(byField.get(field) ?? []), issue]);
    else elsewhere.push(issue);
  }
  return { byField, elsewhere };
}
