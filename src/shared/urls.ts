import { usageError } from './errors.js';
import { printable } from './names.js';

/** localhost, 127.0.0.0/8 and ::1: the only hosts where plain http is acceptable. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Checks a URL given by the user: absolute, https (http only for loopback), no embedded
 * credentials. Returns the normalised form. `flag` names the option in the error.
 */
export function checkUrl(text: string, flag: string): string {
  let url: URL;
  try {
    // The URL parser silently drops tabs and line breaks: a URL holding one is a mistake, not a URL.
    if ([...text.trim()].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new Error('control character');
    url = new URL(text.trim());
  } catch {
    throw usageError('bad-url', `${flag} must be an absolute URL such as https://example.com/hooks, not "${printable(text)}".`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw usageError(
      'insecure-url',
      `${flag} must use https (${url.protocol}// is accepted only for localhost and 127.0.0.1): ${url.href}`,
    );
  }
  if (url.username || url.password) {
    throw usageError('url-credentials', `${flag} must not contain a user name or password.`);
  }
  return url.href;
}
