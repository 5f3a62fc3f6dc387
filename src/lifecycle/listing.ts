import type { Context } from '../context.js';
import { listWebhooks, type UnreadableWebhook, type WebhookList } from '../protime/api.js';
import type { ProtimeClient } from '../protime/client.js';
import { printable } from '../shared/names.js';

/**
 * The tenant's webhook list as status, renew and subscribe read it: each item Protime sent that
 * could not be read is named on stderr, and the others are used as they are.
 */
export async function readList(ctx: Context, client: ProtimeClient): Promise<WebhookList> {
  const list = await listWebhooks(client);
  for (const item of list.unreadable) {
    ctx.log.warn(
      `Protime listed ${unreadableName(item)}, but it could not be read (${printable(item.problem)}); it is left alone: not renewed, recreated or deleted.`,
    );
  }
  return list;
}

/** `webhook <id>` when the item had a readable id (escaped: it is the server's text), else where it was. */
export function unreadableName(item: UnreadableWebhook): string {
  return item.id !== null ? `webhook ${printable(item.id)}` : `an item without a readable id (page ${item.page}, index ${item.index})`;
}

/** Ids of the unreadable items that had one. */
export function unreadableIds(list: WebhookList | undefined): Set<string> {
  return new Set((list?.unreadable ?? []).flatMap((item) => (item.id === null ? [] : [item.id])));
}
