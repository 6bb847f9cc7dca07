// Runs wherever DICOM is decoded: the one error type, which names the file and never a patient.
import { FileDecodeError } from '../file-decode-error.js';

/**
 * A DICOM file that cannot be decoded. `reason` is built only from structure (tags, sizes, UIDs of transfer syntaxes
 * and SOP classes), never from element values that may identify a patient.
 */
export class DicomDecodeError extends FileDecodeError {
  override readonly name: string = 'DicomDecodeError';
}

/** A thrown value of any kind (dicom-parser throws strings and objects, emscripten numbers) as text. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'object' && thrown !== null && 'exception' in thrown) return String((thrown as { exception: unknown }).exception);
  // Emscripten passes a C++ exception up as a bare number, a pointer that means nothing to the reader.
  if (typeof thrown === 'number') return 'the decoder raised an exception';
  return String(thrown);
}
