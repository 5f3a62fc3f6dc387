import { DEFAULT_SIGNATURE, sign } from '../shared/signature.js';
import { type ChangeType, sampleItem } from './data.js';
import type { Timers } from './timers.js';
import type { WebhookStore } from './webhooks.js';

export const SIGNATURE_HEADER = DEFAULT_SIGNATURE.header;
export const WEBHOOK_ID_HEADER = 'X-Protime-Webhook-Id';
const USER_AGENT = 'protime-emulator/1.0 (protime-hooks)';
/** A destination that hangs counts as a failure after this long. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** Backoff stops growing here, and setTimeout cannot take more than ~24 days anyway. */
const MAX_RETRY_DELAY_MS = 3_600_000;

export interface EventInput {
  collectionName: string;
  changeType: ChangeType;
  /** Used as the item (plus a fresh changeVersion) for every event; generated when absent. */
  data?: Record<string, unknown>;
  count: number;
}

/** The outcome of one delivery attempt: the destination's status, or why there was none. */
export interface DeliveryResult {
  webhookId: string;
  changeVersion: string;
  attempt: number;
  status?: number;
  error?: string;
}

export interface DelivererSettings {
  maxFailures: number;
  retryBaseMs: number;
  log: (line: string) => void;
}

/** base64(HMAC-SHA256(key, raw body)): what the emulator documents for X-Protime-Signature. */
export function signBody(key: string, body: Buffer | string): string {
  return sign(key, body, 'sha256', 'base64');
}

/** POSTs events to webhooks, retries failures with exponential backoff, disables after maxFailures. */
export class Deliverer {
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly store: WebhookStore,
    private readonly timers: Timers,
    private readonly settings: DelivererSettings,
  ) {}

  /**
   * Emits events one after another (so a receiver sees them in changeVersion order), each to all
   * Enabled webhooks of its collection at once, and waits for every first attempt.
   */
  async emit(input: EventInput): Promise<{ emitted: number; changeVersions: string[]; deliveries: DeliveryResult[] }> {
    const deliveries: DeliveryResult[] = [];
    const changeVersions = this.store.reserveChangeVersions(input.count);
    for (const changeVersion of changeVersions) {
      const serial = Number(BigInt(`0x${changeVersion}`) % 1_000_000n);
      const data = { ...(input.data ?? sampleItem(input.collectionName, input.changeType, serial)), changeVersion };
      const body = Buffer.from(JSON.stringify({ changeType: input.changeType, data }));
      const targets = this.store
        .all()
        .filter((webhook) => webhook.collectionName === input.collectionName && this.store.statusOf(webhook) === 'Enabled');
      deliveries.push(...(await Promise.all(targets.map((webhook) => this.attempt(webhook.id, body, changeVersion, 1)))));
    }
    return { emitted: input.count, changeVersions, deliveries };
  }

  /** Aborts deliveries in flight; pending retries are cancelled through the shared Timers. */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
  }

  private async attempt(webhookId: string, body: Buffer, changeVersion: string, attempt: number): Promise<DeliveryResult> {
    const webhook = this.store.get(webhookId)!;
    const result: DeliveryResult = { webhookId, changeVersion, attempt };
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      const response = await fetch(webhook.destinationUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          [SIGNATURE_HEADER]: signBody(webhook.key, body),
          [WEBHOOK_ID_HEADER]: webhook.id,
        },
        body,
        // A redirect is not a 2xx: count it as a failure instead of following it.
        redirect: 'manual',
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      await response.arrayBuffer().catch(() => undefined); // drain, so the connection can be reused
      result.status = response.status;
    } catch (error) {
      result.error = describeFetchError(error);
    } finally {
      this.inFlight.delete(controller);
    }
    if (!this.closed) this.settle(result, body);
    return result;
  }

  /** Records the outcome, then schedules a retry or disables the webhook. */
  private settle(result: DeliveryResult, body: Buffer): void {
    const { webhookId, changeVersion, attempt } = result;
    const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
    const outcome = result.status === undefined ? `failed: ${result.error}` : String(result.status);
    const failures = this.store.recordDelivery(webhookId, ok);
    const line = `delivery ${changeVersion} -> webhook ${webhookId} ${outcome} (attempt ${attempt})`;
    if (ok) {
      this.settings.log(line);
      return;
    }
    if (failures >= this.settings.maxFailures) {
      this.store.disable(webhookId, 'DeliveryFailed');
      this.settings.log(`${line}; webhook disabled after ${failures} consecutive failures`);
      return;
    }
    const delay = Math.min(this.settings.retryBaseMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
    this.settings.log(`${line}; retry in ${delay} ms`);
    this.timers.schedule(() => {
      const webhook = this.store.get(webhookId);
      // Deleted, expired or disabled meanwhile: Protime stops sending, so do we.
      if (webhook && this.store.statusOf(webhook) === 'Enabled') void this.attempt(webhookId, body, changeVersion, attempt + 1);
    }, delay);
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `timed out after ${DELIVERY_TIMEOUT_MS} ms`;
    // fetch says only "fetch failed"; the cause holds ECONNREFUSED, "bad port" (fetch refuses ports like 9) etc.
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
    return detail ? `${error.message}: ${detail}` : error.message;
  }
  return String(error);
}
