/** Pure time logic: how healthy a subscription is and when it should be replaced. */

/**
 * `replaced`: an old webhook still enabled after its replacement was stored (its delete is owed to
 * the next renew, or it was kept with --keep-old). Shown so every live webhook is accounted for.
 * `foreign`: on the server but not this profile's (another profile's, machine's or tool's).
 * `unreadable`: this profile's, listed by the server in a form that could not be read: its health
 * is unknown, so nothing is done to it (never replaced, recreated or deleted) until it reads again.
 */
export type SubscriptionState =
  | 'ok'
  | 'renew-due'
  | 'expired'
  | 'disabled'
  | 'missing'
  | 'unknown-key'
  | 'replaced'
  | 'deploy-pending'
  | 'foreign'
  | 'unreadable';

export const DEFAULT_WINDOW_SECONDS = 7 * 86_400;

/**
 * How long before `validUntil` renewal becomes due: min(7 days, a third of the lifetime), or 7 days
 * when the creation time is unknown. A third keeps short-lived webhooks (say 3 days) from being due
 * the moment they are created.
 */
export function renewalWindowSeconds(validUntil: Date, createdAt?: Date): number {
  if (!createdAt) return DEFAULT_WINDOW_SECONDS;
  const lifetime = (validUntil.getTime() - createdAt.getTime()) / 1000;
  if (!(lifetime > 0)) return DEFAULT_WINDOW_SECONDS;
  return Math.min(DEFAULT_WINDOW_SECONDS, Math.floor(lifetime / 3));
}

/** The instant from which renewal is due. `windowSeconds` (from --renew-within) overrides the default. */
export function renewAfter(validUntil: Date, createdAt?: Date, windowSeconds?: number): Date {
  const window = windowSeconds ?? renewalWindowSeconds(validUntil, createdAt);
  return new Date(validUntil.getTime() - window * 1000);
}

export interface StateInput {
  /** On the server, but not this profile's: another profile's, machine's or tool's. */
  foreign?: boolean;
  now: Date;
  validUntil: Date;
  createdAt?: Date;
  /** Server status (`Enabled`, `Disabled`, or anything else Protime may add); undefined offline. */
  serverStatus?: string;
  /** False when we looked at the server and the webhook was not there. */
  onServer: boolean;
  /** Listed, but its item could not be read: nothing else about it is known. */
  unreadable?: boolean;
  hasKey: boolean;
  /** Some receiver (a deploy hook, the keys file) has not got this webhook's key yet. */
  deployPending?: boolean;
  windowSeconds?: number;
}

/**
 * Worst applicable state first: a gone, disabled or expired webhook already lost events, which
 * matters more than a missing key or an approaching renewal.
 */
export function subscriptionState(input: StateInput): SubscriptionState {
  // Not ours to judge: whatever its health, it is someone else's to renew.
  if (input.foreign) return 'foreign';
  // Listed, so not missing; unread, so its health is unknown: neither ok, nor due, nor dead.
  if (input.unreadable) return 'unreadable';
  if (!input.onServer) return 'missing';
  return stateAt(
    input.now.getTime(),
    input.validUntil.getTime(),
    isDisabled(input.serverStatus),
    lacking(input.hasKey, input.deployPending),
    () => renewAfter(input.validUntil, input.createdAt, input.windowSeconds).getTime(),
  );
}

/** Protime's status says disabled, whatever its case. */
export const isDisabled = (status: string | undefined) => status?.toLowerCase() === 'disabled';

/** What a webhook still in force lacks: its key, or a receiver's copy of it. */
export const lacking = (hasKey: boolean, deployPending: unknown) => (!hasKey ? 'unknown-key' : deployPending ? 'deploy-pending' : null);

/**
 * The state of a webhook of this profile on the server, from what does not change with time
 * (`disabled`, and what it lacks: `held`) and the two instants that do. status --offline's
 * fast path keeps those and asks this alone (cli/fast-status.ts).
 */
export function stateAt(
  nowMs: number,
  validUntilMs: number,
  disabled: boolean,
  held: ReturnType<typeof lacking>,
  dueMs: number | (() => number),
): SubscriptionState {
  if (disabled) return 'disabled';
  // An unreadable validUntil must not pass for healthy: treat it as the worst time can be.
  if (Number.isNaN(validUntilMs) || nowMs >= validUntilMs) return 'expired';
  if (held) return held;
  return nowMs >= (typeof dueMs === 'number' ? dueMs : dueMs()) ? 'renew-due' : 'ok';
}

type Severity = 'ok' | 'attention' | 'failure' | 'critical';

/** `failure` (exit 1) for unreadable: Protime's answer needs a person, and renew cannot fix it. */
const SEVERITY: Record<SubscriptionState, Severity> = {
  ok: 'ok',
  replaced: 'ok',
  'renew-due': 'attention',
  'unknown-key': 'attention',
  'deploy-pending': 'attention',
  foreign: 'ok',
  expired: 'critical',
  disabled: 'critical',
  missing: 'critical',
  unreadable: 'failure',
};

/** Worst last: the contract's order 5 > 1 > 3 > 0. */
const RANK: Severity[] = ['ok', 'attention', 'failure', 'critical'];

/** The worst severity among states; `ok` for none. cli.ts maps it to an exit code. */
export function worstSeverity(states: Iterable<SubscriptionState>): Severity {
  let worst: Severity = 'ok';
  for (const state of states) if (RANK.indexOf(SEVERITY[state]) > RANK.indexOf(worst)) worst = SEVERITY[state];
  return worst;
}
