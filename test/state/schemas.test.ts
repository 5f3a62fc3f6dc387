import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tokenResponseSchema, webhookPageSchema, webhookSchema } from '../../src/protime/schemas.js';
import { describeIssue } from '../../src/shared/describe-issue.js';
import { storeSchema } from '../../src/state/schemas.js';

const webhook = {
  id: 'a7d853ea-0000-4000-8000-000000000001',
  validUntil: '2025-03-31T12:30:00+02:00',
  status: 'Enabled',
  destinationUrl: 'https://receiver.example/hooks',
  collectionName: 'clockings',
};

/** The describeIssue text of a value the schema must reject. */
function issueOf(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
  return describeIssue(result.error);
}

describe('describeIssue', () => {
  it('writes array indexes in brackets and properties with dots', () => {
    const page = { value: [webhook, { ...webhook, validUntil: '2025-03-31T12:30:00' }] };
    expect(issueOf(z.object({ value: z.array(webhookSchema) }), page)).toBe(
      'value[1].validUntil: expected an ISO 8601 date-time with an offset',
    );
  });

  it('names a top-level property without a leading dot', () => {
    expect(issueOf(webhookPageSchema, { value: [], nextLink: 5 })).toBe('nextLink: Invalid input: expected string, received number');
    expect(issueOf(tokenResponseSchema, { access_token: '', expires_in: 1800 })).toMatch(/^access_token: /);
  });

  it('follows record keys and consecutive indexes', () => {
    const record = {
      id: 'x',
      collection: 'people',
      destinationUrl: 'https://r.example',
      externalReferences: [['people', 7]],
      key: null,
      validUntil: webhook.validUntil,
      createdAt: webhook.validUntil,
      status: 'Enabled',
      raw: null,
    };
    const store = { schemaVersion: 1, profiles: {}, subscriptions: { default: { x: record } } };
    expect(issueOf(storeSchema, store)).toBe(
      'subscriptions.default.x.externalReferences[0][1]: Invalid input: expected string, received number',
    );
  });

  it('starts with the index when the root is an array, and is the bare message at the root', () => {
    expect(issueOf(z.array(z.string()), ['a', 1])).toBe('[1]: Invalid input: expected string, received number');
    expect(issueOf(z.string(), 5)).toBe('Invalid input: expected string, received number');
  });

  it('reports only the first issue', () => {
    expect(issueOf(webhookSchema, { ...webhook, id: '', status: 3 })).toMatch(/^id: /);
  });

  it('says "invalid data" for an error without issues', () => {
    expect(describeIssue(new z.ZodError([]))).toBe('invalid data');
  });
});

describe('webhook validUntil', () => {
  it.each([
    '2025-03-31T12:30:00+02:00',
    '2025-03-31T10:30:00Z',
    '2025-03-31T10:30:00.1234567z',
    '2025-03-31T12:30:00+0200',
    '2025-03-31T05:30:00-05:00',
  ])('accepts %j', (validUntil) => {
    expect(webhookSchema.safeParse({ ...webhook, validUntil }).success).toBe(true);
  });

  it.each(['2025-03-31T12:30:00', '2025-03-31', 'not a date Z', '2025-13-01T10:00:00Z', ''])('rejects %j', (validUntil) => {
    expect(webhookSchema.safeParse({ ...webhook, validUntil }).success).toBe(false);
  });

  it('keeps a status it does not know and fields it does not know', () => {
    const parsed = webhookSchema.parse({ ...webhook, status: 'Uninitialized', retries: 3 });
    expect(parsed).toEqual({ ...webhook, status: 'Uninitialized', retries: 3 });
  });
});
