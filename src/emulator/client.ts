/**
 * Client for the emulator's control endpoint, for the CLI's `emulator emit` and for tests.
 * Returns how many events were emitted, their changeVersions, and how many first delivery attempts they caused.
 */
export async function emitEvents(
  emulatorUrl: string,
  collection: string,
  count: number,
  opts: { changeType?: 'InsertOrUpdate' | 'Delete'; fetch?: typeof globalThis.fetch } = {},
): Promise<{ emitted: number; changeVersions: string[]; deliveries: number }> {
  // The CLI passes its network's fetch, so the request honours the proxy variables like every other.
  const response = await (opts.fetch ?? fetch)(`${emulatorUrl.replace(/\/+$/, '')}/_emulator/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ collectionName: collection, count, changeType: opts.changeType ?? 'InsertOrUpdate' }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`The emulator refused the events (HTTP ${response.status}): ${describeError(text)}`);
  const body = JSON.parse(text) as { emitted: number; changeVersions: string[]; deliveries: unknown[] };
  return { emitted: body.emitted, changeVersions: body.changeVersions, deliveries: body.deliveries.length };
}

/** The message and reasons of an error body, or the raw text when it is not one. */
function describeError(text: string): string {
  try {
    const { error } = JSON.parse(text) as { error?: { message?: string; reasons?: string[] } };
    if (error?.message) return [error.message, ...(error.reasons ?? [])].join('; ');
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}
