// Cold start of the built CLI against bare Node: medians of interleaved runs, as ratios.
// Usage: npm run build && node scripts/bench-startup.mjs [runs=30] [--compare <other bin/protime-hooks.js>]
// --compare measures another build (say, the one before a change) in the same interleaved run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const compareAt = args.indexOf('--compare');
const other = compareAt === -1 ? undefined : args.splice(compareAt, 2)[1];
const runs = Number(args[0] ?? 30);
const bin = fileURLToPath(new URL('../bin/protime-hooks.js', import.meta.url));
const configDir = mkdtempSync(join(tmpdir(), 'ph-bench-'));
const env = { PATH: process.env.PATH, HOME: configDir, PROTIME_HOOKS_CONFIG_DIR: configDir };

// A logged-in profile with two subscriptions, so `status --offline` reads a real store.
const seed = spawnSync(process.execPath, [
  '--input-type=module',
  '-e',
  `
  import { writeFileSync } from 'node:fs';
  const now = Date.now();
  const record = (id) => ({ id, collection: 'contracts', destinationUrl: 'https://h.example/x', externalReferences: [], key: 'k-' + id,
    validUntil: new Date(now + 20 * 864e5).toISOString(), createdAt: new Date(now - 10 * 864e5).toISOString(), status: 'Enabled', raw: {} });
  writeFileSync(${JSON.stringify(join(configDir, 'state.json'))}, JSON.stringify({ schemaVersion: 1,
    profiles: { default: { tenant: 'acme', environment: 'production', apiUrl: 'https://acme.myprotime.eu/connector/protimeapi/api/v1',
      tokenUrl: 'https://authentication.myprotime.eu/tenants/acme/connect/token', clientId: 'c', userAgent: null, scopes: [], createdAt: new Date().toISOString() } },
    subscriptions: { default: { a: record('a'), b: record('b') } } }), { mode: 0o600 });
`,
]);
if (seed.status !== 0) throw new Error(seed.stderr.toString());

const cases = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'protime-hooks --version': [process.execPath, [bin, '--version']],
  'protime-hooks status --offline': [process.execPath, [bin, 'status', '--offline']],
  ...(other && {
    'compared --version': [process.execPath, [other, '--version']],
    'compared status --offline': [process.execPath, [other, 'status', '--offline']],
  }),
};
const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, [command, args]] of Object.entries(cases)) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { env, stdio: 'ignore' });
    times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) throw new Error(`${name} exited ${result.status}`);
  }
}
rmSync(configDir, { recursive: true, force: true });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const base = median(times['node -e 0']);
console.log(`runs: ${runs} each, interleaved`);
for (const [name, values] of Object.entries(times)) {
  const m = median(values);
  console.log(`${name.padEnd(32)} median ${m.toFixed(1).padStart(6)} ms  ratio ${(m / base).toFixed(2)}x`);
}
