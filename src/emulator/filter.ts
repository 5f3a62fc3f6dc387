/**
 * The small OData-like filter `GET /webhooks?filter=` accepts:
 * `status eq 'Enabled' and collectionName eq 'contracts'`, with `eq`/`ne`, `and`/`or`, parentheses,
 * single-quoted strings ('' escapes a quote). `and` binds tighter than `or`, as in OData.
 */

/** Thrown for a malformed filter; the API answers 400 with the message as the reason. */
export class FilterError extends Error {}

export type FilterRecord = Record<string, unknown>;
export type Predicate = (item: FilterRecord) => boolean;

/** Field names are matched case-insensitively but compared on the canonical property. */
const FIELDS = ['id', 'status', 'collectionName', 'destinationUrl', 'validUntil'];

type Token = { kind: 'word' | 'string' | '(' | ')'; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\()|(\))|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_]*)|(\S))/y;
  while (pattern.lastIndex < text.length) {
    const match = pattern.exec(text);
    if (!match) break;
    const at = match.index + match[0].length - match[0].trimStart().length; // skip the leading blanks
    if (match[1]) tokens.push({ kind: '(', text: '(', at });
    else if (match[2]) tokens.push({ kind: ')', text: ')', at });
    else if (match[3] !== undefined) tokens.push({ kind: 'string', text: match[3].replaceAll("''", "'"), at });
    else if (match[4]) tokens.push({ kind: 'word', text: match[4], at });
    else if (match[5] === "'") throw new FilterError(`unterminated string at position ${at + 1}`);
    else if (match[5]) throw new FilterError(`unexpected '${match[5]}' at position ${at + 1}`);
    else break; // only trailing whitespace was left
  }
  return tokens;
}

export function parseFilter(text: string): Predicate {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new FilterError('the filter is empty');
  let index = 0;
  const peekWord = (word: string) => tokens[index]?.kind === 'word' && tokens[index]!.text.toLowerCase() === word;
  const describe = (token: Token | undefined) => (token ? `'${token.text}' at position ${token.at + 1}` : 'the end of the filter');

  function orExpr(): Predicate {
    let left = andExpr();
    while (peekWord('or')) {
      index++;
      const [a, b] = [left, andExpr()];
      left = (item) => a(item) || b(item);
    }
    return left;
  }
  function andExpr(): Predicate {
    let left = comparison();
    while (peekWord('and')) {
      index++;
      const [a, b] = [left, comparison()];
      left = (item) => a(item) && b(item);
    }
    return left;
  }
  function comparison(): Predicate {
    const first = tokens[index++];
    if (first?.kind === '(') {
      const inner = orExpr();
      if (tokens[index++]?.kind !== ')') throw new FilterError(`expected ')' but found ${describe(tokens[index - 1])}`);
      return inner;
    }
    if (first?.kind !== 'word') throw new FilterError(`expected a field name but found ${describe(first)}`);
    const field = FIELDS.find((name) => name.toLowerCase() === first.text.toLowerCase());
    if (!field) throw new FilterError(`unknown field '${first.text}'; known fields: ${FIELDS.join(', ')}`);
    const operator = tokens[index++];
    const op = operator?.kind === 'word' ? operator.text.toLowerCase() : '';
    if (op !== 'eq' && op !== 'ne') throw new FilterError(`expected 'eq' or 'ne' after ${field} but found ${describe(operator)}`);
    const value = tokens[index++];
    if (value?.kind !== 'string') throw new FilterError(`expected a quoted string after '${op}' but found ${describe(value)}`);
    return op === 'eq' ? (item) => item[field] === value.text : (item) => item[field] !== value.text;
  }

  const predicate = orExpr();
  if (index < tokens.length) throw new FilterError(`unexpected ${describe(tokens[index])}`);
  return predicate;
}
