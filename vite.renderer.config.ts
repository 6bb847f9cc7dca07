// Build config (Node): the Svelte renderer as static files (dist/renderer) that the desktop window and the browser console both serve.
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './common/contract/content-security-policy.js';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** The policy is written once (common/contract) and put into index.html here, so the page and the servers agree. */
const contentSecurityPolicy = (): Plugin => ({
  name: 'tributary-content-security-policy',
  transformIndexHtml: (html) => html.replace('%CONTENT_SECURITY_POLICY%', CONTENT_SECURITY_POLICY),
});

export default defineConfig({
  root: here('./renderer'),
  // Relative asset URLs: the console serves the app under /<token>/, the desktop under tributary://app/.
  base: './',
  plugins: [svelte({ configFile: false, compilerOptions: { runes: true } }), contentSecurityPolicy()],
  build: {
    outDir: here('./dist/renderer'),
    emptyOutDir: true,
    target: 'chrome130',
    // The polyfill is an inline script, which the policy forbids; Chromium needs none.
    modulePreload: { polyfill: false },
    // Assets stay files: the policy allows data: for images only.
    assetsInlineLimit: 0,
  },
});
