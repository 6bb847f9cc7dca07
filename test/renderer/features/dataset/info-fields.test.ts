// Tests (Node): the Dataset form's fields come from each built-in's schema in common/, with the right control for each key.
import { describe, expect, it } from 'vitest';
import { BUILTIN_INFO_SCHEMAS } from '../../../../common/data-config.js';
import { BUILTIN_HANDLERS, infoFields, isBuiltinHandler, sectionFields } from '../../../../renderer/features/dataset/info-fields.js';

describe('infoFields', () => {
  it("has a field for every key of every built-in's info, in the schema's order", () => {
    expect(BUILTIN_HANDLERS).toEqual(['ImageFolder', 'CsvManifest', 'Idx', 'Dicom', 'Nifti']);
    for (const handler of BUILTIN_HANDLERS) {
      expect(infoFields(handler).map((f) => f.key)).toEqual(Object.keys(BUILTIN_INFO_SCHEMAS[handler].shape));
    }
  });

  it('picks a control per kind of value, with its default, bounds and help', () => {
    const byKey = Object.fromEntries(infoFields('ImageFolder').map((f) => [f.key, f]));
    expect(byKey.train).toEqual({ key: 'train', kind: 'text', description: 'folder with one sub-folder of images per class' });
    expect(byKey.batch_size).toEqual({ key: 'batch_size', kind: 'number', integer: true, min: 1, default: 32 });
    expect(byKey.workers).toMatchObject({ kind: 'number', min: 1, max: 64 });
    expect(byKey.shuffle).toEqual({ key: 'shuffle', kind: 'boolean', default: true });
    expect(byKey.color_mode).toEqual({ key: 'color_mode', kind: 'choice', options: ['grayscale', 'rgb'], default: 'rgb' });
    expect(byKey.image_size).toMatchObject({ kind: 'pair', labels: ['height', 'width'], min: 1 });
    expect(byKey.class_names).toMatchObject({ kind: 'list' });
    expect(byKey.normalize).toMatchObject({
      kind: 'choice',
      options: ['unit'],
      default: 'unit',
      other: { kind: 'lists', keys: ['mean', 'std'] },
    });
    expect(byKey.window).toMatchObject({
      kind: 'choice',
      options: ['file', 'lung', 'mediastinum', 'bone', 'brain', 'soft_tissue', 'minmax', 'zscore'],
      other: { kind: 'pair', labels: ['center', 'width'], integer: false },
    });
    expect(infoFields('Idx').some((f) => f.key === 'window')).toBe(false); // IDX files are 8-bit: normalize only
  });

  it("gives the Dicom handler's keys their controls: folders as a list, the label key and sampling as choices, volume_size three", () => {
    const byKey = Object.fromEntries(infoFields('Dicom').map((f) => [f.key, f]));
    for (const key of ['path', 'train', 'test', 'modality', 'body_part_examined', 'series_description'])
      expect(byKey[key]).toMatchObject({ kind: 'list' });
    expect(byKey.label_key).toMatchObject({
      kind: 'choice',
      options: ['PatientID', 'StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'],
      default: 'StudyInstanceUID',
    });
    expect(byKey.sample).toMatchObject({ kind: 'choice', options: ['image', 'frame', 'series'], default: 'image' });
    expect(byKey.test_fraction).toMatchObject({ kind: 'number', integer: false, min: 0, max: 0.9, default: 0.2 });
    expect(byKey.labels).toMatchObject({ kind: 'text' });
    expect(byKey.color_mode).toMatchObject({ kind: 'choice', default: 'grayscale' });
    expect(byKey.slice).toMatchObject({
      kind: 'choice',
      options: ['middle', 'first', 'last', 'volume'],
      default: 'middle',
      other: { kind: 'number', integer: true, min: 0 },
    });
    expect(byKey.volume_size).toMatchObject({ kind: 'pair', labels: ['depth', 'height', 'width'], min: 1 });
    expect(byKey.max_voxels).toMatchObject({ kind: 'number', integer: true, min: 1, default: 2 ** 27 });
    expect(
      Object.values(byKey)
        .filter((f) => !f.description)
        .map((f) => f.key),
    ).not.toContain('label_key');
  });

  it("gives the Nifti handler's axis its names and numbers, slices a [from, to] pair of whole numbers, and volume_size three", () => {
    const byKey = Object.fromEntries(infoFields('Nifti').map((f) => [f.key, f]));
    expect(byKey.axis).toEqual(
      expect.objectContaining({ kind: 'choice', options: ['sagittal', 'coronal', 'axial', 0, 1, 2], default: 'axial' }),
    );
    expect(byKey.slices).toMatchObject({
      kind: 'choice',
      options: ['all', 'middle', 'volume'],
      other: { kind: 'pair', labels: ['from', 'to'], integer: true },
    });
    expect(byKey.volume_size).toMatchObject({ kind: 'pair', labels: ['depth', 'height', 'width'], min: 1 });
  });

  it('leaves no key of a built-in to the YAML view', () => {
    for (const handler of BUILTIN_HANDLERS) expect(infoFields(handler).filter((f) => f.kind === 'yaml')).toEqual([]);
  });

  it("has the data section's own keys for every handler (on_non_finite), not the handler's name, path or info", () => {
    expect(sectionFields()).toEqual([
      {
        key: 'on_non_finite',
        kind: 'choice',
        options: ['fail', 'skip'],
        default: 'fail',
        description: 'a sample holding NaN or Infinity: stop (fail), or leave it out and count it (skip)',
      },
    ]);
  });

  it('knows the built-in names and nothing else', () => {
    expect(isBuiltinHandler('Idx')).toBe(true);
    expect(isBuiltinHandler('MnistKerasDataGenerator')).toBe(false);
    expect(isBuiltinHandler(undefined)).toBe(false);
  });
});
