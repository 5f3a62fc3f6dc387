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
 * application/x-www-form-urlencoded, as URLSearchParams writes it: encodeURIComponent, but a space
 * is `+` and `!'()~` are escaped too (without an object per secret: a store holds thousands).
 */
function formEncoded(secret: string): string {
  return encodeURIComponent(secret)
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The forms a secret takes when a server or a library echoes it: as is, URL- and form-encoded, base64. */
function encodings(secret: string): string[] {
  // Most secrets (base64 keys, tokens) are ASCII without spaces: their forms are cheaper to make.
  const base64 = Buffer.from(secret).toString('base64');
  const uri = URI_SAFE.test(secret) ? secret : encodeURIComponent(secret);
  const forms = [secret, uri, uri === secret ? secret : formEncoded(secret), base64, base64.replace(/=+$/, '').replace(/[+/]/g, urlSafe)];
  // Longest first, so a longer form is replaced before a shorter one inside it.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

/** Characters encodeURIComponent and the form encoding both leave as they are. */
const URI_SAFE = /^[A-Za-z0-9_.-]*$/;

function urlSafe(c: string): string {
  return c === '+' ? '-' : '_';
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
  /** Each secret added, and whether it is data (a webhook key) rather than a credential. */
  readonly #secrets = new Map<string, boolean>();
  /**
   * The forms of every secret by their first PREFIX characters, longest first, and a filter of
   * their first characters: built on the first scrub after a change. Forms are made then, not on
   * add: a command reads a store of thousands of keys and may print nothing.
   */
  #index: { filter: Uint8Array; byPrefix: Map<string, Form[]> } | undefined;

  add(secret: string | null | undefined, options: { data?: boolean } = {}): void {
    // Very short values would scrub ordinary words; real secrets are long.
    if (!secret || secret.length < PREFIX) return;
    const data = Boolean(options.data);
    const known = this.#secrets.get(secret);
    // The store is read often: re-adding changes nothing. A credential stays one, whatever else it is.
    if (known === false || known === data) return;
    this.#secrets.set(secret, data);
    this.#index = undefined;
  }

  /**
   * `printed`: the webhook keys this text carries as its data (stdout only); all else is scrubbed.
   * One pass over the text, leftmost and longest first, whatever the number of secrets: a fleet's
   * store holds thousands of keys, and every line written goes through here.
   */
  scrub(text: string, options: { printed?: ReadonlySet<string> } = {}): string {
    if (this.#secrets.size === 0) return text;
    this.#index ??= this.#build();
    const { filter, byPrefix } = this.#index;
    let out = '';
    let copied = 0;
    for (let i = 0; i + PREFIX <= text.length; ) {
      const hit = filter[head(text, i)] === 1 ? this.#match(byPrefix, text, i, options.printed) : undefined;
      if (!hit) {
        i++;
        continue;
      }
      out += `${text.slice(copied, i)}${REDACTED}`;
      i += hit.length;
      copied = i;
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  #match(byPrefix: Map<string, Form[]>, text: string, at: number, printed: ReadonlySet<string> | undefined): string | undefined {
    for (const form of byPrefix.get(text.slice(at, at + PREFIX)) ?? []) {
      if (form.data && printed?.has(form.secret)) continue;
      if (text.startsWith(form.text, at)) return form.text;
    }
    return undefined;
  }

  #build(): { filter: Uint8Array; byPrefix: Map<string, Form[]> } {
    // A form shared by two secrets is data only if both are: a credential is never printed.
    const forms = new Map<string, Form>();
    for (const [secret, data] of this.#secrets) {
      for (const text of encodings(secret)) {
        const form = forms.get(text);
        forms.set(text, { text, data: data && (form ? form.data : true), secret: form?.secret ?? secret });
      }
    }
    const byPrefix = new Map<string, Form[]>();
    const filter = new Uint8Array(FILTER_SIZE);
    for (const form of forms.values()) {
      const prefix = form.text.slice(0, PREFIX);
      const list = byPrefix.get(prefix);
      if (list) list.push(form);
      else byPrefix.set(prefix, [form]);
      filter[head(form.text, 0)] = 1;
    }
    for (const list of byPrefix.values()) list.sort((a, b) => b.text.length - a.text.length);
    return { filter, byPrefix };
  }
}

interface Form {
  text: string;
  data: boolean;
  secret: string;
}

/** Secrets (and so their forms) are at least this long; forms are indexed by this many characters. */
const PREFIX = 6;

/** Slots of the first-characters filter: with a few thousand forms, few positions of a text pass it. */
const FILTER_SIZE = 1 << 18;

/**
 * The first four characters at `at` hashed into the filter: small integers only, so the scan of a
 * long text allocates nothing.
 */
function head(text: string, at: number): number {
  return (
    (text.charCodeAt(at) * 0x9e5 + text.charCodeAt(at + 1) * 0x3b + text.charCodeAt(at + 2) * 0x101 + text.charCodeAt(at + 3)) &
    (FILTER_SIZE - 1)
  );
}
