import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The layers of src/, highest first. A file may import its own layer and any layer of a lower
 * rank; layers of the same rank stay apart (protime/ and state/ know nothing of each other).
 */
export const LAYERS: Record<string, number> = {
  cli: 6,
  commands: 5,
  lifecycle: 4,
  context: 3,
  protime: 2,
  state: 2,
  emulator: 2,
  shared: 1,
};

/** `cli/run.ts` → `cli`; `context.ts` → `context`; undefined for a file outside every layer. */
export function layerOf(file: string): string | undefined {
  const name = file.includes('/') ? file.slice(0, file.indexOf('/')) : file.replace(/\.ts$/, '');
  return name in LAYERS ? name : undefined;
}

/** Every TypeScript file under `root`, as paths relative to it with forward slashes. */
export function sourceFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(root, path);
    return entry.name.endsWith('.ts') ? [relative(root, path).split('\\').join('/')] : [];
  });
}

/** The src files each file imports (static, re-exports, type-only and dynamic `import()`). */
export function importGraph(
  root: string,
  files: string[],
  read = (file: string) => readFileSync(join(root, file), 'utf8'),
): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(read(file), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) =>
        relative(root, resolve(root, dirname(file), spec))
          .split('\\')
          .join('/')
          .replace(/\.js$/, '.ts'),
      )
      .filter((target) => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** `from → to` for each import that runs against the layer order, or from a file outside every layer. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    const own = layerOf(from);
    if (!own) {
      problems.push(`${from} belongs to no layer`);
      continue;
    }
    for (const to of targets) {
      const other = layerOf(to);
      if (!other || other === own) continue;
      if (LAYERS[other]! >= LAYERS[own]!) problems.push(`${from} (${own}) → ${to} (${other})`);
    }
  }
  return problems;
}

/** Each import cycle once, as `a → b → a`. */
export function importCycles(graph: Map<string, string[]>): string[] {
  const cycles = new Set<string>();
  const done = new Set<string>();
  const visit = (file: string, path: string[]) => {
    const at = path.indexOf(file);
    if (at !== -1) {
      const loop = path.slice(at);
      // Start each cycle at its smallest file name so the same loop is reported once.
      const start = loop.indexOf([...loop].sort()[0]!);
      cycles.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' → '));
      return;
    }
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) visit(file, []);
  return [...cycles];
}
