/** Names that would reach Object.prototype when used as a key of a plain object (`__proto__`, `constructor`, ...). */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A value echoed in a message, with anything unprintable shown as `?` (no forged log lines). */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
