import { describe, expect, it } from 'vitest';
import { render as renderKeys } from '../../src/commands/keys.js';
import { type RenewItem, render as renderRenew } from '../../src/commands/renew.js';
import { render as renderStatus, type StatusEntry, type StatusResult } from '../../src/commands/status.js';
import type { View } from '../../src/shared/output.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const terminal = (columns: number): View => ({ tty: true, color: false, now: NOW, columns });
const piped: View = { tty: false, color: false, now: NOW };
const widest = (text: string) => Math.max(...text.split('\n').map((line) => line.length));

function entry(overrides: Partial<StatusEntry>): StatusEntry {
  return {
    id: '3f2b9c1e-8a4d-4e6f-9b7a-1c2d3e4f5a6b',
    collection: 'contracts',
    destinationUrl: 'https://hooks.acme.example/protime/contracts',
    status: 'Enabled',
    validUntil: '2026-06-21T12:00:00.000Z',
    secondsLeft: 20 * 86_400,
    state: 'ok',
    hasKey: true,
    renewAfter: '2026-06-14T12:00:00.000Z',
    deleteFailing: null,
    ...overrides,
  } as StatusEntry;
}

const STATUS: StatusResult = {
  profile: 'default',
  tenant: 'acme',
  checkedAt: NOW.toISOString(),
  offline: false,
  unreadable: [],
  subscriptions: [
    entry({ id: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e', state: 'missing', hasKey: true, status: null }),
    entry({
      id: '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d',
      collection: 'people',
      destinationUrl: 'https://hooks.acme.example/protime/people',
      state: 'renew-due',
      validUntil: '2026-06-03T12:00:00.000Z',
      secondsLeft: 2 * 86_400,
      renewAfter: '2026-05-25T12:00:00.000Z',
    }),
    entry({}),
  ],
  summary: {
    ok: 1,
    renewDue: 1,
    expired: 0,
    disabled: 0,
    missing: 1,
    unknownKey: 0,
    replaced: 0,
    deployPending: 0,
    foreign: 0,
    deleteFailing: 0,
    unreadable: 0,
  },
};

describe('the status table fits the terminal', () => {
  it('is whole at 200 columns', () => {
    const text = renderStatus(STATUS, terminal(200));
    expect(text).toMatchInlineSnapshot(`
      "┌──────────────────────────────────────┬────────────┬──────────────────────────────────────────────┬───────────┬──────────────────────────┬──────┬──────────────────────────┬──────┐
      │ ID                                   │ COLLECTION │ DESTINATION                                  │ STATE     │ VALID UNTIL              │ LEFT │ RENEW AFTER              │ KEY  │
      ├──────────────────────────────────────┼────────────┼──────────────────────────────────────────────┼───────────┼──────────────────────────┼──────┼──────────────────────────┼──────┤
      │ 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e │ contracts  │ https://hooks.acme.example/protime/contracts │ missing   │ 2026-06-21T12:00:00.000Z │ 20d  │ 2026-06-14T12:00:00.000Z │ held │
      │ 7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d │ people     │ https://hooks.acme.example/protime/people    │ renew-due │ 2026-06-03T12:00:00.000Z │ 2d   │ 2026-05-25T12:00:00.000Z │ held │
      │ 3f2b9c1e-8a4d-4e6f-9b7a-1c2d3e4f5a6b │ contracts  │ https://hooks.acme.example/protime/contracts │ ok        │ 2026-06-21T12:00:00.000Z │ 20d  │ 2026-06-14T12:00:00.000Z │ held │
      └──────────────────────────────────────┴────────────┴──────────────────────────────────────────────┴───────────┴──────────────────────────┴──────┴──────────────────────────┴──────┘
      "
    `);
  });

  it('shortens ids and times and leaves RENEW AFTER out at 120 columns', () => {
    const text = renderStatus(STATUS, terminal(120));
    expect(widest(text)).toBeLessThanOrEqual(120);
    expect(text).toMatchInlineSnapshot(`
      "┌───────────┬────────────┬──────────────────────────────────────────────┬───────────┬───────────────────┬──────┬──────┐
      │ ID        │ COLLECTION │ DESTINATION                                  │ STATE     │ VALID UNTIL       │ LEFT │ KEY  │
      ├───────────┼────────────┼──────────────────────────────────────────────┼───────────┼───────────────────┼──────┼──────┤
      │ 0b1c2d3e… │ contracts  │ https://hooks.acme.example/protime/contracts │ missing   │ 2026-06-21 12:00Z │ 20d  │ held │
      │ 7a8b9c0d… │ people     │ https://hooks.acme.example/protime/people    │ renew-due │ 2026-06-03 12:00Z │ 2d   │ held │
      │ 3f2b9c1e… │ contracts  │ https://hooks.acme.example/protime/contracts │ ok        │ 2026-06-21 12:00Z │ 20d  │ held │
      └───────────┴────────────┴──────────────────────────────────────────────┴───────────┴───────────────────┴──────┴──────┘
      "
    `);
  });

  it('keeps id, collection, destination, state and time left at 80 columns, wrapping the URL', () => {
    const text = renderStatus(STATUS, terminal(80));
    expect(widest(text)).toBeLessThanOrEqual(80);
    expect(text).toMatchInlineSnapshot(`
      "┌───────────┬────────────┬──────────────────────────────────┬───────────┬──────┐
      │ ID        │ COLLECTION │ DESTINATION                      │ STATE     │ LEFT │
      ├───────────┼────────────┼──────────────────────────────────┼───────────┼──────┤
      │ 0b1c2d3e… │ contracts  │ https://hooks.acme.example/proti │ missing   │ 20d  │
      │           │            │ me/contracts                     │           │      │
      │ 7a8b9c0d… │ people     │ https://hooks.acme.example/proti │ renew-due │ 2d   │
      │           │            │ me/people                        │           │      │
      │ 3f2b9c1e… │ contracts  │ https://hooks.acme.example/proti │ ok        │ 20d  │
      │           │            │ me/contracts                     │           │      │
      └───────────┴────────────┴──────────────────────────────────┴───────────┴──────┘
      "
    `);
  });

  it('never exceeds a very narrow terminal', () => {
    for (const columns of [20, 30, 40, 50, 60, 70]) expect(widest(renderStatus(STATUS, terminal(columns)))).toBeLessThanOrEqual(columns);
  });

  it('stays plain, whole and aligned when piped, whatever the width', () => {
    expect(renderStatus(STATUS, { ...piped, columns: 40 })).toBe(renderStatus(STATUS, piped));
    expect(renderStatus(STATUS, piped)).toMatchInlineSnapshot(`
      "ID                                    COLLECTION  DESTINATION                                   STATE      VALID UNTIL               LEFT  RENEW AFTER               KEY
      0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e  contracts   https://hooks.acme.example/protime/contracts  missing    2026-06-21T12:00:00.000Z  20d   2026-06-14T12:00:00.000Z  held
      7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d  people      https://hooks.acme.example/protime/people     renew-due  2026-06-03T12:00:00.000Z  2d    2026-05-25T12:00:00.000Z  held
      3f2b9c1e-8a4d-4e6f-9b7a-1c2d3e4f5a6b  contracts   https://hooks.acme.example/protime/contracts  ok         2026-06-21T12:00:00.000Z  20d   2026-06-14T12:00:00.000Z  held
      "
    `);
  });
});

const KEY = 'L9pHzeZKS+/jlxUlqEqyLKI49LI/KfSK5GVjvMaW5oU=';

/** The cells of one column of a boxed table, wrapped lines joined. */
function column(text: string, head: string): string {
  const rows = text.split('\n').filter((line) => line.startsWith('│'));
  const cells = (line: string) => line.split('│').slice(1, -1);
  const at = cells(rows[0]!).findIndex((cell) => cell.trim() === head);
  return rows
    .slice(1)
    .map((line) => cells(line)[at]!.trim())
    .join('');
}

describe('the other tables fit too', () => {
  const renewed: RenewItem = {
    action: 'renewed',
    oldId: '3f2b9c1e-8a4d-4e6f-9b7a-1c2d3e4f5a6b',
    newId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
    collection: 'contracts',
    destinationUrl: 'https://hooks.acme.example/protime/contracts',
    key: KEY,
    validUntil: '2026-07-01T12:00:00.000Z',
    error: null,
    errorCode: null,
    deployed: null,
    hookErrors: [],
  };

  it('renew at 80 columns: short ids, and the new key wrapped, never cut', () => {
    const text = renderRenew({ profile: 'default', results: [renewed] }, terminal(80));
    expect(widest(text)).toBeLessThanOrEqual(80);
    expect(column(text, 'KEY')).toBe(KEY);
    expect(text).toContain('9d8c7b6a…');
    expect(widest(renderRenew({ profile: 'default', results: [renewed] }, terminal(200)))).toBeGreaterThan(80);
  });

  it('keys at 80 columns: the key wrapped whole', () => {
    const keys = [
      {
        id: renewed.newId!,
        collection: 'contracts',
        destinationUrl: renewed.destinationUrl!,
        key: KEY,
        validUntil: renewed.validUntil!,
        current: true,
      },
      {
        id: renewed.oldId,
        collection: 'contracts',
        destinationUrl: renewed.destinationUrl!,
        key: KEY.replace('L9', 'Q7'),
        validUntil: '2026-06-21T12:00:00.000Z',
        current: false,
      },
    ];
    const text = renderKeys(keys, terminal(80));
    expect(widest(text)).toBeLessThanOrEqual(80);
    expect(column(text, 'KEY')).toBe(KEY + KEY.replace('L9', 'Q7'));
  });
});
