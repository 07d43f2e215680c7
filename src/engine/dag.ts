// The DAG built from each step's `needs`: validation, topological order, and parallel groups.
import { InputError } from '../util/errors.js';

export interface Node {
  id: string;
  needs: string[];
}

/** Throws on an unknown `needs` or a cycle; the cycle is named in order, `a → b → c → a`. */
export function validateDag(nodes: readonly Node[]): void {
  const ids = new Set<string>();
  for (const n of nodes) {
    if (ids.has(n.id)) throw new InputError(`step "${n.id}" is defined twice`);
    ids.add(n.id);
  }
  for (const n of nodes) {
    for (const need of n.needs) {
      if (!ids.has(need)) throw new InputError(`step "${n.id}" needs unknown step "${need}"`);
    }
  }
  const cycle = findCycle(nodes);
  if (cycle) throw new InputError(`steps form a cycle: ${cycle.join(' → ')}`);
}

function findCycle(nodes: readonly Node[]): string[] | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const need of byId.get(id)?.needs ?? []) {
      const found = visit(need);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const found = visit(n.id);
    // visit walks needs (edges point at prerequisites); reverse so the cycle reads in run order.
    if (found) return found.reverse();
  }
  return undefined;
}

/**
 * Groups of steps that may run at the same time: group k holds the steps whose longest chain of
 * prerequisites has length k. Order inside a group follows declaration order.
 */
export function parallelGroups<N extends Node>(nodes: readonly N[]): N[][] {
  validateDag(nodes);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const d = n.needs.length === 0 ? 0 : 1 + Math.max(...n.needs.map(depthOf));
    depth.set(id, d);
    return d;
  };
  const groups: N[][] = [];
  for (const n of nodes) {
    const d = depthOf(n.id);
    (groups[d] ??= []).push(n);
  }
  return groups;
}

export function topologicalOrder<N extends Node>(nodes: readonly N[]): N[] {
  return parallelGroups(nodes).flat();
}

/** Every step that `ids` need, transitively (not including `ids` themselves). */
export function prerequisites(nodes: readonly Node[], ids: Iterable<string>): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Set<string>();
  const stack = [...ids].flatMap((id) => byId.get(id)?.needs ?? []);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    stack.push(...(byId.get(id)?.needs ?? []));
  }
  return out;
}

/** Every step downstream of `id`, transitively. */
export function dependents(nodes: readonly Node[], id: string): Set<string> {
  const out = new Set<string>();
  let frontier = [id];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const n of nodes) {
      if (!out.has(n.id) && n.needs.some((need) => frontier.includes(need))) {
        out.add(n.id);
        next.push(n.id);
      }
    }
    frontier = next;
  }
  return out;
}
