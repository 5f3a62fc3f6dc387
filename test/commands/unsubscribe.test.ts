import { expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { makeRecord, NOW } from '../helpers/protime.js';
import { mockDelete, records, URL } from './renew-helpers.js';

forEachBackend('unsubscribe', (backend) => {
  it('refuses without --yes when there is no terminal (exit 2) and deletes nothing', async () => {
    const { dir } = backend;
    const record = makeRecord();
    await backend.seed({ records: [record] });

    const human = await backend.run(['unsubscribe', record.id, '--config-dir', dir], { now: NOW });
    expect(human.code).toBe(2);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain(`Not deleted: ${record.id}.`);
    expect(human.stderr).toContain('Pass --yes');

    const json = await backend.run(['unsubscribe', record.id, '--json', '--config-dir', dir], { now: NOW });
    expect(json.code).toBe(2);
    expect(json.json().error).toMatchObject({ code: 'confirmation-required', status: null });
    expect((await records(backend))[record.id]).toEqual(record);
  });

  it('with --yes deletes on the server and keeps the record marked deleted, without its key', async () => {
    const { dir } = backend;
    const record = makeRecord();
    await backend.seed({ records: [record] });
    mockDelete(record.id);

    const result = await backend.run(['unsubscribe', record.id, '--yes', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ id: record.id, deleted: true });
    expect(result.stderr).toContain(`Deleted ${record.id} (contracts → ${URL}).`);
    expect((await records(backend))[record.id]).toEqual({ ...record, key: null, deletedAt: NOW.toISOString() });
  });

  it('asks on a terminal and deletes on "y"', async () => {
    const { dir } = backend;
    const record = makeRecord();
    await backend.seed({ records: [record] });
    mockDelete(record.id);
    const result = await backend.run(['unsubscribe', record.id, '--config-dir', dir], { now: NOW, tty: true, stdin: 'y\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`Delete the contracts webhook to ${URL}?`);
    expect((await records(backend))[record.id]!.deletedAt).toBe(NOW.toISOString());
  });

  it('a deliberate "no" on a terminal deletes nothing, says so and exits 0 (JSON deleted: false)', async () => {
    const { dir } = backend;
    const record = makeRecord();
    await backend.seed({ records: [record] });
    const result = await backend.run(['unsubscribe', record.id, '--json', '--config-dir', dir], { now: NOW, tty: true, stdin: 'n\n' });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ id: record.id, deleted: false });
    expect(result.stderr).toContain(`Not deleted: ${record.id}.`);
    expect((await records(backend))[record.id]).toEqual(record);
  });

  it('a 404 for a known record warns and still marks it deleted (exit 0)', async () => {
    const { dir } = backend;
    const record = makeRecord();
    await backend.seed({ records: [record] });
    mockDelete(record.id, 404);
    const result = await backend.run(['unsubscribe', record.id, '--yes', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ id: record.id, deleted: true });
    expect(result.stderr).toContain(`Protime no longer knows ${record.id}`);
    expect((await records(backend))[record.id]).toMatchObject({ key: null, deletedAt: NOW.toISOString() });
  });

  it('an id known nowhere is not-owned (exit 2, nothing sent); with --force a 404 is not-found (exit 1)', async () => {
    const { dir } = backend;
    await backend.seed();
    const refused = await backend.run(['unsubscribe', 'ghost', '--yes', '--json', '--config-dir', dir], { now: NOW });
    expect(refused.code).toBe(2);
    expect(refused.json().error).toMatchObject({ code: 'not-owned' });
    expect(refused.json().error.hint).toContain('--force');
    mockDelete('ghost', 404);
    const result = await backend.run(['unsubscribe', 'ghost', '--yes', '--force', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(1);
    expect(result.json().error).toMatchObject({ code: 'not-found', status: 404 });
    expect(result.json().error.message).toContain('ghost');
    expect(await records(backend)).toEqual({});
  });

  it('an already deleted record is a usage error (exit 2) and sends nothing', async () => {
    const { dir } = backend;
    const record = makeRecord({ deletedAt: '2026-05-30T00:00:00.000Z', key: null });
    await backend.seed({ records: [record] });
    const result = await backend.run(['unsubscribe', record.id, '--yes', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(2);
    expect(result.json().error).toMatchObject({ code: 'already-deleted' });
    expect(result.json().error.message).toContain('2026-05-30T00:00:00.000Z');
    expect((await records(backend))[record.id]).toEqual(record);
  });

  it('a server failure leaves the record as it was (exit 75)', async () => {
    const { dir } = backend;
    const record = makeRecord();
    await backend.seed({ records: [record] });
    mockDelete(record.id, 503, 4);
    const result = await backend.run(['unsubscribe', record.id, '--yes', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(75);
    expect(result.json().error).toMatchObject({ code: 'server-error', status: 503 });
    expect((await records(backend))[record.id]).toEqual(record);
  });
});
