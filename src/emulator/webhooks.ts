import { randomBytes, randomUUID } from 'node:crypto';
import { loadState, saveState } from './state-file.js';

export type WebhookStatus = 'Enabled' | 'Disabled';

/** A webhook as the API shows it in GET responses (no key). */
export interface PublicWebhook {
  id: string;
  validUntil: string;
  status: WebhookStatus;
  destinationUrl: string;
  collectionName: string;
  externalReferences: Record<string, string>;
  createdAt: string;
}

/** Everything the emulator keeps about a webhook, key included. */
export interface StoredWebhook extends PublicWebhook {
  key: string;
  /** Stored status; expiry is applied on read by statusOf(). */
  status: WebhookStatus;
  consecutiveFailures: number;
  disabledReason?: 'Deleted' | 'DeliveryFailed' | 'Expired';
}

export interface StoreSettings {
  now: () => Date;
  validitySeconds: number;
  stateFile?: string;
}

/** `2025-03-31T12:30:00+00:00`: Protime shows offsets, so clients must not count on a trailing Z. */
export function formatInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** How long changes gather before the state file is written. */
const SAVE_DELAY_MS = 50;

/** Starts near the documented example (0000090200004BD0000A) so values look familiar. */
const FIRST_CHANGE_VERSION = 0x0000090200004bd00000n;

/** The webhooks and the changeVersion counter: everything that survives a restart. */
export class WebhookStore {
  private readonly webhooks = new Map<string, StoredWebhook>();
  private changeVersion = FIRST_CHANGE_VERSION;

  constructor(private readonly settings: StoreSettings) {
    const saved = settings.stateFile ? loadState<StoredWebhook>(settings.stateFile) : undefined;
    if (saved) {
      this.changeVersion = BigInt(`0x${saved.changeVersion}`);
      for (const webhook of saved.webhooks) this.webhooks.set(webhook.id, webhook);
    }
  }

  create(input: { destinationUrl: string; collectionName: string; externalReferences: Record<string, string> }): StoredWebhook {
    const now = this.settings.now();
    const webhook: StoredWebhook = {
      id: randomUUID(),
      key: randomBytes(32).toString('base64'),
      validUntil: formatInstant(new Date(now.getTime() + this.settings.validitySeconds * 1000)),
      status: 'Enabled',
      ...input,
      createdAt: formatInstant(now),
      consecutiveFailures: 0,
    };
    this.webhooks.set(webhook.id, webhook);
    this.save();
    return webhook;
  }

  /** In creation order, so paging is stable. */
  all(): StoredWebhook[] {
    return [...this.webhooks.values()];
  }

  get(id: string): StoredWebhook | undefined {
    return this.webhooks.get(id);
  }

  /** Disabled once validUntil has passed by the emulator clock, whatever the stored status says. */
  statusOf(webhook: StoredWebhook): WebhookStatus {
    if (webhook.status !== 'Enabled') return webhook.status;
    return Date.parse(webhook.validUntil) > this.settings.now().getTime() ? 'Enabled' : 'Disabled';
  }

  toPublic(webhook: StoredWebhook): PublicWebhook {
    const { id, validUntil, destinationUrl, collectionName, externalReferences, createdAt } = webhook;
    return { id, validUntil, status: this.statusOf(webhook), destinationUrl, collectionName, externalReferences, createdAt };
  }

  disable(id: string, reason: NonNullable<StoredWebhook['disabledReason']>): void {
    const webhook = this.webhooks.get(id);
    if (!webhook || webhook.status === 'Disabled') return;
    webhook.status = 'Disabled';
    webhook.disabledReason = reason;
    this.save();
  }

  /** Moves the expiry. It never brings a webhook back: one already expired stays Disabled, as in Protime. */
  setValidUntil(id: string, validUntil: Date): StoredWebhook | undefined {
    const webhook = this.webhooks.get(id);
    if (!webhook) return undefined;
    if (webhook.status === 'Enabled' && this.statusOf(webhook) === 'Disabled') {
      webhook.status = 'Disabled';
      webhook.disabledReason = 'Expired';
    }
    webhook.validUntil = formatInstant(validUntil);
    this.save();
    return webhook;
  }

  /** Counts consecutive failed deliveries; returns the count after this one (0 after a success). */
  recordDelivery(id: string, ok: boolean): number {
    const webhook = this.webhooks.get(id);
    if (!webhook) return 0;
    const before = webhook.consecutiveFailures;
    webhook.consecutiveFailures = ok ? 0 : before + 1;
    if (webhook.consecutiveFailures !== before) this.save();
    return webhook.consecutiveFailures;
  }

  /** Hands out n strictly increasing changeVersions (20 uppercase hex digits) and saves once. */
  reserveChangeVersions(n: number): string[] {
    const versions: string[] = [];
    for (let i = 0; i < n; i++) {
      this.changeVersion += 1n;
      versions.push(formatChangeVersion(this.changeVersion));
    }
    this.save();
    return versions;
  }

  /**
   * Changes are saved together, SAVE_DELAY_MS after the first (and at close): writing the whole
   * file on every create and delete blocked the emulator for milliseconds each, which a client
   * renewing hundreds of webhooks at once felt as latency. A kill -9 loses at most that last moment.
   */
  private save(): void {
    // A write that failed in the background fails the next change, as it failed its own before.
    const failed = this.#saveError;
    this.#saveError = undefined;
    if (failed) throw failed;
    if (!this.settings.stateFile || this.#saving) return;
    this.#saving = setTimeout(() => {
      try {
        this.flush();
      } catch (error) {
        this.#saveError = error;
      }
    }, SAVE_DELAY_MS);
    this.#saving.unref();
  }

  #saving: NodeJS.Timeout | undefined;
  #saveError: unknown;

  /** Writes the state file now, if a change is waiting. */
  flush(): void {
    if (!this.#saving) return;
    clearTimeout(this.#saving);
    this.#saving = undefined;
    if (!this.settings.stateFile) return;
    saveState(this.settings.stateFile, {
      version: 1,
      changeVersion: formatChangeVersion(this.changeVersion),
      webhooks: this.all(),
    });
  }
}

function formatChangeVersion(value: bigint): string {
  return value.toString(16).toUpperCase().padStart(20, '0');
}
