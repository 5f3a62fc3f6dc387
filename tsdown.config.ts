import { defineConfig, type UserConfig } from 'tsdown';

// Every dependency is bundled so `npm install -g` adds a single package.
const common: UserConfig = {
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  dts: false,
  deps: { alwaysBundle: [/.*/], onlyBundle: false },
};

export default defineConfig([
  // The CLI. Code splitting stays on so each command's module (and the heavy libraries it uses)
  // loads only when that command runs.
  { ...common, entry: { cli: 'src/cli/main.ts' }, format: 'esm', clean: true },
  // status --offline's fast path, one CommonJS file as the bin shim is (an ES module costs a third
  // of Node's start-up), asked before the CLI is loaded.
  { ...common, entry: { 'fast-status': 'src/cli/fast-status.ts' }, format: 'cjs', clean: false, outExtensions: () => ({ js: '.cjs' }) },
]);
