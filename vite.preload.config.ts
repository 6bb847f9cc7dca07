// Build config (Node): bundles the preload into one CommonJS file, since a sandboxed preload cannot import local modules.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig({
  build: {
    outDir: here('./dist/preload'),
    emptyOutDir: true,
    target: 'chrome130',
    minify: false,
    lib: { entry: here('./preload/preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
    rolldownOptions: { external: ['electron'] },
  },
});
