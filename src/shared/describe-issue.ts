import type { z } from 'zod';

/** `value[2].validUntil: expected ...` — the first problem, with its path, for error messages. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid data';
  const path = issue.path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );
  return path ? `${path}: ${issue.message}` : issue.message;
}
