// Tests (Node): loads test/fixtures/secagg-vectors.json, made by secagg-vectors.py from cryptography, pycryptodome and numpy.
import { readFileSync } from 'node:fs';

interface Pair {
  private_pem: string;
  public_pem: string;
}

export interface SecAggVectors {
  ecdh: { pairs: Pair[]; shared: string[][] };
  fernet: { key: string; cases: { plaintext: string; iv: string; time: number; token: string; random_token: string }[] };
  shamir: {
    chunks: { threshold: number; secret: string; random: string[]; shares: [number, string][]; combined_last: string }[];
    wrapped: { secret: string; threshold: number; num: number; random: string[]; shares: string[] }[];
  };
  mt19937: {
    streams: { seed: number; mod_range: number; values: number[] }[];
    doubles: { seed: number; values: number[] }[];
    pseudo_rand_gen: { seed: string; seed32: number; shapes: number[][]; masks: number[][] }[];
  };
  quantize: {
    clipping_range: number;
    target_range: number;
    cases: {
      uniform_seed: number;
      dtype: string;
      factor: number;
      arrays: { shape: number[]; values: number[] }[];
      quantized: number[][];
    }[];
  };
  masking: {
    nid: string;
    own: Pair;
    peers: { nid: string; public_pem: string }[];
    rd_seed: string;
    mod_range: number;
    vector: { shape: number[]; values: number[] }[];
    masked: number[][];
  };
  plaintext: { src: string; dst: string; seed_share: string; sk1_share: string; bytes: string };
}

export const vectors = JSON.parse(readFileSync(new URL('../../../fixtures/secagg-vectors.json', import.meta.url), 'utf8')) as SecAggVectors;

export const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
export const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'ascii'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Replays recorded random draws in order, and fails the test if more are asked for than were recorded. */
export function replay(draws: readonly string[]): (count: number) => Uint8Array {
  let next = 0;
  return (count) => {
    const draw = draws[next++];
    if (draw === undefined) throw new Error(`asked for random draw ${next}, only ${draws.length} were recorded`);
    const bytes = hex(draw);
    if (bytes.length !== count) throw new Error(`random draw ${next} has ${bytes.length} bytes, asked for ${count}`);
    return bytes;
  };
}
