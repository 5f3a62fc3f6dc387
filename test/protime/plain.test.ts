/**
 * plain.ts checks the usual answers without zod; the schemas stay the rule. Over seeded random
 * items (fields missing, of the wrong type, odd dates, extra fields, `__proto__`, arrays, class
 * instances), the plain check accepts exactly what the schema accepts among objects as JSON.parse
 * makes them, and gives the same object with the same field order.
 */
import { describe, expect, it } from 'vitest';
import { plainPage, plainWebhook } from '../../src/protime/plain.js';
import { webhookPageSchema, webhookSchema } from '../../src/protime/schemas.js';
import { seededRandom } from '../helpers/random.js';

const DATES = [
  '2026-07-01T14:00:00+02:00',
  '2026-07-01T12:00:00Z',
  '2026-07-01T12:00:00.123z',
  '2026-07-01T12:00:00+0200',
  '2026-07-01T12:00:00',
  '2026-07-01',
  '2026-13-01T12:00:00Z',
  'T+02:00',
  'soon',
  '',
];
const VALUES: unknown[] = ['x', '', 'Enabled', 0, 12, null, true, [], ['a'], {}, { a: 1 }, ...DATES];
const FIELDS = ['id', 'validUntil', 'status', 'destinationUrl', 'collectionName', 'externalReferences', 'key', 'createdAt', 'extra'];

function item(next: () => number): unknown {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const roll = next();
  if (roll < 0.03) return pick([null, 'webhook', 7, [], [{ id: 'x' }], new Date(0), Object.create(null)]);
  // Mostly well-formed, so that both answers are exercised.
  const fields: Record<string, unknown> = {
    id: next() < 0.9 ? `id-${Math.floor(next() * 1e6)}` : pick(VALUES),
    validUntil: next() < 0.8 ? pick(DATES.slice(0, 3)) : pick(VALUES),
    status: next() < 0.9 ? 'Enabled' : pick(VALUES),
    destinationUrl: next() < 0.9 ? 'https://example.test/hook' : pick(VALUES),
    collectionName: next() < 0.9 ? 'contracts' : pick(VALUES),
    externalReferences: pick(VALUES),
    key: 'k'.repeat(44),
    createdAt: pick(DATES),
    extra: pick(VALUES),
  };
  // Fields dropped and shuffled; now and then a `__proto__` field, as JSON.parse makes one.
  const order = [...FIELDS].sort(() => next() - 0.5).filter(() => next() < 0.9);
  const text = JSON.stringify(Object.fromEntries(order.map((field) => [field, fields[field]])));
  return JSON.parse(next() < 0.05 ? text.replace(/^\{/, '{"__proto__":{"polluted":true},') : text);
}

describe('plainWebhook', () => {
  it('accepts exactly what webhookSchema accepts (as JSON.parse makes objects), with the same result', () => {
    let accepted = 0;
    let refused = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const next = seededRandom(seed);
      const input = item(next);
      const plain = plainWebhook(input);
      const parsed = webhookSchema.safeParse(input);
      const ordinary =
        typeof input === 'object' &&
        input !== null &&
        Object.getPrototypeOf(input) === Object.prototype &&
        !Object.hasOwn(input, '__proto__');
      if (plain) {
        expect(parsed.success, `seed ${seed}: ${JSON.stringify(input)}`).toBe(true);
        expect(plain, `seed ${seed}`).toStrictEqual(parsed.data);
        expect(Object.keys(plain), `seed ${seed}`).toEqual(Object.keys(parsed.data!));
        accepted++;
      } else {
        // Left to the schema: only what it refuses, or what is not an ordinary parsed object.
        expect(parsed.success && ordinary, `seed ${seed}: ${JSON.stringify(input)}`).toBe(false);
        if (!parsed.success) refused++;
      }
    }
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(500);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('plainPage', () => {
  it('accepts exactly what webhookPageSchema accepts, with the same list and nextLink', () => {
    const pages: unknown[] = [
      { value: [] },
      { value: [1, { a: 1 }], nextLink: 'https://x.test/webhooks?$skiptoken=1' },
      { value: [], nextLink: null },
      { value: [], nextLink: 3 },
      { value: {}, nextLink: null },
      { nextLink: 'x' },
      { value: [], extra: true },
      [],
      null,
      'page',
      JSON.parse('{"__proto__":{"polluted":true},"value":[]}'),
    ];
    for (const page of pages) {
      const plain = plainPage(page);
      const parsed = webhookPageSchema.safeParse(page);
      if (plain) {
        expect(parsed.success, JSON.stringify(page)).toBe(true);
        expect(plain.value).toStrictEqual(parsed.data!.value);
        expect(plain.nextLink ?? null).toBe(parsed.data!.nextLink ?? null);
      } else {
        expect(parsed.success, JSON.stringify(page)).toBe(false);
      }
    }
    expect(pages.filter((page) => plainPage(page)).length).toBe(5);
  });
});
