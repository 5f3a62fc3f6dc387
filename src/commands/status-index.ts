// state.status, after the identity line (state/status-index.ts): what `status --offline` prints,
// made from the state by the CLI for its fast path (cli/fast-status.ts), which then reads no state
// and no keys. Per profile, the table's cells that time does not change, laid out as the CLI lays
// them out, with the two instants that decide each row's state; and the records --json assesses.
import { isDisabled, lacking, renewAfter } from '../lifecycle/renewal.js';
import { isLive } from '../lifecycle/subscriptions.js';
import { SecretScrubber } from '../shared/redact.js';
import { spaces, visibleLength } from '../shared/text-table.js';
import type { StoreData, SubscriptionRecord } from '../state/schemas.js';
import { learnSecrets } from '../state/store.js';
import { COLUMNS } from './status-report.js';

/** A live record as --json assesses it; `key` only says whether one is held. */
export type IndexedRecord = Pick<SubscriptionRecord, 'id' | 'collection' | 'destinationUrl' | 'status' | 'validUntil' | 'createdAt'> & {
  key: boolean;
  deployPending?: true;
};

/**
 * A row: the cells before STATE, those between STATE and LEFT, those after LEFT (each padded as
 * the CLI pads it), then validUntil and the renewal instant in ms, whether it is disabled, and
 * what it lacks (renewal.ts's lacking). A validUntil that is no time fails the index (as it fails
 * the CLI's status): the CLI answers.
 */
export type IndexedRow = [string, string, string, number, number, boolean, ReturnType<typeof lacking>];

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
  const shown: string[] = [];
  const profiles: StatusIndex['profiles'] = {};
  for (const [name, profile] of Object.entries(data.profiles)) {
    const live = Object.values(data.subscriptions[name] ?? {}).filter(isLive);
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
  // The secrets the CLI's scrubber would know of: every one the state holds.
  const scrubber = new SecretScrubber();
  learnSecrets(scrubber, data);
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

function table(live: SubscriptionRecord[]): IndexedTable {
  const records = [...live].sort((a, b) => (a.validUntil < b.validUntil ? -1 : a.validUntil > b.validUntil ? 1 : 0));
  const due = records.map((r) => renewAfter(new Date(r.validUntil), r.createdAt ? new Date(r.createdAt) : undefined));
  // STATE (3) and LEFT (5) change with time: the fast path puts them in, and pads them.
  const cells = records.map((r, k) => [
    r.id,
    r.collection,
    r.destinationUrl,
    '',
    r.validUntil,
    '',
    due[k]!.toISOString(),
    r.key ? 'held' : 'missing',
  ]);
  const rows = [COLUMNS.map((c) => c.head), ...cells];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => visibleLength(row[i]!))));
  const pad = (row: string[], i: number) => row[i]! + spaces(widths[i]! - visibleLength(row[i]!) + 2);
  const parts = (row: string[]): [string, string, string] => [pad(row, 0) + pad(row, 1) + pad(row, 2), pad(row, 4), pad(row, 6) + row[7]];
  return {
    head: parts(rows[0]!),
    rows: records.map((r, k) => [
      ...parts(cells[k]!),
      Date.parse(r.validUntil),
      due[k]!.getTime(),
      isDisabled(r.status),
      lacking(Boolean(r.key), r.deployPending),
    ]),
  };
}
