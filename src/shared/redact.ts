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

/** The webhook keys a command's result prints on purpose: the strings of its `key` fields, at any depth. */
export function printedKeys(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const inner of value) printedKeys(inner, found);
  else if (value && typeof value === 'object') {
    for (const [name, inner] of Object.entries(value)) {
      if (name === 'key' && typeof inner === 'string') found.add(inner);
      else printedKeys(inner, found);
    }
  }
  return found;
}

/**
 * Second line of defence: every secret value this process has seen (or read from the store) is
 * scrubbed, in each of its usual encodings, from any text that leaves it: stderr (logs, debug
 * traces, error messages, hook output) and stdout. A webhook key is data on stdout only where the
 * command prints it on purpose (`printed`: the keys in its result's `key` fields); echoed anywhere
 * else (another subscription's key in a server's error) it is scrubbed like any other secret.
 * Client secrets and tokens never appear anywhere.
 */
export class SecretScrubber {
  /** Every form of every secret: the secret it encodes, and whether it may be printed as data. */
  readonly #forms = new Map<string, { data: boolean; secret: string }>();
  /** #forms, longest first: sorted once per change, not on every line written. */
  #ordered: Array<[string, { data: boolean; secret: string }]> | undefined;
  /**
   * Each secret already added, with and without `data`: adding it again the same way changes no
   * form (a form's `data` only ever goes from true to false), so it returns before encoding it.
   * The store is read several times per renewal, with every key in it: that was O(keys) each time.
   */
  readonly #added = new Set<string>();

  add(secret: string | null | undefined, options: { data?: boolean } = {}): void {
    // Very short values would scrub ordinary words; real secrets are long.
    if (!secret || secret.length < 6) return;
    const seen = `${options.data ? 'd' : 'c'}${secret}`;
    if (this.#added.has(seen)) return;
    this.#added.add(seen);
    for (const form of encodings(secret)) {
      const known = this.#forms.get(form);
      // A value known as a credential stays one, whatever else it is also used as.
      const data = Boolean(options.data) && (known ? known.data : true);
      if (known?.data === data) continue; // the store is read often: re-adding changes nothing
      this.#forms.set(form, { data, secret: known?.secret ?? secret });
      this.#ordered = undefined;
    }
  }

  /** `printed`: the webhook keys this text carries as its data (stdout only); all else is scrubbed. */
  scrub(text: string, options: { printed?: ReadonlySet<string> } = {}): string {
    let result = text;
    this.#ordered ??= [...this.#forms].sort((a, b) => b[0].length - a[0].length);
    for (const [form, { data, secret }] of this.#ordered) {
      if (data && options.printed?.has(secret)) continue;
      if (result.includes(form)) result = result.split(form).join(REDACTED);
    }
    return result;
  }
}
