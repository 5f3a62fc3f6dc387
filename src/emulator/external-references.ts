/**
 * Parses the `externalReferences` query of `POST /webhooks`: pairs written back to back,
 * `(people,@employee-number)(activity-definitions,@data-entry-code)`, into
 * `{ people: '@employee-number', 'activity-definitions': '@data-entry-code' }`.
 * The collection is not checked against the 18 webhook collections: references may point at
 * others (activity-definitions is one). Throws an Error whose message is the 400 reason.
 */
export function parseExternalReferences(text: string): Record<string, string> {
  const references: Record<string, string> = {};
  const pair = /\s*\(\s*([^(),\s]+)\s*,\s*([^(),\s]+)\s*\)\s*/y;
  while (pair.lastIndex < text.length) {
    const match = pair.exec(text);
    if (!match) break;
    const [, collection, reference] = match as unknown as [string, string, string];
    if (collection in references) throw new Error(`externalReferences names '${collection}' twice`);
    references[collection] = reference;
  }
  if (pair.lastIndex !== text.length || Object.keys(references).length === 0) {
    throw new Error(`externalReferences '${text}' is not a list of (collection,reference) pairs`);
  }
  return references;
}
