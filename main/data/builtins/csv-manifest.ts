// Runs anywhere in main: the built-in CsvManifest handler: a CSV of image path (relative to the CSV) and label per split.
import { CsvManifestInfoSchema, type CsvManifestInfo } from '../../../common/data-config.js';
import { DataHandler, type DataSplits } from '../data-handler.js';
import { manifestFiles, readManifest, type ManifestRow } from '../sources/csv-manifest-listing.js';
import { compareNames } from '../sources/image-folder-listing.js';
import { imageGenerators, infoError, resolveFrom, type SplitListing } from './image-setup.js';

export class CsvManifest extends DataHandler {
  async getData(): Promise<DataSplits> {
    const info: CsvManifestInfo = CsvManifestInfoSchema.parse(this.info);
    const columns = { path: info.path_column, label: info.label_column };
    const manifests: { split: 'train' | 'test'; csv: string; rows: ManifestRow[] }[] = [];
    for (const split of ['train', 'test'] as const) {
      if (!info[split]) continue;
      const csv = resolveFrom(this.context.baseDir, info[split]);
      const rows = await readManifest(csv, columns).catch((error: Error) => {
        throw infoError(split, error.message, error);
      });
      manifests.push({ split, csv, rows });
    }
    // Without class_names, the labels of every split together, sorted: train and test then agree on indices.
    const classNames =
      info.class_names ?? [...new Set(manifests.flatMap((m) => m.rows.map((r) => r.label)).filter(Boolean))].sort(compareNames);
    if (classNames.length === 0) throw infoError(manifests[0]!.split, `no labelled rows in ${manifests.map((m) => m.csv).join(' or ')}`);
    const listings: SplitListing[] = manifests.map(({ split, csv, rows }) => ({
      split,
      source: csv,
      ...manifestFiles(csv, rows, classNames),
    }));
    return imageGenerators(info, this.context.baseDir, classNames, listings);
  }
}
