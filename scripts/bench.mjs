// npm run bench: the built CLI's figures, each as a ratio to its own floor measured (or, for the
// network floors, computed) in the same run. Prints a Markdown table and writes bench/results.json.
// Usage: npm run build && node scripts/bench.mjs [options]   (BENCHMARKS.md explains each figure)
//   --runs <n>          interleaved runs of each start-up and subscribe case (default 20)
//   --online-runs <n>   runs of `status` online (default 6, after one untimed warm-up)
//   --records <n>       stored subscriptions for status and subscribe (default 1000)
//   --renew <n>         due subscriptions renewed (default 500); --no-renew skips the renew figures
//   --renew-concurrency <list>  the renew runs, e.g. 1,default (default), or 4,16
//   --latency <ms>      added latency per API request for status online and renew (default 50)
//   --only <groups>     comma list of startup,status,subscribe,renew,stores
//   --compare <bin>     another bin/protime-hooks.js (a build before a change), for the start-up cases
//   --cpu-prof <dir>    run renew under node --cpu-prof, profiles written there (slower: not for the figures)
//   --out <file>        where the JSON goes (default bench/results.json)
// Seeding writes the emulator's --state-file and the CLI's state.json directly (no subscribe runs).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'online-runs': { type: 'string', default: '6' },
    records: { type: 'string', default: '1000' },
    renew: { type: 'string', default: '500' },
    'no-renew': { type: 'boolean', default: false },
    'renew-concurrency': { type: 'string', default: '1,default' },
    latency: { type: 'string', default: '50' },
    only: { type: 'string', default: 'startup,status,subscribe,renew,stores' },
    compare: { type: 'string' },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const RUNS = Number(opts.runs);
const ONLINE_RUNS = Number(opts['online-runs']);
const RECORDS = Number(opts.records);
const RENEW = Number(opts.renew);
const LATENCY = Number(opts.latency);
const PAGE_SIZE = 100;
const ONLY = new Set(opts.only.split(','));
if (opts['no-renew']) ONLY.delete('renew');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/protime-hooks.js');
const OUT = resolve(opts.out ?? join(ROOT, 'bench/results.json'));
const API_PATH = '/connector/protimeapi/api/v1';
const SCOPES = ['connector-protimeapi-webhooks.read', 'connector-protimeapi-webhooks.write'];
const COLLECTIONS = ['absences', 'clockings', 'contracts', 'people', 'assignments'];
// /usr/bin/time gives the peak RSS from wait4(): exact even for a 40 ms process. Without it the
// child's /proc/<pid>/status VmHWM is polled, which can miss the last milliseconds.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const DAY = 86_400_000;

const work = mkdtempSync(join(tmpdir(), 'ph-bench-'));
const emulators = new Set();
const cleanup = () => {
  for (const emulator of emulators) emulator.child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

// ---------- measuring ----------

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A clean environment: no proxy or config of the person running the bench leaks in. */
// BENCH_NODE_OPTIONS reaches the CLI as NODE_OPTIONS: a preload that counts calls, say, while investigating.
const cliEnv = (configDir) => ({
  PATH: process.env.PATH,
  HOME: dirname(configDir),
  PROTIME_HOOKS_CONFIG_DIR: configDir,
  ...(process.env.BENCH_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS }),
});

/** One timed run, synchronous and unwrapped: the start-up figures, where a wrapper's exec would show. */
function timeSync(command, args, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: 'ignore', cwd: work });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, code: result.status };
}

/**
 * One run with its peak RSS (KiB) and CPU seconds: under /usr/bin/time when installed, else polling
 * VmHWM. Resolves with wall time, exit code, stdout and stderr.
 */
function measure(command, args, env) {
  return new Promise((resolveRun, reject) => {
    const timeFile = join(work, `time-${randomUUID()}`);
    const [file, argv] = TIME ? [TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...args]] : [command, args];
    const start = process.hrtime.bigint();
    const child = spawn(file, argv, { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = TIME
      ? undefined
      : setInterval(() => {
          const kb = vmHwm(child.pid);
          if (kb > hwm) hwm = kb;
        }, 10);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      clearInterval(poll);
      let rssKB = hwm;
      let cpuS = null;
      if (TIME) {
        // The last line: a signal-killed child gets a "Command terminated" line before it.
        const line = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1);
        const [kb, user, sys] = line.split(' ').map(Number);
        rssKB = kb;
        cpuS = user + sys;
        rmSync(timeFile, { force: true });
      }
      resolveRun({ ms, code, stdout, stderr, rssKB, cpuS });
    });
  });
}

function vmHwm(pid) {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** user + system CPU seconds a process has used so far (/proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function expectCode(what, run, codes) {
  if (!codes.includes(run.code)) {
    throw new Error(`${what} exited ${run.code}, expected ${codes.join(' or ')}\nstdout: ${run.stdout ?? ''}\nstderr: ${run.stderr ?? ''}`);
  }
}

// ---------- seeding ----------

/** `2025-03-31T12:30:00+00:00`, as the emulator writes instants. */
const instant = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** n webhooks, each to its own destination, valid for `validForMs` more and created `ageMs` ago. */
function makeWebhooks(n, { validForMs, ageMs, tag }) {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    key: randomBytes(32).toString('base64'),
    validUntil: instant(now + validForMs),
    status: 'Enabled',
    destinationUrl: `https://bench.example/${tag}/${i}`,
    collectionName: COLLECTIONS[i % COLLECTIONS.length],
    externalReferences: {},
    createdAt: instant(now - ageMs),
    consecutiveFailures: 0,
  }));
}

/** The CLI's record of a webhook it created (as subscribe stores it). */
function recordOf(webhook) {
  const { consecutiveFailures: _, ...raw } = webhook;
  return {
    id: webhook.id,
    collection: webhook.collectionName,
    destinationUrl: webhook.destinationUrl,
    externalReferences: [],
    key: webhook.key,
    validUntil: new Date(webhook.validUntil).toISOString(),
    createdAt: new Date(webhook.createdAt).toISOString(),
    status: 'Enabled',
    raw,
    deployHook: null,
  };
}

/** A config dir holding one logged-in profile (no token yet) and a record for each webhook. */
function writeCliState(configDir, info, webhooks) {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const profile = {
    tenant: info.tenant,
    environment: 'production',
    apiUrl: info.apiUrl,
    tokenUrl: info.tokenUrl,
    clientId: info.clientId,
    userAgent: null,
    scopes: SCOPES,
    createdAt: new Date().toISOString(),
    clientSecret: info.clientSecret,
    tokenAuth: 'post',
  };
  const state = {
    schemaVersion: 1,
    profiles: { default: profile },
    subscriptions: { default: Object.fromEntries(webhooks.map((w) => [w.id, recordOf(w)])) },
    intents: {},
  };
  writeFileSync(join(configDir, 'state.json'), `${JSON.stringify(state, undefined, '\t')}\n`, { mode: 0o600 });
  return configDir;
}

/** A running `protime-hooks emulator` holding `webhooks` (through its state file). */
async function startEmulator(name, webhooks) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const stateFile = join(dir, 'emulator-state.json');
  writeFileSync(stateFile, JSON.stringify({ version: 1, changeVersion: '0000090200004BD00000', webhooks }), { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [BIN, 'emulator', '--port', '0', '--json', '--page-size', String(PAGE_SIZE), '--state-file', stateFile],
    {
      env: { PATH: process.env.PATH, HOME: dir },
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const emulator = { child, stderr: '' };
  emulators.add(emulator);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (emulator.stderr += d));
  // It prints one JSON line with its URLs as soon as it listens (--port 0: the port is in it).
  emulator.info = await new Promise((resolveInfo, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      const newline = out.indexOf('\n');
      if (newline !== -1) resolveInfo(JSON.parse(out.slice(0, newline)));
    });
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}: ${emulator.stderr}`)));
  });
  emulator.control = async (method, path, body) => {
    const response = await fetch(`${emulator.info.url}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /_emulator${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  emulator.addLatency = (ms) => emulator.control('POST', '/faults', { path: API_PATH, latencyMs: ms, count: -1 });
  // The bench's own client for the measured floors: bare fetch, one token, one request at a time.
  emulator.api = async (method, url, body) => {
    emulator.token ??= await fetch(emulator.info.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: emulator.info.clientId,
        client_secret: emulator.info.clientSecret,
      }),
    }).then(async (r) => (await r.json()).access_token);
    const response = await fetch(url.startsWith('http') ? url : `${emulator.info.apiUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${emulator.token}`, 'user-agent': 'protime-hooks-bench/1', 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  // Counted from its stderr log, one line per request: /_emulator/requests keeps only the last 1000.
  emulator.count = (pattern) => (emulator.stderr.match(pattern) ?? []).length;
  emulator.tokenRequests = () => emulator.count(/POST \/tenants\/[^/ ]+\/connect\/token \d{3}/g);
  emulator.stop = async () => {
    emulators.delete(emulator);
    child.kill('SIGTERM');
    await new Promise((done) => (child.exitCode === null ? child.once('exit', done) : done()));
  };
  return emulator;
}

/** Bare fetch reading every page in turn, as status must (each nextLink comes with the page before): median of 3, ms. */
async function measurePages(emulator) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    for (let next = '/webhooks'; next; ) next = (await emulator.api('GET', next)).nextLink;
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Bare fetch creating and deleting one webhook, 10 times in turn: the median pair, ms. */
async function measurePair(emulator) {
  const times = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    const { id } = await emulator.api('POST', '/webhooks', {
      destinationUrl: `https://bench.example/floor/${i}`,
      collectionName: 'contracts',
    });
    await emulator.api('DELETE', `/webhooks/${id}`);
    times.push(performance.now() - start);
  }
  return median(times);
}

// ---------- the figures ----------

const rows = [];
const tokens = [];
const notes = [];
const mb = (kb) => (kb ? Math.round(kb / 1024) : null);
const log = (line) => process.stderr.write(`bench: ${line}\n`);

function row(figure) {
  rows.push(figure);
  const rss = figure.rssMB ? `, ${figure.rssMB} MB` : '';
  log(`${figure.name}: ${figure.ms.toFixed(0)} ms, ${figure.ratio.toFixed(2)}x of ${figure.floor}${rss}`);
}

/** `node -e 0`, --version, --help, status --offline with RECORDS records: interleaved, medians. */
async function startup() {
  const configDir = join(work, 'startup', 'config');
  const records = makeWebhooks(RECORDS, { validForMs: 20 * DAY, ageMs: 10 * DAY, tag: 'offline' });
  // Offline only: the profile points at a port nothing listens on.
  const info = {
    tenant: 'bench',
    apiUrl: `http://127.0.0.1:9${API_PATH}`,
    tokenUrl: 'http://127.0.0.1:9/t',
    clientId: 'c',
    clientSecret: 's',
  };
  writeCliState(configDir, info, records);
  const env = cliEnv(configDir);
  const cases = [
    ['node -e 0', [process.execPath, ['-e', '0']], null],
    ['--version', [process.execPath, [BIN, '--version']], 1.15],
    ['--help', [process.execPath, [BIN, '--help']], 1.15],
    [`status --offline, ${RECORDS} records`, [process.execPath, [BIN, 'status', '--offline']], 1.5],
    // What the first status --offline after a change costs (the CLI answers, and indexes the state
    // again); --no-input changes nothing for status, but sends the shim to the CLI every time.
    [`status --offline, ${RECORDS} records, by the CLI`, [process.execPath, [BIN, 'status', '--offline', '--no-input']], null],
  ];
  if (opts.compare) {
    const other = resolve(opts.compare);
    cases.push(['compared --version', [process.execPath, [other, '--version']], 1.15]);
    cases.push([`compared status --offline, ${RECORDS} records`, [process.execPath, [other, 'status', '--offline']], 1.5]);
  }
  const times = cases.map(() => []);
  for (const [, [command, args]] of cases) timeSync(command, args, env); // warm the page cache
  // The first status --offline (the CLI's) indexed the state: the timed ones are answered from it.
  if (!existsSync(join(configDir, 'state.status'))) throw new Error('status --offline wrote no state.status');
  for (let i = 0; i < RUNS; i++) {
    cases.forEach(([name, [command, args]], c) => {
      const run = timeSync(command, args, env);
      if (run.code !== 0) throw new Error(`${name} exited ${run.code}`);
      times[c].push(run.ms);
    });
  }
  // Peak RSS in runs of their own, so the wrapper's exec stays out of the timings above.
  const rss = [];
  for (const [, [command, args]] of cases) {
    const peaks = [];
    for (let i = 0; i < 3; i++) peaks.push((await measure(command, args, env)).rssKB);
    rss.push(median(peaks));
  }
  const floor = median(times[0]);
  cases.forEach(([name], c) => {
    const ms = median(times[c]);
    row({
      group: 'startup',
      name,
      runs: RUNS,
      ms,
      floorMs: floor,
      floor: `node -e 0 (${floor.toFixed(0)} ms, measured)`,
      ratio: ms / floor,
      target: cases[c][2] && { ratio: cases[c][2] },
      rssMB: mb(rss[c]),
      samplesMs: times[c].map((t) => Math.round(t * 10) / 10),
    });
  });
}

/** `status` online with RECORDS webhooks, PAGE_SIZE a page, LATENCY ms added to each API request. */
async function statusOnline() {
  const webhooks = makeWebhooks(RECORDS, { validForMs: 20 * DAY, ageMs: 10 * DAY, tag: 'status' });
  const emulator = await startEmulator('status', webhooks);
  try {
    const configDir = writeCliState(join(work, 'status', 'config'), emulator.info, webhooks);
    await emulator.addLatency(LATENCY);
    const env = cliEnv(configDir);
    const args = [BIN, 'status', '--json'];
    const warm = await measure(process.execPath, args, env); // fetches and stores the token
    expectCode('status', warm, [0]);
    const listed = JSON.parse(warm.stdout);
    const count = (listed.subscriptions ?? listed.webhooks ?? []).length;
    const runs = [];
    for (let i = 0; i < ONLINE_RUNS; i++) {
      const run = await measure(process.execPath, args, env);
      expectCode('status', run, [0]);
      runs.push(run);
    }
    const pages = Math.ceil(RECORDS / PAGE_SIZE);
    const floor = pages * LATENCY;
    const ms = median(runs.map((r) => r.ms));
    row({
      group: 'status',
      name: `status online, ${RECORDS} webhooks`,
      runs: ONLINE_RUNS,
      ms,
      floorMs: floor,
      floor: `${pages} pages × ${LATENCY} ms sequential (computed)`,
      ratio: ms / floor,
      target: { ms: 1500 },
      rssMB: mb(Math.max(...runs.map((r) => r.rssKB))),
      cpuS: median(runs.map((r) => r.cpuS)),
      listed: count,
      samplesMs: runs.map((r) => Math.round(r.ms)),
    });
    tokens.push({ profile: 'status (1 profile)', invocations: ONLINE_RUNS + 1, tokenRequests: emulator.tokenRequests() });
    const measured = await measurePages(emulator);
    Object.assign(rows.at(-1), { measuredFloorMs: measured, floor: `${rows.at(-1).floor}; bare fetch ${measured.toFixed(0)} ms` });
  } finally {
    await emulator.stop();
  }
}

/** A throwaway PostgreSQL cluster (scripts/postgres-cluster.mts), or undefined with the reason in the notes. */
async function startCluster() {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/postgres-cluster.mts')], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolveLine, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolveLine(text.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`the PostgreSQL cluster script exited ${code}`)));
  });
  const answer = JSON.parse(line);
  if (answer.skip) {
    notes.push(`The PostgreSQL figures were skipped: ${answer.skip}.`);
    return undefined;
  }
  return {
    url: answer.url,
    stop: () =>
      new Promise((done) => {
        child.once('exit', done);
        child.stdin.end();
      }),
  };
}

/**
 * `status` with RECORDS subscriptions on each backend, offline and online (LATENCY ms a request):
 * the file store, and the same state moved into PostgreSQL with `store export | store import`.
 * Each PostgreSQL figure's floor is the file store's, measured interleaved with it.
 */
async function stores() {
  const cluster = await startCluster();
  if (!cluster) return;
  const webhooks = makeWebhooks(RECORDS, { validForMs: 20 * DAY, ageMs: 10 * DAY, tag: 'stores' });
  const emulator = await startEmulator('stores', webhooks);
  try {
    const fileEnv = cliEnv(writeCliState(join(work, 'stores', 'config'), emulator.info, webhooks));
    const pgEnv = { ...cliEnv(join(work, 'stores', 'pg-config')), PROTIME_HOOKS_STORE: cluster.url };
    const exported = spawnSync(process.execPath, [BIN, 'store', 'export', '--include-secrets'], { env: fileEnv, encoding: 'utf8' });
    expectCode('store export', { ...exported, code: exported.status }, [0]);
    const imported = spawnSync(process.execPath, [BIN, 'store', 'import'], { env: pgEnv, input: exported.stdout, encoding: 'utf8' });
    expectCode('store import into PostgreSQL', { ...imported, code: imported.status }, [0]);
    await emulator.addLatency(LATENCY);
    const cases = [
      ['file', 'offline', fileEnv, ['status', '--offline']],
      ['PostgreSQL', 'offline', pgEnv, ['status', '--offline']],
      ['file', 'online', fileEnv, ['status', '--json']],
      ['PostgreSQL', 'online', pgEnv, ['status', '--json']],
    ];
    const runs = cases.map(() => []);
    // One untimed run each: the page cache, the token (each store caches its own).
    for (const [store, mode, env, args] of cases)
      expectCode(`status ${mode} (${store})`, await measure(process.execPath, [BIN, ...args], env), [0]);
    for (let i = 0; i < ONLINE_RUNS; i++) {
      for (const [c, [store, mode, env, args]] of cases.entries()) {
        const run = await measure(process.execPath, [BIN, ...args], env);
        expectCode(`status ${mode} (${store})`, run, [0]);
        runs[c].push(run);
      }
    }
    cases.forEach(([store, mode], c) => {
      const ms = median(runs[c].map((r) => r.ms));
      const fileMs = median(runs[c - (c % 2)].map((r) => r.ms));
      row({
        group: 'stores',
        name: `status ${mode === 'offline' ? '--offline' : 'online'}, ${RECORDS} subscriptions, ${store} store`,
        runs: ONLINE_RUNS,
        ms,
        floorMs: fileMs,
        floor: `the same on the file store (${fileMs.toFixed(0)} ms, measured)`,
        ratio: ms / fileMs,
        rssMB: mb(Math.max(...runs[c].map((r) => r.rssKB))),
        cpuS: median(runs[c].map((r) => r.cpuS)),
        samplesMs: runs[c].map((r) => Math.round(r.ms)),
      });
    });
  } finally {
    await emulator.stop();
    await cluster.stop();
  }
}

/** `subscribe` with RECORDS existing subscriptions (and webhooks) against the same with none; no added latency. */
async function subscribe() {
  const existing = makeWebhooks(RECORDS, { validForMs: 20 * DAY, ageMs: 10 * DAY, tag: 'existing' });
  const setups = [];
  try {
    for (const [name, webhooks] of [
      ['none', []],
      [`${RECORDS} existing`, existing],
    ]) {
      const emulator = await startEmulator(`subscribe-${setups.length}`, webhooks);
      setups.push({
        name,
        emulator,
        env: cliEnv(writeCliState(join(work, `subscribe-${setups.length}`, 'config'), emulator.info, webhooks)),
        times: [],
        rss: [],
      });
    }
    const once = async (setup, i) => {
      const run = await measure(process.execPath, [BIN, 'subscribe', 'contracts', '--url', `https://bench.example/new/${i}`], setup.env);
      expectCode(`subscribe (${setup.name})`, run, [0]);
      return run;
    };
    for (const setup of setups) await once(setup, 'warm-up'); // the token
    for (let i = 0; i < RUNS; i++) {
      for (const setup of setups) {
        const run = await once(setup, i);
        setup.times.push(run.ms);
        setup.rss.push(run.rssKB);
      }
    }
    const floor = median(setups[0].times);
    for (const setup of setups) {
      const ms = median(setup.times);
      row({
        group: 'subscribe',
        name: `subscribe, ${setup.name}`,
        runs: RUNS,
        ms,
        floorMs: floor,
        floor: `subscribe with none (${floor.toFixed(0)} ms, measured)`,
        ratio: ms / floor,
        target: setup === setups[1] ? { ratio: 1.2 } : null,
        rssMB: mb(Math.max(...setup.rss)),
        samplesMs: setup.times.map((t) => Math.round(t)),
      });
      tokens.push({
        profile: `subscribe, ${setup.name} (1 profile)`,
        invocations: RUNS + 1,
        tokenRequests: setup.emulator.tokenRequests(),
      });
    }
  } finally {
    for (const setup of setups) await setup.emulator.stop();
  }
}

/** `renew` of RENEW due subscriptions at LATENCY ms per request, once at `concurrency` (undefined: the default). */
async function renew(concurrency) {
  // Created 29 days ago, a day left: due under the default window (a third of the lifetime).
  const webhooks = makeWebhooks(RENEW, { validForMs: 1 * DAY, ageMs: 29 * DAY, tag: 'renew' });
  const emulator = await startEmulator(`renew-${concurrency ?? 'default'}`, webhooks);
  try {
    const configDir = writeCliState(join(work, `renew-${concurrency ?? 'default'}`, 'config'), emulator.info, webhooks);
    await emulator.addLatency(LATENCY);
    const profiling = opts['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(opts['cpu-prof'])] : [];
    const args = [...profiling, BIN, 'renew', '--json', ...(concurrency ? ['--concurrency', String(concurrency)] : [])];
    const emulatorCpu = cpuSeconds(emulator.child.pid);
    const run = await measure(process.execPath, args, cliEnv(configDir));
    const emulatorCpuS = cpuSeconds(emulator.child.pid) - emulatorCpu;
    expectCode('renew', run, [0]);
    const results = JSON.parse(run.stdout).results;
    // What is true afterwards, on both sides: every destination served once, by a webhook whose key we hold.
    const server = (await emulator.control('GET', '/webhooks')).filter((w) => w.status === 'Enabled');
    const store = JSON.parse(readFileSync(join(configDir, 'state.json'), 'utf8')).subscriptions.default;
    const perDestination = new Map();
    for (const w of server) perDestination.set(w.destinationUrl, (perDestination.get(w.destinationUrl) ?? 0) + 1);
    const keysHeld = server.filter((w) => store[w.id] && !store[w.id].deletedAt && store[w.id].key === w.key).length;
    const floor = RENEW * 2 * LATENCY;
    const requests = {
      create: emulator.count(/POST \/connector\/protimeapi\/api\/v1\/webhooks \d{3}/g),
      delete: emulator.count(/DELETE \/connector\/protimeapi\/api\/v1\/webhooks\/\S+ \d{3}/g),
      list: emulator.count(/GET \/connector\/protimeapi\/api\/v1\/webhooks(\?\S*)? \d{3}/g),
    };
    row({
      group: 'renew',
      name: `renew ${RENEW} due, --concurrency ${concurrency ?? '8 (default)'}`,
      runs: 1,
      ms: run.ms,
      floorMs: floor,
      floor: `${RENEW} × 2 × ${LATENCY} ms sequential (computed)`,
      ratio: run.ms / floor,
      target: concurrency ? null : { ratio: 0.16, rssMB: 150 },
      rssMB: mb(run.rssKB),
      cpuS: run.cpuS,
      emulatorCpuS,
      renewed: results.filter((r) => r.action === 'renewed').length,
      failed: results.filter((r) => r.action === 'failed').length,
      keysHeld,
      duplicates: [...perDestination.values()].filter((n) => n > 1).length,
      destinationsServed: perDestination.size,
      requests,
      stderrTail: run.stderr.slice(-2000),
    });
    tokens.push({
      profile: `renew --concurrency ${concurrency ?? 'default'} (1 profile)`,
      invocations: 1,
      tokenRequests: emulator.tokenRequests(),
    });
    const pair = await measurePair(emulator);
    const measured = pair * RENEW;
    Object.assign(rows.at(-1), {
      measuredFloorMs: measured,
      floor: `${rows.at(-1).floor}; bare fetch ${pair.toFixed(0)} ms a pair → ${fmtMs(measured)}`,
    });
  } finally {
    await emulator.stop();
  }
}

// ---------- the report ----------

const fmtMs = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 100 ? 1 : 0)} ms`);

function verdict(figure) {
  const t = figure.target;
  if (!t) return '';
  const parts = [];
  let ok = true;
  if (t.ratio !== undefined) {
    parts.push(`≤ ${t.ratio}×`);
    ok &&= figure.ratio <= t.ratio;
  }
  if (t.ms !== undefined) {
    parts.push(`≤ ${fmtMs(t.ms)}`);
    ok &&= figure.ms <= t.ms;
  }
  if (t.rssMB !== undefined) {
    parts.push(`RSS ≤ ${t.rssMB} MB`);
    ok &&= figure.rssMB <= t.rssMB;
  }
  figure.meetsTarget = ok;
  return `${parts.join(', ')}: ${ok ? 'met' : 'MISSED'}`;
}

function report(meta) {
  const lines = [
    `${meta.cpus} × ${meta.cpuModel}, node ${meta.node}, load ${meta.loadBefore.join(' ')} before, ${meta.loadAfter.join(' ')} after; ${meta.seconds} s in all`,
    '',
    '| figure | runs | median | floor | ratio | peak RSS | target |',
    '|---|---:|---:|---|---:|---:|---|',
  ];
  for (const f of rows) {
    lines.push(`| ${f.name} | ${f.runs} | ${fmtMs(f.ms)} | ${f.floor} | ${f.ratio.toFixed(2)}× | ${f.rssMB ?? '?'} MB | ${verdict(f)} |`);
  }
  const renews = rows.filter((f) => f.group === 'renew');
  if (renews.length) {
    lines.push(
      '',
      '| renew | renewed | failed | keys held | duplicates | requests (create/delete/list) | CLI CPU | emulator CPU |',
      '|---|---:|---:|---:|---:|---|---:|---:|',
    );
    for (const f of renews) {
      const r = f.requests;
      lines.push(
        `| ${f.name} | ${f.renewed} | ${f.failed} | ${f.keysHeld} | ${f.duplicates} | ${r.create}/${r.delete}/${r.list} | ${f.cpuS?.toFixed(1) ?? '?'} s | ${f.emulatorCpuS?.toFixed(1) ?? '?'} s |`,
      );
    }
  }
  if (tokens.length) {
    lines.push('', '| token requests | invocations | token requests |', '|---|---:|---:|');
    for (const t of tokens) lines.push(`| ${t.profile} | ${t.invocations} | ${t.tokenRequests} |`);
  }
  for (const note of notes) lines.push('', note);
  return lines.join('\n');
}

const started = Date.now();
const loadBefore = loadavg().map((l) => l.toFixed(2));
try {
  if (!existsSync(join(ROOT, 'dist/cli.mjs'))) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does).');
  if (ONLY.has('startup')) await startup();
  if (ONLY.has('status')) await statusOnline();
  if (ONLY.has('subscribe')) await subscribe();
  if (ONLY.has('renew')) {
    for (const c of opts['renew-concurrency'].split(',')) await renew(c === 'default' ? undefined : Number(c));
  }
  if (ONLY.has('stores')) await stores();
  if (!TIME) notes.push('Peak RSS polled from /proc/<pid>/status VmHWM (no /usr/bin/time): short runs may read low.');
  const meta = {
    date: new Date().toISOString(),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || null,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryMB: Math.round(totalmem() / 2 ** 20),
    kernel: release(),
    node: process.version,
    loadBefore,
    loadAfter: loadavg().map((l) => l.toFixed(2)),
    seconds: Math.round((Date.now() - started) / 1000),
    parameters: { runs: RUNS, onlineRuns: ONLINE_RUNS, records: RECORDS, renew: RENEW, latencyMs: LATENCY, pageSize: PAGE_SIZE },
  };
  const table = report(meta);
  console.log(table);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ ...meta, figures: rows, tokens, notes }, undefined, 2)}\n`);
  log(`wrote ${OUT}`);
} finally {
  cleanup();
}
