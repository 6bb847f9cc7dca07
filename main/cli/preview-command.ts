// Runs in the CLI process: `tributary preview`: sampled images as the model sees them, as PNG files with an index page.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DataGenerator } from '../data/data-generator.js';
import { previewSamples, type PreviewSample } from '../data/preview.js';

export interface PreviewCommandOptions {
  out: string;
  n: number;
  seed: number;
  classes?: string[];
}

function fileName(sample: PreviewSample, position: number): string {
  const safeClass = sample.className.replace(/[^\w.-]+/g, '_');
  return `${String(position).padStart(3, '0')}-${safeClass}-${sample.index}.png`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function indexPage(samples: PreviewSample[], names: string[]): string {
  const cells = samples.map(
    (s, k) =>
      `<figure><img src="${encodeURI(names[k]!)}" width="${s.width * 3}" style="image-rendering: pixelated">` +
      `<figcaption><b>${escapeHtml(s.className)}</b><br><small>${escapeHtml(s.source)}</small>` +
      `${s.volume ? `<br><small>${escapeHtml(s.volume)}</small>` : ''}` +
      `${s.intensity ? `<br><small>${escapeHtml(s.intensity)}</small>` : ''}</figcaption></figure>`,
  );
  return (
    '<!doctype html><meta charset="utf-8"><title>Tributary preview</title>' +
    '<style>body{font:13px sans-serif;display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;max-width:200px;word-break:break-all}</style>\n' +
    `${cells.join('\n')}\n`
  );
}

/** Writes the PNGs, samples.json (label, class, source, value range and window per file) and index.html; returns what it wrote. */
export async function writePreview(
  generator: DataGenerator,
  options: PreviewCommandOptions,
): Promise<{ samples: PreviewSample[]; skipped: number }> {
  const { samples, skipped } = await previewSamples(generator, options);
  await fsp.mkdir(options.out, { recursive: true });
  const names = samples.map(fileName);
  await Promise.all(samples.map((s, k) => fsp.writeFile(path.join(options.out, names[k]!), s.png)));
  const manifest = samples.map(({ png: _png, ...s }, k) => ({ file: names[k], ...s }));
  await fsp.writeFile(path.join(options.out, 'samples.json'), `${JSON.stringify({ samples: manifest, skipped }, null, 2)}\n`);
  await fsp.writeFile(path.join(options.out, 'index.html'), indexPage(samples, names));
  return { samples, skipped: skipped.length };
}
