/**
 * Concurrent renewals against an emulator process: 50 due subscriptions, the first creates
 * answered 429 with Retry-After: 1. Every one is renewed exactly once, each destination ends with
 * one Enabled webhook whose key is stored, nothing but the creates already on their way is sent
 * within the second after a 429, and the creates really overlapped. And at --concurrency 4, the
 * emulator never has more than four of a renew's requests in flight at once, and has four at its busiest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';
import { API_WEBHOOKS_PATH, byDestination, readStateFile, recordsOf } from './robustness-helpers.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const COUNT = 50;

/** An emulator process and a logged-in user subscribed to `count` contracts destinations, ten subscribes at a time. */
async function subscribed(count: number) {
  const emulator = await EmulatorProcess.start();
  const user = new CliUser(emulator);
  expectExit(await user.login(), 0, 'login');
  const urls = Array.from({ length: count }, (_, i) => `http://127.0.0.1:9/c${i}`);
  for (let i = 0; i < count; i += 10) {
    const runs = await Promise.all(
      urls.slice(i, i + 10).map((url) => user.run(['subscribe', 'contracts', '--url', url, '--wait', '60s', '--json'])),
    );
    for (const run of runs) expectExit(run, 0, 'subscribe');
  }
  return { emulator, user, urls };
}

describe('renew --concurrency', () => {
  it(`renews ${COUNT} due subscriptions once each through injected 429s, honouring Retry-After, with replacements overlapping`, {
    timeout: 120_000,
  }, async () => {
    const { emulator, user, urls } = await subscribed(COUNT);
    await emulator.clearRequests();
    // Each create also waits 100 ms, so that eight in flight at once show as overlap.
    await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, status: 429, retryAfter: '1', count: 4 });
    await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, latencyMs: 100, count: -1 });

    const run = expectExit(await user.run(['renew', '--renew-within', '40d', '--concurrency', '8', '--json']), 0, 'renew');
    const results = run.json().results as { action: string; oldId: string; newId: string; key: string }[];
    expect(results.filter((r) => r.action === 'renewed')).toHaveLength(COUNT);
    expect(new Set(results.map((r) => r.oldId)).size).toBe(COUNT);

    // One keyed webhook per destination, and no extra webhook anywhere.
    const webhooks = await emulator.webhooks();
    const serving = byDestination(webhooks);
    const records = recordsOf(readStateFile(user));
    for (const url of urls) {
      const group = serving.get(`contracts ${url}`) ?? [];
      expect(group, url).toHaveLength(1);
      expect(records[group[0]!.id]?.key).toBe(group[0]!.key);
    }
    expect(webhooks.filter((w) => w.status === 'Enabled')).toHaveLength(COUNT);

    const posts = (await emulator.requests()).filter((r) => r.method === 'POST' && r.path === API_WEBHOOKS_PATH);
    expect(posts.filter((r) => r.status === 429)).toHaveLength(4);
    expect(posts.filter((r) => r.status === 201)).toHaveLength(COUNT);
    // No create is sent within the second after a 429 (one worker was told; the gate holds the rest),
    // except those already on their way when it came: at most the other seven workers.
    const first429 = Date.parse(posts.find((r) => r.status === 429)!.at);
    const tooSoon = posts.filter((r) => {
      const at = Date.parse(r.at);
      return at > first429 && at < first429 + 900;
    });
    expect(tooSoon.length).toBeLessThanOrEqual(7);
    // The creates overlapped: answered one after another, each 201 would come at least 100 ms
    // (its latency) after the previous one; eight in flight are answered close together.
    const answered = posts.filter((r) => r.status === 201).map((r) => Date.parse(r.at));
    const gaps = answered.slice(1).map((at, i) => at - answered[i]!);
    const overlapping = gaps.filter((gap) => gap < 100).length;
    console.log(
      `concurrency: ${COUNT} renewed once each, 4 × 429 honoured, ${overlapping} of ${gaps.length} creates answered < 100 ms after the previous one`,
    );
    expect(overlapping).toBeGreaterThan(COUNT / 2);
  });

  it('keeps exactly --concurrency API requests (creates and deletes) in flight at its busiest, never more', {
    timeout: 120_000,
  }, async () => {
    const count = 24;
    const { emulator, user } = await subscribed(count);
    await emulator.clearRequests();
    // Creates and deletes alike (the fault's path is a prefix): long enough that overlap shows.
    await emulator.addFault({ path: API_WEBHOOKS_PATH, latencyMs: 150, count: -1 });

    const run = expectExit(await user.run(['renew', '--renew-within', '40d', '--concurrency', '4', '--json']), 0, 'renew');
    expect((run.json().results as { action: string }[]).filter((r) => r.action === 'renewed')).toHaveLength(count);

    const requests = (await emulator.requests()).filter((r) => r.path.startsWith(API_WEBHOOKS_PATH) && r.method !== 'GET');
    expect(requests.filter((r) => r.method === 'POST')).toHaveLength(count);
    expect(requests.filter((r) => r.method === 'DELETE')).toHaveLength(count);
    // The emulator's interval of each request lies within the client's, so its overlap is never
    // higher than what the client had in flight. At one instant, an answer ends before a request starts.
    const events = requests.flatMap((r) => [
      { at: Date.parse(r.receivedAt), change: 1 },
      { at: Date.parse(r.at), change: -1 },
    ]);
    events.sort((a, b) => a.at - b.at || a.change - b.change);
    let inFlight = 0;
    let most = 0;
    for (const event of events) {
      inFlight += event.change;
      most = Math.max(most, inFlight);
    }
    console.log(`concurrency: ${count} renewed at --concurrency 4, at most ${most} of their requests in flight at once`);
    expect(most).toBe(4);
  });
});
