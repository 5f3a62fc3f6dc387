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

/** The forms a secret takes when a server or a library echoes it: as is, URL- and form-encoded, base64. */
function encodings(secret: string): string[] {
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
  // Longest first, so a longer form is replaced before a shorter one inside it.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

/**
 * Second line of defence: every secret value this process has seen (or read from the store) is
 * scrubbed, in each of its usual encodings, from any text that leaves it: stderr (logs, debug
 * traces, error messages, hook output) and stdout. Webhook keys are data on stdout (subscribe,
 * renew and keys print them on purpose), so there they stay; client secrets, tokens and other
 * credentials never appear anywhere.
 */
export class SecretScrubber {
  /** Every form of every secret, and whether it may stand on stdout as data. */
  readonly #forms = new Map<string, { data: boolean }>();
  /** #forms, longest first: sorted once per change, not on every line written. */
  #ordered: Array<[string, { data: boolean }]> | undefined;

  add(secret: string | null | undefined, options: { data?: boolean } = {}): void {
    // Very short values would scrub ordinary words; real secrets are long.
    if (!secret || secret.length < 6) return;
    for (const form of encodings(secret)) {
      const known = this.#forms.get(form);
      // A value known as a credential stays one, whatever else it is also used as.
      const data = Boolean(options.data) && (known ? known.data : true);
      if (known?.data === data) continue; // the store is read often: re-adding changes nothing
      this.#forms.set(form, { data });
      this.#ordered = undefined;
    }
  }

  /** `stdout`: the text is the command's data, where webhook keys belong. */
  scrub(text: string, options: { stdout?: boolean } = {}): string {
    let result = text;
    this.#ordered ??= [...this.#forms].sort((a, b) => b[0].length - a[0].length);
    for (const [form, { data }] of this.#ordered) {
      if (options.stdout && data) continue;
      if (result.includes(form)) result = result.split(form).join(REDACTED);
    }
    return result;
  }
}
