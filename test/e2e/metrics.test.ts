/**
 * `metrics` against an emulator process: the exposition passes `promtool check metrics` (Debian's
 * prometheus package; skipped with the reason where it is absent), its values are the emulator's
 * validUntil instants, each webhook is in exactly one state, another profile's webhook is not
 * exported, a server that cannot be reached is `profile_up 0`, and --output replaces the file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, makeTempDir, removeTempDirs, stopAll } from './emulator-process.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition (HELP/TYPE lines checked by promtool, not here). */
function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

const promtool = spawnSync('promtool', ['--version']).status === 0;

function checkWithPromtool(text: string) {
  if (!promtool) {
    console.log('metrics: promtool check skipped: promtool is not installed (Debian package prometheus)');
    return;
  }
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text });
  expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
  expect(result.status).toBe(0);
}

describe('metrics', () => {
  it("exports each of the profile's webhooks (not another profile's) with its validUntil, one state, the key held, and the renew runs", async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    expectExit(await user.login(undefined, ['--profile', 'other']), 0, 'login other');
    const a = expectExit(
      await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/a?token=receiver-secret', '--json']),
      0,
      'a',
    ).json();
    const b = expectExit(await user.run(['subscribe', 'absences', '--url', 'http://127.0.0.1:9/b', '--json']), 0, 'b').json();
    const foreign = expectExit(
      await user.run(['--profile', 'other', 'subscribe', 'contracts', '--url', 'http://127.0.0.1:9/c', '--json']),
      0,
      'c',
    ).json();
    expectExit(await user.run(['renew']), 0, 'renew');

    const run = expectExit(await user.run(['metrics']), 0, 'metrics');
    checkWithPromtool(run.stdout);
    const all = samples(run.stdout);
    const server = new Map((await emulator.webhooks()).map((w) => [w.id, w]));
    const valid = all.filter((s) => s.name === 'protime_hooks_webhook_valid_until_timestamp_seconds');
    expect(valid.map((s) => s.labels.id).sort()).toEqual([a.id, b.id].sort());
    for (const s of valid) expect(s.value).toBe(Date.parse(server.get(s.labels.id!)!.validUntil) / 1000);
    expect(run.stdout).not.toContain(foreign.id);
    // The receiver's secret in a destination's query string stays out of the labels.
    expect(run.stdout).not.toContain('receiver-secret');
    expect(valid.find((s) => s.labels.id === a.id)!.labels).toEqual({
      profile: 'default',
      tenant: emulator.info.tenant,
      collection: 'contracts',
      destination: 'http://127.0.0.1:9/a',
      id: a.id,
    });
    const states = all.filter((s) => s.name === 'protime_hooks_webhook_state');
    expect(states.map((s) => [s.labels.id, s.labels.state, s.value]).sort()).toEqual(
      [
        [a.id, 'ok', 1],
        [b.id, 'ok', 1],
      ].sort(),
    );
    expect(all.filter((s) => s.name === 'protime_hooks_webhook_key_held').map((s) => s.value)).toEqual([1, 1]);
    const one = (name: string) => all.filter((s) => s.name === name).map((s) => s.value);
    expect(one('protime_hooks_profile_up')).toEqual([1]);
    expect(one('protime_hooks_renew_consecutive_failures')).toEqual([0]);
    const runs = JSON.parse(readFileSync(user.stateFile, 'utf8')).renewRuns.default;
    expect(one('protime_hooks_renew_last_success_timestamp_seconds')).toEqual([Date.parse(runs.lastSuccessAt) / 1000]);
  });

  it('says profile_up 0 (exit 0) with the local records when Protime cannot be reached, and --output replaces the file atomically', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    const a = expectExit(await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/a', '--json']), 0, 'a').json();
    await stopAll();

    const file = join(makeTempDir('ph-textfile-'), 'protime_hooks.prom');
    writeFileSync(file, 'old\n');
    const inode = statSync(file).ino;
    const run = await user.run(['metrics', '--output', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/exporting local records with protime_hooks_profile_up 0/);
    expect(statSync(file).ino).not.toBe(inode);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const text = readFileSync(file, 'utf8');
    checkWithPromtool(text);
    const all = samples(text);
    expect(all.find((s) => s.name === 'protime_hooks_profile_up')?.value).toBe(0);
    expect(all.find((s) => s.name === 'protime_hooks_webhook_valid_until_timestamp_seconds')?.labels.id).toBe(a.id);
    // No leftover temporary file beside it for the textfile collector to trip on.
    expect(
      execFileSync('ls', ['-A', join(file, '..')])
        .toString()
        .trim(),
    ).toBe('protime_hooks.prom');
  });
});

/** The fenced yaml block of the README's monitoring section: the rules people copy. */
function readmeRules(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Monitoring with Prometheus'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('no yaml block in the README monitoring section');
  return block[1]!;
}

describe.runIf(promtool)("the README's alert rules", () => {
  it('pass promtool check rules, and fire on exactly the webhooks and profiles they name (promtool test rules)', () => {
    const dir = makeTempDir('ph-rules-');
    writeFileSync(join(dir, 'rules.yml'), readmeRules());
    const check = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')]);
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(`${check.stdout}`).toMatch(/SUCCESS: 6 rules found/);
    // At t=0: "soon" expires in 1 h, "later" in 20 days, "old" in 1 h but is replaced (being retired).
    const labels = (id: string) => `{profile="default",tenant="acme",collection="contracts",destination="https://h.example/x",id="${id}"}`;
    const tests = `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - { series: 'protime_hooks_webhook_valid_until_timestamp_seconds${labels('soon')}', values: '3600x180' }
      - { series: 'protime_hooks_webhook_valid_until_timestamp_seconds${labels('later')}', values: '1728000x180' }
      - { series: 'protime_hooks_webhook_valid_until_timestamp_seconds${labels('old')}', values: '3600x180' }
      - { series: 'protime_hooks_webhook_state{profile="default",tenant="acme",collection="contracts",destination="https://h.example/x",id="old",state="replaced"}', values: '1x180' }
      - { series: 'protime_hooks_profile_up{profile="default",tenant="acme"}', values: '0x180' }
      - { series: 'protime_hooks_renew_consecutive_failures{profile="default",tenant="acme"}', values: '0 1 2 3x177' }
    alert_rule_test:
      - eval_time: 5m
        alertname: ProtimeWebhookExpiringSoon
        exp_alerts:
          - exp_labels: { severity: critical, profile: default, tenant: acme, collection: contracts, destination: 'https://h.example/x', id: soon }
            exp_annotations: { summary: 'Webhook soon (contracts to https://h.example/x) expires within 24 h' }
      - eval_time: 1h
        alertname: ProtimeProfileDown
        exp_alerts: []
      - eval_time: 150m
        alertname: ProtimeProfileDown
        exp_alerts:
          - exp_labels: { severity: warning, profile: default, tenant: acme }
            exp_annotations: { summary: 'Protime could not be reached for profile default (acme)' }
      - eval_time: 2m
        alertname: ProtimeRenewFailing
        exp_alerts: []
      - eval_time: 4m
        alertname: ProtimeRenewFailing
        exp_alerts:
          - exp_labels: { severity: critical, profile: default, tenant: acme }
            exp_annotations: { summary: 'protime-hooks renew keeps failing for profile default: run protime-hooks doctor' }
`;
    writeFileSync(join(dir, 'tests.yml'), tests);
    const test = spawnSync('promtool', ['test', 'rules', 'tests.yml'], { cwd: dir });
    expect(test.status, `${test.stdout}${test.stderr}`).toBe(0);
  });
});
