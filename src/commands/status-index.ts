// state.status, after the identity line (state/status-index.ts): what `status --offline` prints,
// made from the state by the CLI for its fast path (cli/fast-status.ts), which then reads no state
// and no keys. Per profile, the table's cells that time does not change, laid out as the CLI lays
// them out, with the two instants that decide each row's state; and the records --json assesses.
import { renewAfter } from '../lifecycle/renewal.js';
import { SecretScrubber } from '../shared/redact.js';
import { spaces, visibleLength } from '../shared/text-table.js';
import type { StoreData, SubscriptionRecord } from '../state/schemas.js';
import { COLUMNS } from './status-report.js';

/** A live record as --json assesses it; `key` only says whether one is held. */
export type IndexedRecord = Pick<SubscriptionRecord, 'id' | 'collection' | 'destinationUrl' | 'status' | 'validUntil' | 'createdAt'> & {
  key: boolean;
  deployPending?: true;
};

/**
 * A row: the cells before STATE, those between STATE and LEFT, those after LEFT (each padded as
 * the CLI pads it), then validUntil and the renewal instant in ms, whether it is disabled, and
 * what it lacks (stateAt's `held`). A validUntil that is no time fails the index (as it fails
 * the CLI's status): the CLI answers.
 */
export type IndexedRow = [string, string, string, number, number, boolean, 'unknown-key' | 'deploy-pending' | null];

/** A profile's table: what --offline prints without --json. */
export interface IndexedTable {
  /** The header, as a row's three parts. */
  head: [string, string, string];
  /** In order of validUntil, as the table sorts within a state. */
  rows: IndexedRow[];
}

export interface IndexedProfile {
  tenant: string;
  keysFile: boolean;
  table: IndexedTable;
  records: IndexedRecord[];
}

export interface StatusIndex {
  /**
   * No secret of the state, in any form the scrubber knows, stands in what the index holds: else
   * the CLI, which scrubs, prints the status instead.
   */
  clean: boolean;
  profiles: Record<string, IndexedProfile>;
}

export function statusIndex(data: StoreData): StatusIndex {
  const scrubber = new SecretScrubber();
  const shown: string[] = [];
  const profiles: StatusIndex['profiles'] = {};
  for (const [name, profile] of Object.entries(data.profiles)) {
    scrubber.add(profile.clientSecret);
    scrubber.add(profile.token?.accessToken);
    const live = Object.values(data.subscriptions[name] ?? {}).filter((r) => !r.deletedAt && !r.replacedBy);
    const records = live.map(({ id, collection, destinationUrl, status, validUntil, createdAt, key, deployPending }): IndexedRecord => {
      shown.push(id, collection, destinationUrl, status, validUntil, createdAt);
      return {
        id,
        collection,
        destinationUrl,
        status,
        validUntil,
        createdAt,
        key: Boolean(key),
        ...(deployPending ? { deployPending: true } : {}),
      };
    });
    profiles[name] = { tenant: profile.tenant, keysFile: Boolean(profile.keysFile), table: table(live), records };
    shown.push(name, profile.tenant);
  }
  // Replaced records' keys too: the CLI scrubs every key the state holds.
  for (const records of Object.values(data.subscriptions)) {
    for (const record of Object.values(records)) scrubber.add(record.key, { data: true });
  }
  const text = shown.join('\n');
  return { clean: scrubber.scrub(text) === text, profiles };
}

/**
 * The index as state.status holds it after its first line: a line of what each profile is, then
 * a line for each profile's table and one for its records, so a reader parses only what it prints.
 */
export function statusIndexText(data: StoreData): string {
  const { clean, profiles } = statusIndex(data);
  const names = Object.keys(profiles);
  const about = Object.fromEntries(
    names.map((name, at) => [name, { tenant: profiles[name]!.tenant, keysFile: profiles[name]!.keysFile, at }]),
  );
  const lines = [JSON.stringify({ clean, profiles: about })];
  for (const name of names) lines.push(JSON.stringify(profiles[name]!.table), JSON.stringify(profiles[name]!.records));
  return `${lines.join('\n')}\n`;
}

/**
 * One profile of the index in `bytes` (state.status after its first line): only the part asked
 * for is decoded. Undefined when the profile is not there, or the index is cut short.
 */
export function readStatusIndex(
  bytes: Buffer,
  profile: string,
  part: 'table' | 'records',
): (Pick<IndexedProfile, 'tenant' | 'keysFile'> & Partial<Pick<IndexedProfile, 'table' | 'records'>> & { clean: boolean }) | undefined {
  const lines: Array<[number, number]> = [];
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(10, start);
    if (end === -1) return undefined;
    lines.push([start, end]);
    start = end + 1;
  }
  const parse = (line: [number, number] | undefined) => line && JSON.parse(bytes.toString('utf8', line[0], line[1]));
  const about = parse(lines[0]) as
    | { clean: boolean; profiles: Record<string, { tenant: string; keysFile: boolean; at: number }> }
    | undefined;
  const entry = about && Object.hasOwn(about.profiles, profile) ? about.profiles[profile]! : undefined;
  const value = entry && parse(lines[1 + 2 * entry.at + (part === 'table' ? 0 : 1)]);
  if (!entry || value === undefined) return undefined;
  return { clean: about!.clean, tenant: entry.tenant, keysFile: entry.keysFile, [part]: value };
}

/** Columns of the table whose cells do not change with time: all but STATE (3) and LEFT (5). */
const FIXED = [0, 1, 2, 4, 6, 7];

function table(live: SubscriptionRecord[]): IndexedTable {
  const records = [...live].sort((a, b) => (a.validUntil < b.validUntil ? -1 : a.validUntil > b.validUntil ? 1 : 0));
  const cells = records.map((r) => {
    const renewal = renewAfter(new Date(r.validUntil), r.createdAt ? new Date(r.createdAt) : undefined);
    return [r.id, r.collection, r.destinationUrl, '', r.validUntil, '', renewal.toISOString(), r.key ? 'held' : 'missing'];
  });
  const heads = COLUMNS.map((c) => c.head);
  const widths = FIXED.map((i) => Math.max(...[heads, ...cells].map((row) => visibleLength(row[i]!))));
  const pad = (row: string[], i: number) => row[i]! + spaces(widths[FIXED.indexOf(i)]! - visibleLength(row[i]!) + 2);
  const parts = (row: string[]): [string, string, string] => [pad(row, 0) + pad(row, 1) + pad(row, 2), pad(row, 4), pad(row, 6) + row[7]];
  return {
    head: parts(heads),
    rows: records.map((r, k) => {
      const held = !r.key ? 'unknown-key' : r.deployPending ? 'deploy-pending' : null;
      return [...parts(cells[k]!), Date.parse(r.validUntil), Date.parse(cells[k]![6]!), r.status.toLowerCase() === 'disabled', held];
    }),
  };
}
