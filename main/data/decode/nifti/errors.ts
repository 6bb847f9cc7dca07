// Runs wherever NIfTI is read: the one error type, naming the file and what in it is wrong (a NIfTI header holds no patient field).
import { FileDecodeError } from '../file-decode-error.js';

export class NiftiDecodeError extends FileDecodeError {
  override readonly name: string = 'NiftiDecodeError';
}
