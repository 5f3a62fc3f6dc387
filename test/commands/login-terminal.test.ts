import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stdinSecret } from '../../src/commands/login.js';
import type { Context } from '../../src/context.js';
import { forEachBackend } from '../helpers/backends.js';

const BASE = ['login', '--tenant', 'acme', '--client-id', 'client-1', '--client-secret-stdin'];

function at(stdinIsTTY: boolean, stderrIsTTY: boolean, input = true) {
  return { io: { stdinIsTTY, stderrIsTTY }, globals: { input } } as unknown as Pick<Context, 'io' | 'globals'>;
}

describe('--client-secret-stdin at a terminal', () => {
  it('reads a pipe as it is, and asks with the masked prompt when stdin is a terminal', () => {
    expect(stdinSecret(at(false, false))).toBe('read');
    expect(stdinSecret(at(false, true))).toBe('read');
    expect(stdinSecret(at(false, true, false))).toBe('read');
    expect(stdinSecret(at(true, true))).toBe('prompt');
  });

  it('refuses a terminal it cannot prompt on (stderr redirected, or --no-input) rather than echo the secret', () => {
    for (const terminal of [at(true, false), at(true, true, false)]) {
      expect(() => stdinSecret(terminal)).toThrow(expect.objectContaining({ code: 'stdin-is-terminal', exitCode: 2 }));
    }
  });
});

forEachBackend('--client-secret-stdin at a terminal, through the CLI', (backend) => {
  it('under --no-input at a terminal: exit 2 naming the problem, nothing read or stored', async () => {
    const { dir } = backend;
    const result = await backend.run([...BASE, '--no-input', '--json', '--config-dir', dir], { tty: true, stdin: 'typed-secret\n' });
    expect(result.code).toBe(2);
    expect(result.json().error).toMatchObject({ code: 'stdin-is-terminal', message: expect.stringContaining('would be echoed') });
    expect(result.json().error.hint).toContain('--client-secret-file');
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
    expect((await backend.read()).profiles).toEqual({});
  });
});
