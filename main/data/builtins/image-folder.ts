// Runs anywhere in main: the built-in ImageFolder handler, the tutorial's layout root/<class>/*.png (and jpg, jpeg, webp).
import { ImageFolderInfoSchema, type ImageFolderInfo } from '../../../common/data-config.js';
import { DataHandler, type DataSplits } from '../data-handler.js';
import { listClassFolders, listImageFolder, compareNames } from '../sources/image-folder-listing.js';
import { imageGenerators, infoError, resolveFrom, type SplitListing } from './image-setup.js';

export class ImageFolder extends DataHandler {
  async getData(): Promise<DataSplits> {
    const info: ImageFolderInfo = ImageFolderInfoSchema.parse(this.info);
    const roots = (['train', 'test'] as const).flatMap((split) =>
      info[split] ? [{ split, root: resolveFrom(this.context.baseDir, info[split]) }] : [],
    );
    const classNames = info.class_names ?? (await foundClasses(roots));
    const listings: SplitListing[] = [];
    for (const { split, root } of roots) {
      const listed = await listImageFolder(root, classNames).catch((error: Error) => {
        throw infoError(split, error.message, error);
      });
      listings.push({ split, source: root, ...listed });
    }
    return imageGenerators(info, this.context.baseDir, classNames, listings);
  }
}

/** Without class_names, the class folders of every split together, sorted: train and test then agree on labels. */
async function foundClasses(roots: { split: string; root: string }[]): Promise<string[]> {
  const names = new Set<string>();
  for (const { split, root } of roots) {
    const folders = await listClassFolders(root).catch((error: Error) => {
      throw infoError(split, error.message, error);
    });
    folders.forEach((name) => names.add(name));
  }
  if (names.size === 0) throw infoError(roots[0]!.split, `no class folders under ${roots.map((r) => r.root).join(' or ')}`);
  return [...names].sort(compareNames);
}
