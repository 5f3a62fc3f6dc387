// A TLS front with a private CA made by openssl, in front of the emulator: an untrusted certificate
// is exit 1 `tls-untrusted` after one connection; `login --ca-file` is remembered for later runs.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, makeTempDir, removeTempDirs, stopAll } from './emulator-process.js';
import { issueCert, makeCa, stopNetworkServers, TlsFront } from './network-helpers.js';

let emulator: EmulatorProcess;
let dir: string;
let ca: ReturnType<typeof makeCa>;
let otherCa: ReturnType<typeof makeCa>;
let front: TlsFront;

beforeAll(async () => {
  emulator = await EmulatorProcess.start();
  dir = makeTempDir('ph-tls-');
  ca = makeCa(dir, 'ca');
  otherCa = makeCa(dir, 'other-ca');
  front = await TlsFront.start(emulator.url, issueCert(dir, 'server', ['127.0.0.1', 'localhost'], ca));
});
afterEach(async () => {
  front.connections = 0;
});
afterAll(async () => {
  await stopNetworkServers();
  await stopAll();
  removeTempDirs();
});

/** `login` through a front (default: the one signed by the test CA), with extra flags and environment. */
function login(user: CliUser, through: TlsFront, extra: string[] = [], env: Record<string, string> = {}) {
  const at = (url: string) => through.through(url, emulator.url);
  return user.run([...emulator.loginArgs(at), '--json', ...extra], { stdin: `${emulator.info.clientSecret}\n`, env });
}

describe('a TLS front signed by a private CA', () => {
  it('untrusted: exit 1 tls-untrusted naming the host and the reason, one connection (no retry), a --ca-file hint', async () => {
    const run = await login(new CliUser(emulator), front);
    expect(run.code, run.stderr).toBe(1);
    const { error } = run.json();
    expect(error.code).toBe('tls-untrusted');
    expect(error.message).toContain(new URL(front.url).host);
    expect(error.message).toContain('unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect(error.hint).toContain('--ca-file');
    expect(front.connections).toBe(1);
  });

  it('login --ca-file works, and status, subscribe and renew work later without the flag or any variable', async () => {
    const user = new CliUser(emulator);
    const logged = expectExit(await login(user, front, ['--ca-file', ca.certFile]), 0, 'login').json();
    expect(logged).toMatchObject({ caFile: ca.certFile, tokenAuth: 'post' });
    const sub = expectExit(
      await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/tls-hook', '--json']),
      0,
      'subscribe',
    ).json();
    expect(expectExit(await user.run(['status', '--json']), 0, 'status').json().subscriptions).toHaveLength(1);
    const renewed = expectExit(await user.run(['renew', sub.id, '--json']), 0, 'renew').json();
    expect(renewed.results[0]).toMatchObject({ action: 'renewed', oldId: sub.id });
    expect(front.connections).toBeGreaterThan(0);
  });

  it('PROTIME_HOOKS_CA_FILE overrides the saved CA file, both ways', async () => {
    const user = new CliUser(emulator);
    expectExit(await login(user, front, ['--ca-file', ca.certFile]), 0, 'login');
    const wrong = await user.run(['status', '--json'], { env: { PROTIME_HOOKS_CA_FILE: otherCa.certFile } });
    expect(wrong.code, wrong.stderr).toBe(1);
    expect(wrong.json().error.code).toBe('tls-untrusted');

    const plain = new CliUser(emulator);
    expectExit(await login(plain, front, [], { PROTIME_HOOKS_CA_FILE: ca.certFile }), 0, 'login with the variable');
    expectExit(await plain.run(['status'], { env: { PROTIME_HOOKS_CA_FILE: ca.certFile } }), 0, 'status with the variable');
    // Not saved: the variable was the only trust, so without it the front is untrusted again.
    expect((await plain.run(['status', '--json'])).json().error.code).toBe('tls-untrusted');
  });

  it('NODE_EXTRA_CA_CERTS keeps working, alone and together with a CA file of another CA', async () => {
    const user = new CliUser(emulator);
    const env = { NODE_EXTRA_CA_CERTS: ca.certFile };
    expectExit(await login(user, front, [], env), 0, 'login with NODE_EXTRA_CA_CERTS');
    expectExit(await user.run(['status'], { env }), 0, 'status with NODE_EXTRA_CA_CERTS');
    // An explicit CA list replaces Node's trust store; the CLI puts NODE_EXTRA_CA_CERTS back into it.
    expectExit(await user.run(['status'], { env: { ...env, PROTIME_HOOKS_CA_FILE: otherCa.certFile } }), 0, 'status with both');
  });

  it.each([
    ['self-signed', () => issueCert(dir, 'self', ['127.0.0.1']), 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['expired', () => issueCert(dir, 'expired', ['127.0.0.1'], ca, true), 'CERT_HAS_EXPIRED'],
    ['for another host name', () => issueCert(dir, 'elsewhere', ['elsewhere.example'], ca), 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ] as const)('a certificate %s is tls-untrusted, even with the CA trusted, after one connection', async (_name, make, code) => {
    const bad = await TlsFront.start(emulator.url, make());
    const run = await login(new CliUser(emulator), bad, ['--ca-file', ca.certFile]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.json().error).toMatchObject({ code: 'tls-untrusted' });
    expect(run.json().error.message).toContain(`(${code})`);
    expect(bad.connections).toBe(1);
    await bad.stop();
  });
});
