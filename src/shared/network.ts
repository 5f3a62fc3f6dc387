import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import { describeProxy, proxyFor } from './proxy.js';

type Env = Record<string, string | undefined>;

/** How every outgoing request of a run leaves the machine: through the proxy the environment names, trusting the given CAs. */
export interface Network {
  /** The global fetch (so nock still intercepts in tests), with the dispatcher this request needs. */
  fetch: typeof globalThis.fetch;
  /** The proxy a request to `url` goes through, printable (no credentials); undefined when direct. */
  proxyFor(url: URL): string | undefined;
}

export interface NetworkOptions {
  /** PEM certificates trusted besides Node's roots (and NODE_EXTRA_CA_CERTS). */
  ca?: string;
  /** --debug: one line per request naming its proxy, when a proxy variable is set. */
  trace?: (line: string) => void;
}

/**
 * The one place outgoing connections are configured. A direct request with no extra CA uses
 * Node's own fetch as it is; anything else gets an undici 7 dispatcher: `ProxyAgent` (plain http
 * sent to the proxy in absolute form, https tunnelled with CONNECT, as curl does) or `Agent`, with
 * the extra CAs. undici is imported only then: it costs ~75 ms to load, which a run that needs
 * neither should not pay.
 */
export function createNetwork(env: Env, options: NetworkOptions = {}): Network {
  const dispatchers = new Map<string, Promise<Dispatcher>>();
  const ca = options.ca === undefined ? undefined : trustedRoots(env, options.ca);
  const dispatcher = (proxy: URL | undefined) => {
    const key = proxy?.href ?? 'direct';
    let made = dispatchers.get(key);
    if (!made) {
      made = import('undici').then(({ Agent, ProxyAgent }) => {
        const tls = ca ? { ca } : undefined;
        if (!proxy) return new Agent({ connect: tls });
        return new ProxyAgent({ uri: proxy.href, proxyTunnel: false, requestTls: tls, proxyTls: tls });
      });
      dispatchers.set(key, made);
    }
    return made;
  };
  const anyProxy = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'].some((name) => env[name]?.trim());
  return {
    proxyFor: (url) => {
      const proxy = proxyFor(url, env);
      return proxy && describeProxy(proxy);
    },
    async fetch(input, init) {
      const url = new URL(input instanceof Request ? input.url : input);
      const proxy = proxyFor(url, env);
      if (anyProxy) options.trace?.(proxy ? `${url.origin} via proxy ${describeProxy(proxy)}` : `${url.origin} direct (NO_PROXY)`);
      if (!proxy && !ca) return globalThis.fetch(input, init);
      // Node 20's fetch takes an undici dispatcher; its types know only Node's bundled undici.
      return globalThis.fetch(input, { ...init, dispatcher: await dispatcher(proxy) } as unknown as RequestInit);
    },
  };
}

/**
 * Node's roots, NODE_EXTRA_CA_CERTS and `extra`: an explicit `ca` replaces Node's whole trust
 * store, NODE_EXTRA_CA_CERTS included, so both are put back.
 */
function trustedRoots(env: Env, extra: string): string[] {
  // Loaded here, not at start-up: node:tls costs ~14 ms, which runs without a CA file need not pay.
  const { rootCertificates } = createRequire(import.meta.url)('node:tls') as typeof import('node:tls');
  const roots = [...rootCertificates];
  const file = env.NODE_EXTRA_CA_CERTS;
  if (file) {
    try {
      roots.push(readFileSync(file, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so do we (it did at start-up).
    }
  }
  roots.push(extra);
  return roots;
}

/** OpenSSL's verification failures as Node reports them: the certificate, not the network, is the problem. */
const UNTRUSTED = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** The TLS reason when `error` (or a cause of it) is a certificate that could not be verified. */
export function untrustedCertificate(error: unknown): { code: string; reason: string } | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code && UNTRUSTED.has(code)) return { code, reason: cause.message };
  }
  return undefined;
}
