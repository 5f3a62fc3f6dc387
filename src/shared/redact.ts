const REDACTED = '[redacted]';

/** Field names whose values are secrets wherever they appear (token answers, 201 bodies, forms). */
const SECRET_FIELD =
  /^(key|private_?key|webhook_?key|secret|client_?secret|access_?token|refresh_?token|id_?token|password|authorization|signing_?key)$/i;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, SECRET_FIELD.test(name) ? `${value.split(' ')[0]} ${REDACTED}` : value]),
  );
}

/** A deep copy of a JSON-like value with every secret field's value replaced. */
export function redactBody(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactBody);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, SECRET_FIELD.test(name) ? REDACTED : redactBody(inner)]));
  }
  return value;
}

/**
 * Second line of defence: every secret value this process has seen is scrubbed from any text that
 * leaves it through stderr (debug traces, error messages), whatever field or string carried it.
 */
export class SecretScrubber {
  readonly #secrets = new Set<string>();

  add(secret: string | null | undefined): void {
    // Very short values would scrub ordinary words; real secrets are long.
    if (secret && secret.length >= 6) this.#secrets.add(secret);
  }

  scrub(text: string): string {
    let result = text;
    for (const secret of this.#secrets) result = result.split(secret).join(REDACTED);
    return result;
  }
}
