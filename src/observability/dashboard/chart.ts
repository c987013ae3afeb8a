/**
 * Statechart outlines for the dashboard, read from the machine definitions themselves (the
 * `root` StateNode of a live actor's logic): every state node with its id, key, type,
 * initial child and outgoing transitions — never a hand-maintained copy of a chart.
 *
 * Also turns a snapshot `value` into the ids of its active state nodes, so the page can
 * highlight them (ids are the machine's own: `grid.entry.cancelling.sending`).
 *
 * Invariants: pure functions over the StateNode API (no I/O); the outline is plain JSON
 * (no functions, guards or actions); event names of delayed / done / error transitions are
 * shortened for reading (`after 5000`, `done: placeOrder`).
 */

/** The part of an XState v5 StateNode read here. */
export interface StateNodeLike {
  id: string;
  key: string;
  type: string;
  states: Record<string, StateNodeLike>;
  initial?: { target?: readonly StateNodeLike[] } | undefined;
  transitions?: Map<string, ReadonlyArray<{ eventType: string; target?: readonly StateNodeLike[] | undefined }>>;
  always?: ReadonlyArray<{ target?: readonly StateNodeLike[] | undefined }> | undefined;
}

export interface ChartEdge {
  event: string;
  /** Target state ids (empty: an internal transition). */
  targets: string[];
}

export interface ChartNode {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial: string | null;
  edges: ChartEdge[];
  states: ChartNode[];
}

/** `xstate.after.5000.grid.entry.ready` → `after 5000`; `xstate.done.actor.0.grid.x` → `done: 0.grid.x`. */
export function eventLabel(eventType: string): string {
  const after = /^xstate\.after\.(\d+)\./.exec(eventType);
  if (after) return `after ${after[1]}ms`;
  if (eventType.startsWith('xstate.done.actor.')) return `done: ${eventType.slice('xstate.done.actor.'.length)}`;
  if (eventType.startsWith('xstate.error.actor.')) return `error: ${eventType.slice('xstate.error.actor.'.length)}`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

export function chartOf(node: StateNodeLike): ChartNode {
  const edges: ChartEdge[] = [];
  for (const [eventType, list] of node.transitions ?? []) {
    for (const t of list) edges.push({ event: eventLabel(t.eventType ?? eventType), targets: (t.target ?? []).map((s) => s.id) });
  }
  for (const t of node.always ?? []) edges.push({ event: 'always', targets: (t.target ?? []).map((s) => s.id) });
  const type = (['atomic', 'compound', 'parallel', 'final', 'history'] as const).find((k) => k === node.type) ?? 'atomic';
  return {
    id: node.id,
    key: node.key,
    type,
    initial: node.initial?.target?.[0]?.id ?? null,
    edges,
    states: Object.values(node.states ?? {}).map(chartOf),
  };
}

/** The sub-chart whose key path is `path` below `root` (e.g. ['entry']), or undefined. */
export function subChart(root: ChartNode, path: readonly string[]): ChartNode | undefined {
  let node: ChartNode | undefined = root;
  for (const key of path) node = node?.states.find((s) => s.key === key);
  return node;
}

/**
 * Ids of the active state nodes of a snapshot value under the node `rootId`:
 * `{ entry: { cancelling: 'sending' } }` → [`grid.entry`, `grid.entry.cancelling`, `grid.entry.cancelling.sending`].
 */
export function activeIds(rootId: string, value: unknown): string[] {
  const out: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'string') {
      out.push(`${prefix}.${v}`);
      return;
    }
    if (v && typeof v === 'object') {
      for (const [k, sub] of Object.entries(v as Record<string, unknown>)) {
        out.push(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, sub);
      }
    }
  };
  walk(rootId, value);
  return out;
}

/** `{ cancelling: 'sending' }` → `cancelling.sending` (one region); a parallel value joins its regions with `, `. */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const sub = valueText(v);
      return sub ? `${k}.${sub}` : k;
    });
    return parts.join(', ');
  }
  return '';
}
