/** Each form a secret could be written in, to look for it in bytes at rest: as it is, base64, base64url, hex. */
export const secretForms = (secret: string): string[] => [
  secret,
  ...(['base64', 'base64url', 'hex'] as const).map((encoding) => Buffer.from(secret).toString(encoding)),
];

/** A lone surrogate as U+FFFD, as UTF-8 writes it (Node 20 has the method; TypeScript's lib here does not). */
export function wellFormed(text: string): string {
  return (text as string & { toWellFormed(): string }).toWellFormed();
}

/** Every form a secret may be echoed in: raw, URL- and form-encoded (URLSearchParams' own), base64 and base64url. */
export function echoForms(secret: string): string[] {
  const encodable = wellFormed(secret);
  return [
    secret,
    encodeURIComponent(encodable),
    new URLSearchParams({ s: encodable }).toString().slice(2),
    Buffer.from(encodable).toString('base64'),
    Buffer.from(encodable).toString('base64url'),
  ];
}
