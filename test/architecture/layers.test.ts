import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, LAYERS, layerViolations, sourceFiles } from './imports.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const files = sourceFiles(SRC);
const graph = importGraph(SRC, files);

describe('the layers of src/', () => {
  it('reads the real tree: every layer has files and the graph has imports', () => {
    for (const layer of Object.keys(LAYERS))
      expect(
        files.some((f) => f === `${layer}.ts` || f.startsWith(`${layer}/`)),
        layer,
      ).toBe(true);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });

  it('imports run one way: cli → commands → lifecycle → context → protime | state | emulator → shared', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('every layer folder says what it holds and what it may import', () => {
    const folders = Object.keys(LAYERS).filter((layer) => layer !== 'context');
    expect(folders.filter((folder) => !existsSync(join(SRC, folder, 'README.md')))).toEqual([]);
  });
});

describe('the checker itself', () => {
  const fake = (files: Record<string, string>) => {
    const names = Object.keys(files);
    return importGraph('/src', names, (file) => files[file]!);
  };

  it('reports an upward import, a peer import and a file outside every layer', () => {
    const graph = fake({
      'shared/errors.ts': "import type { Context } from '../context.js';",
      'context.ts': 'export const x = 1;',
      'protime/auth.ts': "import { FileStore } from '../state/file-store.js';",
      'state/file-store.ts': 'export class FileStore {}',
      'misc.ts': 'export {};',
    });
    expect(layerViolations(graph)).toEqual([
      'shared/errors.ts (shared) → context.ts (context)',
      'protime/auth.ts (protime) → state/file-store.ts (state)',
      'misc.ts belongs to no layer',
    ]);
  });

  it('sees dynamic imports and re-exports, and reports a cycle once', () => {
    const graph = fake({
      'cli/a.ts': "const m = () => import('./b.js');",
      'cli/b.ts': "export { c } from './c.js';",
      'cli/c.ts': "import type { A } from './a.js';",
    });
    expect(importCycles(graph)).toEqual(['cli/a.ts → cli/b.ts → cli/c.ts → cli/a.ts']);
  });

  it('allows downward imports and imports within a layer', () => {
    const graph = fake({
      'commands/status.ts': "import { assess } from '../lifecycle/assess.js'; import { listWebhooks } from '../protime/api.js';",
      'lifecycle/assess.ts': "import { renewAfter } from './renewal.js';",
      'lifecycle/renewal.ts': '',
      'protime/api.ts': "import { failure } from '../shared/errors.js';",
      'shared/errors.ts': '',
    });
    expect(layerViolations(graph)).toEqual([]);
    expect(importCycles(graph)).toEqual([]);
  });
});
