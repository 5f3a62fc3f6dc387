import { describe, expect, it } from 'vitest';
import { PLAIN_STORE_VERSION } from '../../src/state/schemas.js';
import { exportDocument, importInto, parseExport } from '../../src/state/transfer.js';
import { makeProfile, makeRecord } from './fixtures/records.js';

const NOW = new Date('2026-12-02T12:00:00Z');

describe('store export → import', () => {
  it('moves a profile that never fetched a token (no token field at all), with its secret and records', () => {
    const profile = makeProfile();
    delete profile.token;
    const record = makeRecord({ id: 'wh-1' });
    const from = { schemaVersion: PLAIN_STORE_VERSION, profiles: { default: profile }, subscriptions: { default: { 'wh-1': record } } };
    const text = JSON.stringify(exportDocument(from, { includeSecrets: true, source: 'test', now: NOW }));
    expect(JSON.parse(text).profiles.default).not.toHaveProperty('token');
    const to = { schemaVersion: PLAIN_STORE_VERSION, profiles: {}, subscriptions: {} };
    const report = importInto(to, parseExport(text, 'stdin'));
    expect(report.skipped).toEqual([]);
    expect(to.profiles).toEqual({ default: profile });
    expect(to.subscriptions).toEqual({ default: { 'wh-1': record } });
  });
});
