/**
 * Real network software for the proxy and TLS tests: tinyproxy from Debian (a forward proxy we
 * start on a free port, reading its log), CAs and certificates made with the openssl CLI, and a TLS
 * front (Node's https, i.e. OpenSSL) that passes every request on to the emulator.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort, makeTempDir } from './emulator-process.js';

/** tinyproxy's path, or undefined when it is not installed (.ci/run installs it with apt-get). */
export function tinyproxyPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin'])) {
    if (dir && existsSync(join(dir, 'tinyproxy'))) return join(dir, 'tinyproxy');
  }
  return undefined;
}

export class Tinyproxy {
  private constructor(
    readonly port: number,
    private readonly logFile: string,
    private readonly child: ChildProcess,
    private readonly output: () => string,
  ) {}

  /** Starts tinyproxy in the foreground on 127.0.0.1 with a generated config; `basicAuth` makes it ask for a user and password. */
  static async start(options: { basicAuth?: [string, string] } = {}): Promise<Tinyproxy> {
    const bin = tinyproxyPath();
    if (!bin) throw new Error('tinyproxy is not installed');
    const dir = makeTempDir('ph-proxy-');
    // tinyproxy drops to `nobody`, who must be able to write its log.
    chmodSync(dir, 0o777);
    const port = await freePort();
    const logFile = join(dir, 'tinyproxy.log');
    const config = join(dir, 'tinyproxy.conf');
    // No ConnectPort line: CONNECT is allowed to every port (the TLS front is on a random one).
    const lines = [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      `LogFile "${logFile}"`,
      'LogLevel Info',
      'MaxClients 50',
      'Allow 127.0.0.1',
    ];
    if (process.getuid?.() === 0) lines.push('User nobody', 'Group nogroup');
    if (options.basicAuth) lines.push(`BasicAuth ${options.basicAuth[0]} ${options.basicAuth[1]}`);
    writeFileSync(config, `${lines.join('\n')}\n`);
    const child = spawn(bin, ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.stdout?.on('data', (chunk) => (output += chunk));
    const proxy = new Tinyproxy(port, logFile, child, () => output);
    running.add(proxy);
    await proxy.waitForLog(/Accepting connections/);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** The request lines tinyproxy logged: `GET http://host:port/path HTTP/1.1`, `CONNECT host:port HTTP/1.1`. */
  requests(): string[] {
    return [...this.log().matchAll(/Request \(file descriptor \d+\): (.+)$/gm)].map((match) => match[1]!);
  }

  private async waitForLog(pattern: RegExp): Promise<void> {
    for (let waited = 0; waited < 10_000; waited += 25) {
      if (pattern.test(this.log())) return;
      if (this.child.exitCode !== null) throw new Error(`tinyproxy exited ${this.child.exitCode}: ${this.output()}${this.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`tinyproxy did not start: ${this.log()}`);
  }

  stop(): Promise<void> {
    running.delete(this);
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

const running = new Set<Tinyproxy | TlsFront>();

export async function stopNetworkServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

export interface Pem {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA made with the openssl CLI: key and self-signed certificate (files in `dir`). */
export function makeCa(dir: string, name: string): Pem & { certFile: string } {
  const key = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', certFile, '-days', '2']
      .concat(['-subj', `/CN=protime-hooks test CA ${name}`])
      .concat(['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
    dir,
  );
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(key, 'utf8'), certFile };
}

/**
 * A server certificate for `hosts` (IPs and names): signed by `ca`, or self-signed when `ca` is
 * undefined, or already expired (`expired`: valid in 2020 only, signed with `openssl ca`).
 */
export function issueCert(dir: string, name: string, hosts: string[], ca?: { certFile: string; key: string }, expired = false): Pem {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  const san = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
  if (!ca) {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
      ].concat(['-subj', `/CN=${hosts[0]}`, '-addext', `subjectAltName=${san}`]),
      dir,
    );
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  }
  const csr = join(dir, `${name}.csr`);
  openssl(
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      `/CN=${hosts[0]}`,
    ],
    dir,
  );
  const caKey = join(dir, `${name}-ca.key`);
  writeFileSync(caKey, ca.key);
  if (expired) {
    // `openssl x509` of OpenSSL 3.0 cannot set a start date; `openssl ca` can, with a minimal database.
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    const cnf = join(dir, `${name}.cnf`);
    writeFileSync(
      cnf,
      `[ca]\ndefault_ca=test\n[test]\ndatabase=${join(dir, 'index.txt')}\nserial=${join(dir, 'serial')}\nnew_certs_dir=${dir}\n` +
        `default_md=sha256\npolicy=any\ncopy_extensions=none\n[any]\ncommonName=supplied\n`,
    );
    openssl(
      ['ca', '-batch', '-config', cnf, '-cert', ca.certFile, '-keyfile', caKey, '-in', csr, '-out', cert, '-notext'].concat([
        '-startdate',
        '20200101000000Z',
        '-enddate',
        '20200102000000Z',
        '-extfile',
        ext,
      ]),
      dir,
    );
  } else {
    openssl(
      ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext],
      dir,
    );
  }
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/**
 * An https server in front of the emulator: every request is passed on to `target`, and the
 * target's origin in answers (bodies, Location) is rewritten to the front's own, as a TLS
 * terminating proxy configured for it would. Counts TCP connections, handshakes or not.
 */
export class TlsFront {
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string, pem: Pem, host = '127.0.0.1'): Promise<TlsFront> {
    const targetUrl = new URL(target);
    let front: TlsFront | undefined;
    const server = createServer({ cert: pem.cert, key: pem.key }, (req, res) => {
      const upstream = httpRequest(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: targetUrl.host },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const rewrite = (text: string) => text.replaceAll(targetUrl.origin, front!.url);
            const body = Buffer.from(rewrite(Buffer.concat(chunks).toString('utf8')));
            const headers = { ...answer.headers, 'content-length': String(body.length) };
            delete headers['transfer-encoding'];
            if (typeof headers.location === 'string') headers.location = rewrite(headers.location);
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(body);
          });
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    server.on('connection', () => front && front.connections++);
    // A client that rejects the certificate ends the handshake: expected here, not a test failure.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    front = new TlsFront(server, `https://${host}:${(server.address() as AddressInfo).port}`);
    running.add(front);
    return front;
  }

  /** `url` with the emulator's origin replaced by the front's. */
  through(url: string, emulatorUrl: string): string {
    return url.replace(emulatorUrl, this.url);
  }

  stop(): Promise<void> {
    running.delete(this);
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
