// Types for jpeg-lossless-decoder-js, whose package names a declaration file it does not ship: only what codecs.ts uses.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    /** The next output pixel's row, and the frame's height: every pixel was written when they are equal. */
    yLoc: number;
    yDim: number;
    /** 8-bit samples as a Uint8Array, wider ones as a Uint16Array (numBytes 2). */
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
