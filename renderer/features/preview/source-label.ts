// Runs in the renderer: a sample's source as a person reads it: relative to the config's folder when it lies inside it.

/** `/site/data/train/cat/1.png` with config `/site/party.yaml` reads `data/train/cat/1.png`; other sources stay whole. */
export function sourceLabel(source: string, configFile: string | null): string {
  if (!configFile) return source;
  const folder = configFile.slice(0, Math.max(configFile.lastIndexOf('/'), configFile.lastIndexOf('\\')) + 1);
  return folder && source.startsWith(folder) ? source.slice(folder.length) : source;
}
