// Runs anywhere in main: the per-site salted hash that stands in for a patient or study identifier wherever one is kept or shown.
/*
 * The salt is a random file created once in the cache folder (mode 0600), not a config key: a config file is copied,
 * mailed and committed, and a salt found beside the hashes lets anyone test guessed IDs against them. A file that
 * never leaves the machine keeps the hashes unlinkable elsewhere, and deleting it re-keys every hash on that site
 * (the DICOM index notices and is rebuilt).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { defaultCacheDir } from '../cache-dir.js';

const SALT_BYTES = 32;

/** HMAC-SHA256 keyed by the site's salt: 16 hex digits (64 bits) are enough to tell 100k patients apart. */
export class PhiHasher {
  readonly #salt: Buffer;
  /** Which salt made these hashes, itself a hash: lets a cache of hashes tell that the salt changed under it. */
  readonly saltId: string;

  constructor(salt: Buffer) {
    this.#salt = salt;
    this.saltId = this.hash('tributary salt id');
  }

  hash(value: string): string {
    return createHmac('sha256', this.#salt).update(value, 'utf8').digest('hex').slice(0, 16);
  }
}

/**
 * The salt in `dir`/salt, created if absent: written to a private temporary file, then linked into place, so two
 * processes starting together agree on one salt and none reads a half-written one.
 */
export async function siteHasher(dir: string): Promise<PhiHasher> {
  const file = path.join(dir, 'salt');
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await readSalt(file);
  if (existing) return new PhiHasher(existing);
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fsp.writeFile(temporary, randomBytes(SALT_BYTES), { mode: 0o600, flag: 'wx' });
  try {
    await fsp.link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await fsp.rm(temporary, { force: true });
  }
  return new PhiHasher((await readSalt(file))!);
}

/**
 * Where the site's salt is kept when a handler is not told (the Dicom handler's default index folder): one salt for the
 * site, so a patient or subject has one hash under every handler and in every run.
 */
export function defaultSaltDir(): string {
  return path.join(defaultCacheDir(), 'dicom');
}

async function readSalt(file: string): Promise<Buffer | undefined> {
  const salt = await fsp.readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (salt && salt.length !== SALT_BYTES)
    throw new Error(`${file} is not a salt Tributary wrote (${salt.length} bytes, not ${SALT_BYTES})`);
  return salt;
}
