import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Issue 17: modules import one way. The graph is read from the sources' relative imports
// (type imports included: they tie the modules as much for a reader).
const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts')) {
        const deps = new Set<string>();
        for (const m of readFileSync(file, 'utf8').matchAll(/(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]/g)) {
          const target = path.join(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'));
          if (existsSync(target)) deps.add(target);
        }
        graph.set(file, deps);
      }
    }
  };
  walk(src);
  return graph;
}

const moduleOf = (file: string): string => {
  const parts = path.relative(src, file).split(path.sep);
  return parts[0] === 'modules' ? parts[1]! : parts[0]!;
};

describe('module imports', () => {
  const graph = sourceGraph();

  it('has no import cycle between files', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]): void => {
      state.set(file, 'open');
      for (const dep of graph.get(file) ?? []) {
        if (state.get(dep) === 'open') cycles.push([...trail.slice(trail.indexOf(dep)), dep].map((f) => path.relative(src, f)).join(' → '));
        else if (!state.has(dep)) visit(dep, [...trail, dep]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  it('imports one way between the floor and advisors, queue and tickets', () => {
    const uses = new Set<string>();
    for (const [file, deps] of graph) for (const dep of deps) uses.add(`${moduleOf(file)} → ${moduleOf(dep)}`);
    const bothWays = ['advisors', 'queue', 'tickets'].filter((m) => uses.has(`floor → ${m}`) && uses.has(`${m} → floor`));
    expect(bothWays).toEqual([]);
  });
});
