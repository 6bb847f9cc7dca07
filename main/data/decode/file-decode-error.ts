// Runs wherever a file format is decoded: a decode error whose message starts with the file it is about.
import { ImageDecodeError } from './png-decode.js';

export class FileDecodeError extends ImageDecodeError {
  constructor(
    readonly file: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
    this.message = `${file}: ${reason}`;
    this.name = 'FileDecodeError';
  }
}
