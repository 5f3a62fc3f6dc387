// `protime-hooks status --offline [--json]`, piped, answered from state.status (made by the CLI's
// status: commands/status-index.ts) without loading the CLI: commander, zod, the store and reading
// 800 KB of state and 1000 keys were most of its time. Built on its own into dist/fast-status.cjs,
// which the bin shim asks first. It answers only when the CLI would do nothing else: anything it
// does not know for sure (another flag, a terminal, a setting, a folder or file the CLI would fix
// or refuse, an index of another state file) and it gives way, and the CLI runs as always. The
// table is the index's cells with STATE and LEFT put in; the states, durations, order, summary and
// exit code are the CLI's own code, and --json is the CLI's result itself. A test compares the two.
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type IndexedRecord, type IndexedTable, readStatusIndex } from '../commands/status-index.js';
import { exitKind, ORDER, statusResult, summarize, summaryLine, summaryOf } from '../commands/status-report.js';
import { assess } from '../lifecycle/assess.js';
import { type SubscriptionState, stateAt, worstSeverity } from '../lifecycle/renewal.js';
import { formatDuration } from '../shared/duration.js';
import { EXIT } from '../shared/errors.js';
import { logLine } from '../shared/log.js';
import { isProfileName } from '../shared/names.js';
import { proxyPasswords } from '../shared/proxy.js';
import { spaces } from '../shared/text-table.js';
import { identityOf, STATE_FILE, STATUS_FILE, statusLine } from '../state/file-identity.js';
import { colorWanted, defaultConfigDir } from './options.js';

export interface Answer {
  stdout: string;
  stderr: string;
  code: number;
}

type Env = Record<string, string | undefined>;

/** The flags it answers; any other argument and the CLI runs. */
const FLAGS = new Set(['--offline', '--json']);
/** Settings that change nothing an offline status does (the CA file is read for requests only). */
const HARMLESS = new Set(['PROTIME_HOOKS_CONFIG_DIR', 'PROTIME_HOOKS_CA_FILE']);

export interface Terminal {
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

/** What the CLI would print and exit with, or undefined when it is the CLI's to answer. */
export function answer(args: string[], env: Env, cwd: string, terminal: Terminal, now = new Date()): Answer | undefined {
  if (args[0] !== 'status' || !args.includes('--offline') || !args.slice(1).every((a) => FLAGS.has(a))) return undefined;
  // A boxed table fitted to the terminal is cli-table3's work.
  if (terminal.stdoutIsTTY) return undefined;
  // The CLI reads ./.env, learns the secrets of stores and proxies, checks settings, debugs.
  if (existsSync(join(cwd, '.env')) || env.PGPASSWORD !== undefined || proxyPasswords(env).length > 0) return undefined;
  for (const name of Object.keys(env)) if (name.startsWith('PROTIME_HOOKS_') && !HARMLESS.has(name)) return undefined;
  const profile = env.PROTIME_PROFILE || 'default';
  const dir = env.PROTIME_HOOKS_CONFIG_DIR || defaultConfigDir(env);
  if (!isProfileName(profile) || !dir) return undefined;
  const json = args.includes('--json');
  const bytes = currentIndex(dir);
  const entry = bytes && readStatusIndex(bytes, profile, json ? 'records' : 'table');
  // Secrets the CLI would scrub, no such profile (the CLI says so), or a keys file it keeps in step.
  if (!entry?.clean || entry.keysFile) return undefined;
  const { stdout, kind, summary } = entry.records
    ? asJson(profile, entry.tenant, entry.records, now)
    : asTable(profile, entry.table!, now.getTime());
  const level = kind === 'ok' ? 'info' : kind === 'attention' ? 'warn' : 'error';
  const stderr = logLine(level, summary, terminal.stderrIsTTY && colorWanted(true, env));
  return { stdout, stderr, code: EXIT[kind] };
}

interface Printed {
  stdout: string;
  kind: ReturnType<typeof worstSeverity>;
  summary: string;
}

function asJson(profile: string, tenant: string, records: IndexedRecord[], now: Date): Printed {
  // Keyed by position: assess goes through them in order, as through the state's records.
  const result = statusResult({ profile, tenant, now, offline: true }, assess(Object.fromEntries(records.entries()), undefined, now));
  return { stdout: `${JSON.stringify(result, null, 2)}\n`, kind: exitKind(result), summary: summarize(result) };
}

/** What `table` would lay out for the entries statusResult would give, in its order: see status-index.ts. */
function asTable(profile: string, { rows, head }: IndexedTable, nowMs: number): Printed {
  const states: SubscriptionState[] = new Array(rows.length);
  const lefts: string[] = new Array(rows.length);
  const counts = new Map<SubscriptionState, number>();
  let stateWidth = 'STATE'.length;
  let leftWidth = 'LEFT'.length;
  for (let k = 0; k < rows.length; k++) {
    const [, , , validUntil, due, disabled, held] = rows[k]!;
    const state = stateAt(nowMs, validUntil, disabled, held, due);
    const left = formatDuration(Math.floor((validUntil - nowMs) / 1000));
    states[k] = state;
    lefts[k] = left;
    counts.set(state, (counts.get(state) ?? 0) + 1);
    if (state.length > stateWidth) stateWidth = state.length;
    if (left.length > leftWidth) leftWidth = left.length;
  }
  // No trimEnd, as the CLI's layout has: each line ends in the KEY cell, never blank.
  const line = (cells: readonly [string, string, string, ...unknown[]], state: string, left: string) =>
    `${cells[0]}${state}${spaces(stateWidth - state.length + 2)}${cells[1]}${left}${spaces(leftWidth - left.length + 2)}${cells[2]}\n`;
  let stdout = rows.length === 0 ? '' : line(head, 'STATE', 'LEFT');
  // Rows come in order of validUntil: taken state by state, they are in statusResult's order.
  for (const state of ORDER) {
    if (!counts.has(state)) continue;
    for (let k = 0; k < rows.length; k++) if (states[k] === state) stdout += line(rows[k]!, state, lefts[k]!);
  }
  const summary = summaryLine(summaryOf(counts, 0), rows.length, profile, true, true);
  return { stdout, kind: worstSeverity(counts.keys()), summary };
}

/** state.status after its first line, if it was made from the state file there now and the CLI would find nothing to fix. */
function currentIndex(dir: string): Buffer | undefined {
  const folder = statSync(dir, { throwIfNoEntry: false });
  // The CLI tightens a folder or file others can reach, with a warning; and refuses a link.
  if (!folder?.isDirectory() || folder.uid !== process.getuid?.() || (folder.mode & 0o077) !== 0) return undefined;
  const state = lstatSync(join(dir, STATE_FILE), { bigint: true, throwIfNoEntry: false });
  if (!state?.isFile() || (state.mode & 0o077n) !== 0n) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, STATUS_FILE));
  } catch {
    return undefined;
  }
  const line = Buffer.from(statusLine(identityOf(state)));
  return bytes.subarray(0, line.length).equals(line) ? bytes.subarray(line.length) : undefined;
}
