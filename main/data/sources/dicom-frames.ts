// Runs anywhere in main: a listing with one entry per frame of each multi-frame DICOM file (`dicom_frames: all`).
import { DEFAULT_LIMITS, parseDataSet, readHeader } from '../decode/dicom/header.js';
import { readDicomFile } from '../decode/dicom/index.js';
import { isDicomFile } from './image-folder-listing.js';
import { FileList } from './file-list.js';

/**
 * Each DICOM file's NumberOfFrames, from its header (the file is read whole, which is why this is opt-in: a Dicom
 * handler keeps a header index instead). Other files, and DICOM files whose header does not read, stay one entry at
 * frame 0, so decoding reports their problem as it would have.
 */
async function frameCount(file: string, maxPixels: number): Promise<number> {
  if (!(await isDicomFile(file))) return 1;
  try {
    const limits = { ...DEFAULT_LIMITS, maxPixels };
    return readHeader(parseDataSet(readDicomFile(file, limits.maxBytes), file, limits), file, limits).frames;
  } catch {
    return 1;
  }
}

/** The files again, each repeated once per frame, and the frame of each entry (the `frames` of ImageGeneratorOptions). */
export async function expandFrames(files: FileList, maxPixels: number): Promise<{ files: FileList; frames: Uint32Array }> {
  const expanded = new FileList();
  const frames: number[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files.path(i);
    const count = await frameCount(file, maxPixels);
    for (let k = 0; k < count; k++) {
      expanded.addPath('/', file, files.label(i));
      frames.push(k);
    }
  }
  return { files: expanded.seal(), frames: Uint32Array.from(frames) };
}
