// Runs wherever DICOM is decoded: dicom-parser, loaded once. Its UMD bundle hides its named exports from Node's ESM loader.
import type * as DicomParser from 'dicom-parser';
import { createRequire } from 'node:module';

export const dicomParser = createRequire(import.meta.url)('dicom-parser') as typeof DicomParser;
