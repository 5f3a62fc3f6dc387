import { COLLECTIONS, type Collection } from '../shared/collections.js';
import { table, type View } from '../shared/output.js';

export async function run(): Promise<Collection[]> {
  return COLLECTIONS.map(({ name, label }) => ({ name, label }));
}

export function render(result: Collection[], view: View): string {
  return table(
    view,
    ['NAME', { head: 'LABEL', wrap: true }],
    result.map((c) => [c.name, c.label]),
  );
}
