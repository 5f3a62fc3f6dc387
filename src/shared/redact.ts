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
   * Built on the first scrub after a change: the secrets by the first PREFIX characters of each
   * of their forms, and a filter of those prefixes' first characters. Only the prefixes are made
   * then; a form itself is made when some text holds its prefix (rare): a command reads a store
   * of thousands of keys, and making five forms of each was most of what scrubbing cost.
   */
  #index: { filter: Uint8Array; byPrefix: Map<string, Candidate[] | Form[]> } | undefined;

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
   * `printed`: the webhook keys this text carries as its data (stdout only), or what gives them
   * when first needed; all else is scrubbed. One pass over the text, leftmost and longest first,
   * whatever the number of secrets: a fleet's store holds thousands of keys, and every line
   * written goes through here.
   */
  scrub(text: string, options: { printed?: ReadonlySet<string> | (() => ReadonlySet<string>) } = {}): string {
    if (this.#secrets.size === 0) return text;
    this.#index ??= this.#build();
    const { filter, byPrefix } = this.#index;
    let printed = options.printed;
    const isPrinted = (secret: string) => {
      if (typeof printed === 'function') printed = printed();
      return printed?.has(secret) ?? false;
    };
    let out = '';
    let copied = 0;
    for (let i = 0; i + PREFIX <= text.length; ) {
      const hit = filter[head(text, i)] === 1 ? match(byPrefix, text, i, isPrinted) : undefined;
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

  #build(): { filter: Uint8Array; byPrefix: Map<string, Candidate[] | Form[]> } {
    const byPrefix = new Map<string, Candidate[]>();
    const filter = new Uint8Array(FILTER_SIZE);
    const put = (prefix: string, candidate: Candidate) => {
      const list = byPrefix.get(prefix);
      if (list) list.push(candidate);
      else byPrefix.set(prefix, [candidate]);
      filter[head(prefix, 0)] = 1;
    };
    for (const [secret, data] of this.#secrets) {
      // Each form's first PREFIX characters come from the secret's first PREFIX (a character
      // encodes to one or more): those are all that is encoded here.
      const start = wellFormed(secret.slice(0, PREFIX + (isHighSurrogate(secret.charCodeAt(PREFIX - 1)) ? 1 : 0)));
      const raw = secret.slice(0, PREFIX);
      const safe = URI_SAFE.test(start);
      const uri = safe ? raw : encodeURIComponent(start).slice(0, PREFIX);
      const form = safe ? raw : formEncoded(start).slice(0, PREFIX);
      put(raw, { secret, data, kinds: RAW | (uri === raw ? URI : 0) | (form === raw ? FORM : 0) });
      if (uri !== raw) put(uri, { secret, data, kinds: URI | (form === uri ? FORM : 0) });
      if (form !== raw && form !== uri) put(form, { secret, data, kinds: FORM });
      const base64 = base64Start(start);
      const urlSafe = base64.replace(/[+/]/g, urlSafeChar);
      put(base64, { secret, data, kinds: BASE64 | (urlSafe === base64 ? BASE64URL : 0) });
      if (urlSafe !== base64) put(urlSafe, { secret, data, kinds: BASE64URL });
    }
    return { filter, byPrefix };
  }
}

/** A secret whose form may start with a prefix: `kinds` says which of its forms do. */
interface Candidate {
  secret: string;
  data: boolean;
  kinds: number;
}

interface Form {
  text: string;
  data: boolean;
  secret: string;
}

const RAW = 1;
const URI = 2;
const FORM = 4;
const BASE64 = 8;
const BASE64URL = 16;

/** The longest form of a known secret at `at`, skipping webhook keys printed there as data. */
function match(
  byPrefix: Map<string, Candidate[] | Form[]>,
  text: string,
  at: number,
  isPrinted: (secret: string) => boolean,
): string | undefined {
  const prefix = text.slice(at, at + PREFIX);
  const found = byPrefix.get(prefix);
  if (!found) return undefined;
  let forms = found as Form[];
  if (found.length > 0 && 'kinds' in found[0]!) {
    forms = formsOf(found as Candidate[]);
    byPrefix.set(prefix, forms);
  }
  for (const form of forms) {
    if (form.data && isPrinted(form.secret)) continue;
    if (text.startsWith(form.text, at)) return form.text;
  }
  return undefined;
}

/** The forms the candidates of one prefix stand for, made now: each once, longest first. */
function formsOf(candidates: Candidate[]): Form[] {
  // A form shared by two secrets is data only if both are: a credential is never printed.
  const forms = new Map<string, Form>();
  for (const { secret, data, kinds } of candidates) {
    for (const text of encodings(secret, kinds)) {
      const form = forms.get(text);
      forms.set(text, { text, data: data && (form ? form.data : true), secret: form?.secret ?? secret });
    }
  }
  return [...forms.values()].sort((a, b) => b.text.length - a.text.length);
}

/** The forms a secret takes when a server or a library echoes it: as is, URL- and form-encoded, base64 (`kinds` of them). */
function encodings(secret: string, kinds: number): string[] {
  const forms: string[] = [];
  if (kinds & RAW) forms.push(secret);
  const encodable = wellFormed(secret);
  const safe = URI_SAFE.test(secret);
  if (kinds & URI) forms.push(safe ? secret : encodeURIComponent(encodable));
  if (kinds & FORM) forms.push(safe ? secret : formEncoded(encodable));
  if (kinds & (BASE64 | BASE64URL)) {
    const base64 = Buffer.from(encodable).toString('base64');
    if (kinds & BASE64) forms.push(base64);
    if (kinds & BASE64URL) forms.push(base64.replace(/=+$/, '').replace(/[+/]/g, urlSafeChar));
  }
  return forms;
}

/** Characters encodeURIComponent and the form encoding both leave as they are. */
const URI_SAFE = /^[A-Za-z0-9_.-]*$/;

function urlSafeChar(c: string): string {
  return c === '+' ? '-' : '_';
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A lone surrogate becomes U+FFFD, as UTF-8 writes it (encodeURIComponent would throw). */
function wellFormed(text: string): string {
  return (text as string & { toWellFormed(): string }).toWellFormed();
}

const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The first PREFIX characters of the base64 of `start` (at least PREFIX characters, so at least
 * as many UTF-8 bytes: the first 6 digits need 36 bits). ASCII, the usual case, without a Buffer.
 */
function base64Start(start: string): string {
  const b0 = start.charCodeAt(0);
  const b1 = start.charCodeAt(1);
  const b2 = start.charCodeAt(2);
  const b3 = start.charCodeAt(3);
  const b4 = start.charCodeAt(4);
  if ((b0 | b1 | b2 | b3 | b4) > 0x7f) return Buffer.from(start).toString('base64').slice(0, PREFIX);
  const digit = (value: number) => BASE64_DIGITS[value]!;
  return (
    digit(b0 >> 2) +
    digit(((b0 & 3) << 4) | (b1 >> 4)) +
    digit(((b1 & 15) << 2) | (b2 >> 6)) +
    digit(b2 & 63) +
    digit(b3 >> 2) +
    digit(((b3 & 3) << 4) | (b4 >> 4))
  );
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
