import pLimit, { type LimitFunction } from 'p-limit';

/**
 * Runs an API request when the caller's bound on requests in flight allows it (renew's
 * --concurrency); commands without a bound send at once.
 */
export type Send = <T>(request: () => Promise<T>) => Promise<T>;

export const sendNow: Send = (request) => request();

/**
 * How renewals are bounded. `requests`: API requests of replacements in flight at once
 * (--concurrency). `steps`: replacements under way, twice as many, since one that waits for its
 * store write (the new key durable before the old webhook is deleted) holds no request slot
 * meanwhile: with one replacement per slot, a renew of 500 kept about a fifth of its slots idle
 * on those writes.
 */
export interface Slots {
  steps: LimitFunction;
  requests: Send;
}

export function renewalSlots(concurrency: number): Slots {
  return { steps: pLimit(2 * concurrency), requests: pLimit(concurrency) };
}
