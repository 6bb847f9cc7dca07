// Runs in the renderer: the words a person reads for a config key; the key itself stays beside them in small print.

/** Where the key's own words would mislead or say too little; any other key reads as its words (batch_size: Batch size). */
const LABELS: Record<string, string> = {
  train: 'Training data',
  test: 'Test data',
  path: 'Data',
  labels: 'Labels CSV',
  class_names: 'Class names, in label order',
  image_size: 'Image size the model sees',
  volume_size: 'Volume size the model sees (depth, height, width)',
  color_mode: 'Colour',
  normalize: 'Normalisation',
  window: 'Intensity window',
  dicom_frames: 'Frames of a multi-frame DICOM file',
  on_bad_file: 'An unreadable file',
  on_non_finite: 'A sample with NaN or Infinity',
  max_pixels: 'Largest image, in pixels',
  cache: 'Cache decoded pixels',
  cache_dir: 'Cache folder',
  workers: 'Decode threads',
  prefetch: 'Batches decoded ahead',
  seed: 'Shuffle seed',
  path_column: 'Image path column',
  label_column: 'Label column',
  key_column: 'Key column',
  file_column: 'File column',
  subject_column: 'Subject column',
  label_key: 'Labels keyed by',
  test_fraction: 'Share held out for test',
  max_header_bytes: 'Largest DICOM header, in bytes',
  index_dir: 'Index folder',
  max_voxels: 'Largest volume, in voxels',
  kept_volumes_mb: 'Volumes kept between batches (MB)',
  train_images: 'Training images (IDX)',
  train_labels: 'Training labels (IDX)',
  test_images: 'Test images (IDX)',
  test_labels: 'Test labels (IDX)',
};

export function fieldLabel(key: string): string {
  const words = key.replaceAll('_', ' ');
  return LABELS[key] ?? words.charAt(0).toUpperCase() + words.slice(1);
}
