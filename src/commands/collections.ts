import { COLLECTIONS, type Collection } from '../collections.js';
import { table, type View } from '../output.js';

export async function run(): Promise<Collection[]> {
  return COLLECTIONS.map(({ name, label }) => ({ name, label }));
}

export function render(result: Collection[], view: View): string {
  return table(view, ['NAME', 'LABEL'], result.map((c) => [c.name, c.label]));
}
