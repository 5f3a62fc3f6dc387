import { usageError } from './errors.js';
import { printable } from './names.js';

// RFC 9110 §10.1.5: User-Agent = product *( RWS ( product / comment ) ), product = token ["/" token].
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PRODUCT = `${TOKEN}(?:/${TOKEN})?`;

/** A comment: "(" *( ctext / quoted-pair / comment ) ")"; nesting is checked by counting. */
function readComment(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Where the header is malformed, as a short phrase; undefined when it is valid. */
export function userAgentProblem(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (value.length > 256) return 'it is longer than 256 characters';
  if (/[^\x20-\x7e]/.test(value)) return 'it holds a character outside printable ASCII';
  const product = new RegExp(`^${PRODUCT}`);
  let i = 0;
  let first = true;
  while (i < value.length) {
    if (!first) {
      const spaces = /^[ \t]+/.exec(value.slice(i));
      if (!spaces) return `a space must separate the parts (at "${value.slice(i, i + 10)}")`;
      i += spaces[0].length;
      if (i === value.length) return 'it ends with a space';
    }
    if (value[i] === '(' && !first) {
      const end = readComment(value, i);
      if (end === -1) return 'a "(" comment is not closed';
      i = end;
    } else {
      const match = product.exec(value.slice(i));
      if (!match) return `"${value.slice(i, i + 10)}" is not a product name like Name/1.0`;
      i += match[0].length;
    }
    first = false;
  }
  return undefined;
}

/** Usage error (exit 2) for a User-Agent HTTP would refuse: it is caught here, not reported as a network failure. */
export function checkUserAgent(value: string, source: string): string {
  const problem = userAgentProblem(value);
  if (problem) {
    throw usageError(
      'bad-user-agent',
      `${source} "${printable(value)}" is not a valid User-Agent: ${problem}.`,
      'Use the form Name/Version (Company), e.g. "AcmePayroll/2.1 (Acme Ltd)".',
    );
  }
  return value;
}
