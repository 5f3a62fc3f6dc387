import { defineConfig } from 'tsdown';

// One entry; every dependency is bundled so `npm install -g` adds a single package. Code splitting
// stays on so each command's module (and the heavy libraries it uses) loads only when that command runs.
export default defineConfig({
  entry: { cli: 'src/cli/main.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  dts: false,
  deps: { alwaysBundle: [/.*/], onlyBundle: false },
});
