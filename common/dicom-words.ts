// Runs anywhere (CLI, console, renderer): why a DICOM split's images were not made samples, worded once for every surface.

/** The selection counts a Dicom split's scan carries (see SelectionCounts in main/data/sources/dicom-listing.ts). */
export interface ImagesLeftOut {
  filteredOut: { modality: number; bodyPart: number; seriesDescription: number };
  unlabelled: number;
  labelNotInClasses: number;
  noPatientId: number;
  duplicates: number;
  sliceOutOfRange: number;
}

/** Each non-zero reason with its count, in the order an operator fixes them: filters, labels, headers, `slice`. */
export function imagesNotUsed(left: ImagesLeftOut): { count: number; why: string }[] {
  const { modality, bodyPart, seriesDescription } = left.filteredOut;
  return [
    { count: modality + bodyPart + seriesDescription, why: 'filtered out' },
    { count: left.unlabelled, why: 'without a labels row' },
    { count: left.labelNotInClasses, why: 'labelled outside class_names' },
    { count: left.noPatientId, why: 'without PatientID' },
    { count: left.duplicates, why: 'duplicate SOPInstanceUID' },
    { count: left.sliceOutOfRange, why: 'slice out of range' },
  ].filter((reason) => reason.count > 0);
}

/** "3 filtered out, 2 without a labels row", or '' when every image was used. */
export function imagesNotUsedText(left: ImagesLeftOut): string {
  return imagesNotUsed(left)
    .map(({ count, why }) => `${count} ${why}`)
    .join(', ');
}
