import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { api, closeAll, control, createWebhook, getToken, startTestEmulator } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'protime-emulator-'));
});
afterEach(async () => {
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('emulator state file', () => {
  it('keeps webhooks, keys and the changeVersion counter across a restart, but not tokens', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startTestEmulator({ stateFile });
    const oldToken = await getToken(first);
    const webhook = await createWebhook(first, oldToken, 'contracts', 'http://127.0.0.1:9/x');
    const emitted = await control(first, 'POST', '/events', { collectionName: 'people', count: 3 });
    expect(emitted.body.emitted).toBe(3);
    await first.close();

    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']); // no temp file left behind

    const second = await startTestEmulator({ stateFile });
    expect((await api(second, oldToken, 'GET', '/webhooks')).status).toBe(401);
    const token = await getToken(second);
    const listed = await api(second, token, 'GET', '/webhooks');
    expect(listed.body.value).toEqual([expect.objectContaining({ id: webhook.id, status: 'Enabled', validUntil: webhook.validUntil })]);
    expect((await control(second, 'GET', '/webhooks')).body[0].key).toBe(webhook.key);

    // changeVersions keep increasing after the restart: compare the next one with the saved counter.
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { changeVersion: string };
    const next = await control(second, 'POST', '/events', { collectionName: 'contracts', count: 1 });
    expect(next.body.deliveries[0].changeVersion > saved.changeVersion).toBe(true);
  });

  it('saves changes that come together in one write, within a moment, without waiting for close', async () => {
    const stateFile = join(dir, 'state.json');
    const emulator = await startTestEmulator({ stateFile });
    const token = await getToken(emulator);
    const made = await Promise.all(
      Array.from({ length: 5 }, (_, i) => createWebhook(emulator, token, 'contracts', `http://127.0.0.1:9/batch-${i}`)),
    );
    const saved = () => {
      try {
        return (JSON.parse(readFileSync(stateFile, 'utf8')) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id);
      } catch {
        return [];
      }
    };
    const deadline = Date.now() + 5_000;
    while (saved().length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(saved().sort()).toEqual(made.map((w) => w.id).sort());
  });

  it('records a delete in the file', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startTestEmulator({ stateFile });
    const token = await getToken(first);
    const webhook = await createWebhook(first, token);
    await api(first, token, 'DELETE', `/webhooks/${webhook.id}`);
    await first.close();
    const second = await startTestEmulator({ stateFile });
    const fetched = await api(second, await getToken(second), 'GET', `/webhooks/${webhook.id}`);
    expect(fetched.body.status).toBe('Disabled');
  });

  it('refuses to start on a corrupt state file instead of wiping it', async () => {
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, '{"webhooks": ');
    await expect(startEmulator({ port: 0, stateFile })).rejects.toThrow(/not valid JSON/);
    writeFileSync(stateFile, '{"version": 2, "webhooks": []}');
    await expect(startEmulator({ port: 0, stateFile })).rejects.toThrow(/not an emulator state file/);
  });
});
