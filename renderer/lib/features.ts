// Runs in the renderer: the app's pages, in navigation order, with their keyboard shortcuts.

/**
 * Federation and Training join this list when their services enter the contract (renderer/features/federation,
 * training): a page with nothing real behind it is not shown.
 */
export const FEATURES = [
  { id: 'dataset', label: 'Dataset', shortcut: '1', summary: 'the party config and what the data holds' },
  { id: 'preview', label: 'Preview', shortcut: '2', summary: 'samples exactly as the model sees them' },
] as const;

export type FeatureId = (typeof FEATURES)[number]['id'];

export function featureOfHash(hash: string): FeatureId {
  const id = hash.replace(/^#\/?/, '');
  return FEATURES.find((feature) => feature.id === id)?.id ?? FEATURES[0].id;
}
