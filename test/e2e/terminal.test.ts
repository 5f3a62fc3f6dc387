/**
 * End-to-end at a real terminal: the built binary in a pseudo-terminal made by util-linux's
 * `script`, sized with `stty`. What only a TTY shows: tables fitted to its width, and a secret
 * typed for --client-secret-stdin that must not be echoed. Plus the demo, which narrates in order.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';
import { BIN } from './run-binary.js';

const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
const DEMO = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** The binary at a terminal `columns` wide; `type` is called with each new output until it returns text to type. */
function atTerminal(user: CliUser, args: string[], columns: number, answer?: (output: string) => string | undefined) {
  const command = `stty cols ${columns} rows 50; exec ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: user.cwd,
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...user.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let answered = false;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    const text = answered ? undefined : answer?.(output);
    if (text !== undefined) {
      answered = true;
      child.stdin.write(text);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code, output: output.replaceAll('\r\n', '\n') });
    }),
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI sequences stripped.
const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

describe.skipIf(!HAS_SCRIPT)('at a real terminal', { timeout: 40_000 }, () => {
  it('--client-secret-stdin typed at a terminal is asked for with a masked prompt, never echoed', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    const { tenant, clientSecret } = emulator.info;
    const args = emulator.loginArgs();
    // Typed only once the prompt is up: a terminal echoes whatever is typed before anyone reads it.
    const run = await atTerminal(user, args, 80, (output) => (output.includes('Client secret') ? `${clientSecret}\r` : undefined));
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toContain(clientSecret);
    expect(plain(run.output)).toMatch(/Client secret \*{11}/);
    expect(plain(run.output)).toContain(`[success] Logged in to tenant ${tenant}`);
    expectExit(await user.run(['status', '--offline']), 0, 'status after the login');
  });

  it('status fits an 80-column terminal, and is whole at 200', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    const url = 'https://hooks.acme.example/protime/contracts/with/a/long/path';
    expectExit(await user.run(['subscribe', 'contracts', '--url', url]), 0, 'subscribe');
    const [id] = (await emulator.webhooks()).map((w) => w.id);

    const narrow = await atTerminal(user, ['status'], 80);
    expect(narrow.code, narrow.output).toBe(0);
    const table = plain(narrow.output)
      .split('\n')
      .filter((line) => /^[┌│├└]/.test(line));
    expect(table.length).toBeGreaterThan(3);
    expect(Math.max(...table.map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(table.join('\n')).toContain(`${id!.slice(0, 8)}…`);

    const wide = plain((await atTerminal(user, ['status'], 200)).output);
    expect(wide).toContain(id);
    expect(wide).toContain(url);
    expect(wide).toContain('RENEW AFTER');
  });
});

describe('npm run demo', { timeout: 60_000 }, () => {
  it('narrates its steps in order, with no "no keys held" warning', async () => {
    // stdout and stderr on one pipe (2>&1), so what is read is in the order it was written.
    const child = spawn('/bin/sh', ['-c', `${quote(process.execPath)} ${quote(DEMO)} 2>&1`], {
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let all = '';
    child.stdout.on('data', (d) => (all += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, all).toBe(0);
    const steps = [...all.matchAll(/^\[(\w+)\] /gm)].map((m) => m[1]).filter((step) => /^\d+$|^next$/.test(step!));
    expect(steps).toEqual(['1', '2', '3', '4', '5', '6', '7', 'next']);
    expect(all).not.toMatch(/No webhook keys are held/);
    // The receiver's last words come after the delivery it verified.
    expect(all.indexOf('"verified":true')).toBeGreaterThan(all.indexOf('[7] '));
    expect(all.indexOf('[info] Stopped: 1 deliveries, 1 verified')).toBeGreaterThan(all.indexOf('"verified":true'));
  });
});
