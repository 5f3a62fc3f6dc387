/**
 * End-to-end: signed deliveries from an emulator process to a `listen` process, both the built binary.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, freePort, removeTempDirs, stopAll } from './emulator-process.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const sign = (key: string, body: string) => createHmac('sha256', key).update(body).digest('base64');

function ndjson(stdout: string): any[] {
  expect(stdout.endsWith('\n'), `NDJSON ends with a newline: ${JSON.stringify(stdout)}`).toBe(true);
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
}

async function listening(user: CliUser, count: number) {
  const port = await freePort();
  const listen = user.spawn(['listen', '--port', String(port), '--count', String(count)]);
  await listen.waitFor('stderr', /Listening on http:\/\/127\.0\.0\.1:\d+\//);
  return { listen, url: `http://127.0.0.1:${port}/` };
}

describe('binary against the emulator: deliveries to listen', { timeout: 30_000 }, () => {
  it('a triggered contracts event reaches listen, verified, as exactly one NDJSON line; listen then exits 0 by itself', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    const { listen, url } = await listening(user, 1);
    const created = expectExit(await user.run(['subscribe', 'contracts', '--url', url, '--json']), 0, 'subscribe').json();
    expect(created.destinationUrl).toBe(url);

    const trigger = expectExit(await user.run(['emulator', 'trigger', 'contracts', '--emulator-url', emulator.url]), 0, 'trigger');
    expect(trigger.stdout).toMatch(/^emitted\s+1$/m);
    expect(trigger.stdout).toMatch(/^deliveries\s+1$/m);

    const exit = await listen.waitForExit(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const lines = ndjson(listen.stdout);
    expect(lines).toHaveLength(1);
    const delivery = lines[0];
    expect(delivery).toEqual({
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      subscriptionId: created.id,
      verified: true,
      changeType: 'InsertOrUpdate',
      changeVersion: expect.stringMatching(/^[0-9A-F]{20}$/),
      event: { changeType: 'InsertOrUpdate', data: expect.any(Object) },
      forwarded: null,
    });
    expect(delivery.event.data).toMatchObject({
      id: expect.any(Number),
      person: { id: expect.any(Number) },
      code: expect.stringMatching(/^CT\d+$/),
      from: expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
      contractHoursInMinutes: expect.any(Number),
      kind: expect.stringMatching(/^(Contract|Addendum)$/),
      changeVersion: delivery.changeVersion,
    });
    expect(listen.stderr).toContain('1 verified, 0 rejected');
  });

  it('a delivery signed with a wrong key, or not signed, is answered 401 and printed with verified:false', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    const { listen, url } = await listening(user, 3);
    const created = expectExit(await user.run(['subscribe', 'contracts', '--url', url, '--json']), 0, 'subscribe').json();
    const body = JSON.stringify({ changeType: 'InsertOrUpdate', data: { id: 42, changeVersion: '00000902000000000001' } });

    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-Protime-Signature': sign(`${created.key}x`, body),
        'X-Protime-Webhook-Id': created.id,
      },
      body,
    });
    expect(forged.status).toBe(401);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    // Control: the same body signed with the key subscribe stored is accepted.
    const genuine = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Protime-Signature': sign(created.key, body) },
      body,
    });
    expect(genuine.status).toBe(204);

    expect(await listen.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    const lines = ndjson(listen.stdout);
    expect(lines.map((l) => l.verified)).toEqual([false, false, true]);
    expect(lines[0]).toMatchObject({
      subscriptionId: created.id,
      changeType: 'InsertOrUpdate',
      changeVersion: '00000902000000000001',
      event: { data: { id: 42 } },
    });
    expect(lines[1]).toMatchObject({ subscriptionId: null, verified: false });
    expect(lines[2]).toMatchObject({ subscriptionId: created.id, verified: true });
    expect(listen.stderr).toContain('matches none of the 1 key(s) held');
    expect(listen.stderr).toContain('without a X-Protime-Signature header');
    expect(listen.stderr).not.toContain(created.key);
  });
});
