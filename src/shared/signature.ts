import { createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHMS = ['sha256', 'sha512'] as const;
export const ENCODINGS = ['base64', 'hex'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export type Encoding = (typeof ENCODINGS)[number];

/** The emulator's documented scheme; Protime's own is not in its public docs, so all three are settings. */
export const DEFAULT_SIGNATURE: { header: string; algorithm: Algorithm; encoding: Encoding } = {
  header: 'X-Protime-Signature',
  algorithm: 'sha256',
  encoding: 'base64',
};

/** HMAC of the raw body with the webhook key (its UTF-8 text, as handed out by Protime). */
export function sign(key: string, body: Buffer | string, algorithm: Algorithm, encoding: Encoding): string {
  return createHmac(algorithm, key).update(body).digest(encoding);
}

/**
 * Whether `signature` is the HMAC of `body` under `key`. Constant-time; tolerates a `sha256=`
 * prefix and surrounding spaces, which some senders add.
 */
export function verify(key: string, body: Buffer, signature: string, algorithm: Algorithm, encoding: Encoding): boolean {
  const given = signature.trim().replace(/^sha(256|512)=/i, '');
  const expected = Buffer.from(sign(key, body, algorithm, encoding));
  const actual = Buffer.from(encoding === 'hex' ? given.toLowerCase() : given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
