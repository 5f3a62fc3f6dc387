/** Generated event data, for when `POST /_emulator/events` does not bring its own. */

export type ChangeType = 'InsertOrUpdate' | 'Delete';

const HOURS_IN_MINUTES = [2280, 1900, 1520, 1140]; // 38 h, 31h40, 25h20, 19 h a week
const FULL_TIME_MINUTES = 2280;

/**
 * A delta item for a collection, derived from a serial number so runs are reproducible.
 * A Delete carries only the id: the item no longer exists. changeVersion is added by the caller.
 */
export function sampleItem(collectionName: string, changeType: ChangeType, serial: number): Record<string, unknown> {
  const id = 1000 + serial;
  if (changeType === 'Delete') return { id };
  if (collectionName === 'contracts') return sampleContract(id, serial);
  return { id, person: { id: 500 + (serial % 50) }, description: `${collectionName} item ${id}` };
}

/** Fields from Protime's contract table: every fifth one is an addendum to the contract before it. */
function sampleContract(id: number, serial: number): Record<string, unknown> {
  const hours = HOURS_IN_MINUTES[serial % HOURS_IN_MINUTES.length]!;
  const from = new Date(Date.UTC(2024, 0, 1 + (serial % 365)));
  const until = serial % 3 === 0 ? new Date(Date.UTC(from.getUTCFullYear() + 1, from.getUTCMonth(), from.getUTCDate() - 1)) : null;
  const addendum = serial % 5 === 4;
  return {
    id,
    person: { id: 500 + (serial % 50) },
    code: `CT${String(id).padStart(6, '0')}`,
    from: isoDate(from),
    until: until && isoDate(until),
    contractHoursInMinutes: hours,
    fullTimeEquivalentInMinutes: FULL_TIME_MINUTES,
    contractPercentage: Math.round((hours / FULL_TIME_MINUTES) * 10_000) / 100,
    numberOfWorkingDaysPerWeek: hours >= 1900 ? 5 : 4,
    numberOfDaysInContractPeriod: 7,
    kind: addendum ? 'Addendum' : 'Contract',
    parentContract: addendum ? { id: id - 1 } : null,
  };
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
