// Runs wherever NIfTI is read: the one error type, naming the file and what in it is wrong (a NIfTI header holds no patient field).
import { ImageDecodeError } from '../png-decode.js';

export class NiftiDecodeError extends ImageDecodeError {
  constructor(
    readonly file: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
    this.message = `${file}: ${reason}`;
    this.name = 'NiftiDecodeError';
  }
}
