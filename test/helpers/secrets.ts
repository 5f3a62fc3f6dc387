/** Each form a secret could be written in, to look for it in bytes at rest: as it is, base64, base64url, hex. */
export const secretForms = (secret: string): string[] => [
  secret,
  ...(['base64', 'base64url', 'hex'] as const).map((encoding) => Buffer.from(secret).toString(encoding)),
];
