import { defineConfig } from 'tsdown';

// Every dependency is bundled so `npm install -g` adds a single package.
export default defineConfig([
  {
    // The CLI. Code splitting stays on so each command's module (and the heavy libraries it uses)
    // loads only when that command runs.
    entry: { cli: 'src/cli/main.ts' },
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outDir: 'dist',
    clean: true,
    dts: false,
    deps: { alwaysBundle: [/.*/], onlyBundle: false },
  },
  {
    // status --offline's fast path, one CommonJS file as the bin shim is (an ES module costs a
    // third of Node's start-up), asked before the CLI is loaded.
    entry: { 'fast-status': 'src/cli/fast-status.ts' },
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outDir: 'dist',
    clean: false,
    dts: false,
    outExtensions: () => ({ js: '.cjs' }),
    deps: { alwaysBundle: [/.*/], onlyBundle: false },
  },
]);
