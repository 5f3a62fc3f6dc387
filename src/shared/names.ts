/** Names that would reach Object.prototype when used as a key of a plain object (`__proto__`, `constructor`, ...). */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A value echoed in a message, with anything unprintable shown as `?` (no forged log lines). */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * A webhook id we accept from a person or from a Location header: URL-safe characters only (it
 * becomes a path segment), never a prototype member (it becomes a record key).
 */
export function isWebhookId(id: string): boolean {
  return /^[A-Za-z0-9._~-]{1,128}$/.test(id) && !PROTOTYPE_KEYS.has(id);
}

/** A profile name: letters, digits, `.`, `_`, `-` (it names files, locks and table keys), never a prototype member. */
export function isProfileName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) && !PROTOTYPE_KEYS.has(name);
}
