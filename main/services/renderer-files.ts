// Runs in main (plain Node): which file of the built renderer a URL path names, and how to serve it (desktop protocol, console).
import path from 'node:path';
import { CONTENT_SECURITY_POLICY_HEADER } from '../../common/contract/content-security-policy.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Headers every renderer file is served with: the policy, no MIME sniffing, no referrer (the console's URL holds its token). */
export function rendererHeaders(file: string): Record<string, string> {
  return {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CONTENT_SECURITY_POLICY_HEADER,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/**
 * The file under `root` that a URL path names ('' and '/' name index.html), or undefined when the path is
 * malformed or leaves `root` (`..`, an encoded slash, a NUL).
 */
export function rendererFile(root: string, urlPath: string): string | undefined {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath.replace(/^\/+/, ''));
  } catch {
    return undefined;
  }
  if (relative.includes('\0') || relative.includes('\\')) return undefined;
  const file = path.resolve(root, relative || 'index.html');
  return file.startsWith(path.resolve(root) + path.sep) ? file : undefined;
}
