import { createRequire } from 'node:module';
import { usageError } from './errors.js';

// node:net is loaded only when a NO_PROXY entry is checked: it costs ~7 ms at start-up otherwise.
const net = () => createRequire(import.meta.url)('node:net') as typeof import('node:net');
const isIP = (text: string) => net().isIP(text);

type Env = Record<string, string | undefined>;

/**
 * The proxy curl would use for `url`, from the environment; undefined when the request goes direct.
 * curl's rules: `http_proxy` for http URLs, `https_proxy` for https ones (never the other's), then
 * `all_proxy`; lower case before upper case (the contract adds `HTTP_PROXY`, which curl reads only
 * in lower case); an empty value is unset; a proxy without a scheme is `http://`. `no_proxy`
 * exempts hosts (see `bypassesProxy`).
 *
 * Decided here rather than by undici's EnvHttpProxyAgent, which sends https through `HTTP_PROXY`
 * when `HTTPS_PROXY` is unset, reads a bare IPv6 `NO_PROXY` entry (`::1`) as host `:` port 1, has
 * no CIDR ranges, and hides its choice, so `--debug` could not name the proxy truthfully.
 */
export function proxyFor(url: URL, env: Env): URL | undefined {
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const name = [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`, 'all_proxy', 'ALL_PROXY'].find((variable) => env[variable]?.trim());
  if (!name) return undefined;
  if (bypassesProxy(url, env.no_proxy?.trim() ? env.no_proxy : (env.NO_PROXY ?? ''))) return undefined;
  return parseProxy(env[name]!.trim(), name);
}

function parseProxy(value: string, variable: string): URL {
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    // Not the value: it may hold the proxy's password.
    throw usageError('bad-proxy', `${variable} is not a proxy URL.`, `Set ${variable} to http://[user:password@]host:port.`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw usageError(
      'bad-proxy',
      `${variable} names a ${proxy.protocol.slice(0, -1)} proxy; only http:// and https:// proxies are supported.`,
    );
  }
  return proxy;
}

/**
 * curl's `no_proxy`: comma- or space-separated entries; `*` matches every host; a host name matches
 * itself and its subdomains (a leading `.` or `*.` is ignored); an IP address matches itself, a
 * CIDR range (`10.0.0.0/8`, `fd00::/8`) its addresses; `host:port` (`[v6]:port`) only that port.
 */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const host = stripBrackets(url.hostname.toLowerCase()).replace(/\.$/, '');
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const { name, entryPort } = splitPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (matchesHost(host, name)) return true;
  }
  return false;
}

function splitPort(entry: string): { name: string; entryPort?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1]!, entryPort: bracketed[2] ? Number(bracketed[2]) : undefined };
  // A bare IPv6 address (or range) has colons of its own: it carries no port.
  if (isIP(entry.split('/')[0]!) === 6) return { name: entry };
  const withPort = /^(.+):(\d+)$/.exec(entry);
  return withPort ? { name: withPort[1]!, entryPort: Number(withPort[2]) } : { name: entry };
}

function matchesHost(host: string, name: string): boolean {
  const range = /^(.+)\/(\d{1,3})$/.exec(name);
  if (range) {
    const family = isIP(range[1]!);
    if (family === 0 || isIP(host) !== family) return false;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    const list = new (net().BlockList)();
    try {
      list.addSubnet(range[1]!, Number(range[2]), type);
    } catch {
      return false;
    }
    return list.check(host, type);
  }
  const domain = name.replace(/^\*?\./, '').replace(/\.$/, '');
  if (isIP(domain) !== 0 || isIP(host) !== 0) return host === domain;
  return host === domain || host.endsWith(`.${domain}`);
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** A proxy URL as it may be printed: scheme, host and port, never its user name or password. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** The passwords of the proxies the environment names, so the scrubber can keep them off every output. */
export function proxyPasswords(env: Env): string[] {
  const found: string[] = [];
  for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
    try {
      const value = env[name]?.trim();
      const proxy = value ? new URL(/:\/\//.test(value) ? value : `http://${value}`) : undefined;
      if (proxy?.password) found.push(proxy.password, decodeURIComponent(proxy.password));
    } catch {
      // An unreadable proxy URL is reported (without its value) when a request needs it.
    }
  }
  return found;
}
