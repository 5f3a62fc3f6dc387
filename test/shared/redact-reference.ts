import { echoForms } from '../helpers/secrets.js';

/**
 * The scrubber's rule, the plain way: every form of every secret made up front (form-encoding by
 * URLSearchParams itself, base64url by Buffer), and at each position of the text the longest form
 * found there replaced, unless it is a printed webhook key. Slow and obvious, for comparison.
 */
export function referenceScrub(secrets: { text: string; data: boolean }[], text: string, printed?: ReadonlySet<string>): string {
  const forms = new Map<string, { data: boolean; secret: string }>();
  for (const { text: secret, data } of secrets) {
    if (secret.length < 6) continue;
    for (const form of echoForms(secret)) {
      const known = forms.get(form);
      // A form of a credential and of a key is a credential's.
      forms.set(form, { data: data && (known ? known.data : true), secret: known?.secret ?? secret });
    }
  }
  const byLength = [...forms].sort((a, b) => b[0].length - a[0].length);
  let out = '';
  for (let i = 0; i < text.length; ) {
    const hit = byLength.find(([form, { data, secret }]) => text.startsWith(form, i) && !(data && printed?.has(secret)));
    if (hit) {
      out += '[redacted]';
      i += hit[0].length;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}
