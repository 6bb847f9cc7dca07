// Runs anywhere in main: the built-in handlers a config names without a `path`.
import type { BuiltinHandlerName } from '../../../common/data-config.js';
import type { DataHandler, HandlerContext } from '../data-handler.js';
import { CsvManifest } from './csv-manifest.js';
import { Dicom } from './dicom-handler.js';
import { Idx } from './idx-handler.js';
import { ImageFolder } from './image-folder.js';
import { Nifti } from './nifti-handler.js';

export type DataHandlerClass = new (info: Record<string, unknown>, context: HandlerContext) => DataHandler;

export const BUILTIN_HANDLERS: Record<BuiltinHandlerName, DataHandlerClass> = { ImageFolder, CsvManifest, Idx, Dicom, Nifti };
