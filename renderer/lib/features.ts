// Runs in the renderer: the app's pages, in navigation order, with their keyboard shortcuts.

export const FEATURES = [
  { id: 'dataset', label: 'Dataset', shortcut: '1', summary: 'the party config and what the data holds' },
  { id: 'preview', label: 'Preview', shortcut: '2', summary: 'samples exactly as the model sees them' },
  { id: 'federation', label: 'Federation', shortcut: '3', summary: 'the aggregator, this node, taking part, and what left this site' },
  { id: 'training', label: 'Training', shortcut: '4', summary: 'rounds, progress and charts as the party trains' },
] as const;

export type FeatureId = (typeof FEATURES)[number]['id'];

export function featureOfHash(hash: string): FeatureId {
  const id = hash.replace(/^#\/?/, '');
  return FEATURES.find((feature) => feature.id === id)?.id ?? FEATURES[0].id;
}
