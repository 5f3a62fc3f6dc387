import type { SubscriptionRecord } from '../state/schemas.js';

/** A failing delete as status and renew report it; null when nothing failed. */
export interface DeleteFailing {
  failures: number;
  since: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
}

type Deletion = Pick<
  SubscriptionRecord,
  'replacedBy' | 'deletedAt' | 'deleteFailures' | 'deleteFailingSince' | 'nextDeleteAt' | 'lastDeleteError'
>;

export function deleteFailing(record: Deletion | undefined): DeleteFailing | null {
  if (!record?.replacedBy || record.deletedAt || !record.deleteFailures) return null;
  return {
    failures: record.deleteFailures,
    since: record.deleteFailingSince ?? null,
    nextAttemptAt: record.nextDeleteAt ?? null,
    lastError: record.lastDeleteError ?? null,
  };
}
