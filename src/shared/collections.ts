import { closest, distance } from 'fastest-levenshtein';

/** A Protime collection that supports webhooks. */
export interface Collection {
  name: string;
  label: string;
}

/** The 18 collections Protime documents as webhook sources (reference/webhooks). Keep this the only list. */
export const COLLECTIONS: readonly Collection[] = [
  { name: 'absences', label: 'Absences' },
  { name: 'absence-definitions', label: 'Absence definitions' },
  { name: 'absence-groups', label: 'Absence groups' },
  { name: 'access-clockings', label: 'Access clockings' },
  { name: 'activity-durations', label: 'Activity durations' },
  { name: 'assignments', label: 'Assignments' },
  { name: 'break-definitions', label: 'Break definitions' },
  { name: 'breaks', label: 'Breaks' },
  { name: 'calculated-totals', label: 'Calculated totals' },
  { name: 'clockings', label: 'Clockings' },
  { name: 'contracts', label: 'Contracts' },
  { name: 'counters', label: 'Counters' },
  { name: 'counter-definitions', label: 'Counter definitions' },
  { name: 'counter-groups', label: 'Counter groups' },
  { name: 'paid-presences', label: 'Paid presences' },
  { name: 'people', label: 'People' },
  { name: 'shift-definitions', label: 'Shift definitions' },
  { name: 'work-interruptions', label: 'Work interruptions' },
];

export const COLLECTION_NAMES: readonly string[] = COLLECTIONS.map((c) => c.name);

export function isCollection(name: string): boolean {
  return COLLECTION_NAMES.includes(name);
}

/** The closest collection name to a typo, or undefined when nothing is reasonably close. */
export function suggestCollection(name: string): string | undefined {
  const input = name.trim().toLowerCase();
  if (input === '') return undefined;
  const best = closest(input, COLLECTION_NAMES as string[]);
  // A prefix ("contract") or a small edit distance counts as close; anything else is noise.
  const close = best.startsWith(input) || input.startsWith(best) || distance(input, best) <= Math.max(2, Math.floor(best.length / 3));
  return close ? best : undefined;
}
