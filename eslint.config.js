// Lint config: TypeScript and Svelte rules plus the layer rules of the design (which folder may import what).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'net', 'http', 'https', 'crypto', 'stream', 'zlib'];
const electronOnlyInApp = { name: 'electron', message: 'Only main/app/ may import electron: services stay plain Node.' };
const platformPatterns = (layer) => ({
  group: nodeBuiltins,
  message: `${layer} must not import Node built-ins.`,
});

/**
 * The layers of main/, lowest first (vscode's layer matrix): each imports only the layers below it, and common/.
 * The entry points on top import the services and below, not each other, except that `tributary console` (the
 * CLI) starts the browser console in its own process.
 */
const MAIN_LAYERS = ['config', 'data', 'engine', 'federation', 'services'];
const ENTRY_POINTS = { app: [], console: [], cli: ['console'] };
const mayImport = Object.fromEntries([
  ...MAIN_LAYERS.map((layer, i) => [layer, MAIN_LAYERS.slice(0, i)]),
  ...Object.entries(ENTRY_POINTS).map(([entry, peers]) => [entry, [...MAIN_LAYERS, ...peers]]),
]);
const layerRules = Object.entries(mayImport).map(([layer, below]) => {
  const above = Object.keys(mayImport).filter((other) => other !== layer && !below.includes(other));
  const message = `main/${layer}/ may import only ${['common/', ...below.map((l) => `main/${l}/`)].join(', ')}: layers import downward.`;
  // import() and `typeof import()` name a module too, and no-restricted-imports does not look at them.
  const named = String.raw`/(^|\/)(${above.join('|')})\//`;
  return {
    files: [`main/${layer}/**`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: layer === 'app' ? [] : [electronOnlyInApp],
          patterns: [{ group: above.map((l) => `**/${l}/**`), message }],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: `ImportExpression[source.value=${named}]`, message },
        { selector: `TSImportType[argument.literal.value=${named}]`, message },
      ],
    },
  };
});

export default tseslint.config(
  // Generated, never ours: builds, installs, the benches' and the native backend's Python venvs (matplotlib ships .js).
  { ignores: ['dist/', 'node_modules/', 'bench/out/', '.cache/', '.scratch/', 'release/', '.bench/', '.native/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Prettier wraps code at 140 but never a comment, string or template: those are wrapped by hand, and stay under 160.
      // Only a URL or a regular-expression literal, which cannot be split, may run longer.
      'max-len': ['error', { code: 160, tabWidth: 2, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    // Svelte components: TypeScript in <script lang="ts">, checked by svelte-check (so no-undef, which knows no DOM types, is off).
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['common/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInApp],
          patterns: [
            platformPatterns('common/ (the contract)'),
            { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'common/ imports nothing from other layers.' },
          ],
        },
      ],
    },
  },
  ...layerRules,
  {
    files: ['bench/**', 'test/**', 'examples/**'],
    ignores: ['test/main/app/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronOnlyInApp] }] },
  },
  {
    files: ['preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            platformPatterns('preload/ (sandboxed: it may require electron only)'),
            {
              group: ['**/main/**', '**/renderer/**'],
              message: 'The preload bridges to main over IPC only; it shares nothing but common/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer is sandboxed: reach the services through the preload API.' }],
          patterns: [
            platformPatterns('renderer/ (sandboxed)'),
            { group: ['**/main/**', '**/preload/**'], message: 'The renderer talks to main only through the contract.' },
          ],
        },
      ],
    },
  },
);
