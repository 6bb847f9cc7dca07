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

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/out/', '.cache/', '.scratch/', 'release/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
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
      'no-restricted-imports': ['error', {
        paths: [electronOnlyInApp],
        patterns: [platformPatterns('common/ (the contract)'), { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'common/ imports nothing from other layers.' }],
      }],
    },
  },
  {
    files: ['main/**', 'bench/**', 'test/**', 'examples/**'],
    ignores: ['main/app/**', 'test/main/app/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronOnlyInApp] }] },
  },
  {
    files: ['preload/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          platformPatterns('preload/ (sandboxed: it may require electron only)'),
          { group: ['**/main/**', '**/renderer/**'], message: 'The preload bridges to main over IPC only; it shares nothing but common/.' },
        ],
      }],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The renderer is sandboxed: reach the services through the preload API.' }],
        patterns: [platformPatterns('renderer/ (sandboxed)'), { group: ['**/main/**', '**/preload/**'], message: 'The renderer talks to main only through the contract.' }],
      }],
    },
  },
);
