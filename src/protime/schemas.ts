import { z } from 'zod';
import { isIsoWithOffset } from './plain.js';

/** Token endpoint answer (OAuth2 client credentials). Unknown fields are kept, not rejected. */
export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  // RECOMMENDED, not required (RFC 6749 §5.1): read by tokenLifetimeSeconds, whatever it holds.
  expires_in: z.unknown().optional(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
});

const isoWithOffset = z.string().refine(isIsoWithOffset, {
  message: 'expected an ISO 8601 date-time with an offset',
});

/** A webhook as Protime lists it. `status` stays a free string: Protime may add values. plain.ts checks the usual ones without zod. */
export const webhookSchema = z.looseObject({
  id: z.string().min(1),
  validUntil: isoWithOffset,
  status: z.string(),
  destinationUrl: z.string(),
  collectionName: z.string(),
  externalReferences: z.unknown().optional(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/** One page of the list: only the envelope is checked here, each item on its own (see listWebhooks). */
export const webhookPageSchema = z.looseObject({
  value: z.array(z.unknown()),
  nextLink: z.string().nullish(),
});

/** The 201 body of POST /webhooks: its exact shape is undocumented, so only validUntil is required. */
export const createdWebhookSchema = z.looseObject({
  id: z.string().min(1).optional(),
  validUntil: isoWithOffset,
  status: z.string().optional(),
});
