/**
 * Transition inventory of a machine, derived from its definition alone: every transition of
 * every state node (event handlers incl. root-level ones of parallel machines, invoke
 * onDone/onError, `after` delays, `always`), each with a stable id
 * `source  event#index → targets`, and every state node id.
 *
 * Invariants: the inventory is read from the machine object the actors run (transition
 * definitions are matched by identity when counting what fired), so a transition added to a
 * machine appears here without any change to the tests.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface TransitionInfo {
  id: string;
  /** Source state path ('' for the root). */
  source: string;
  /** Top-level region (parallel roots) or '' for the root / non-parallel machines. */
  region: string;
  event: string;
  index: number;
  targets: string[];
}

export interface Inventory {
  machineId: string;
  transitions: TransitionInfo[];
  idOf: Map<AnyTransitionDefinition, string>;
  /** Every state node id (`machine.a.b`), the root excluded. */
  states: string[];
}

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states ?? {}).flatMap((child) => [child as AnyStateNode, ...allNodes(child as AnyStateNode)]);
}

/** Readable event label: invoke completions name the invoked source instead of the generated id. */
function eventLabel(node: AnyStateNode, eventType: string): string {
  const invokes = (node.invoke ?? []) as Array<{ id: string; src: unknown }>;
  for (const inv of invokes) {
    const src = typeof inv.src === 'string' ? inv.src : 'inline';
    if (eventType === `xstate.done.actor.${inv.id}`) return `done:${src}`;
    if (eventType === `xstate.error.actor.${inv.id}`) return `error:${src}`;
  }
  if (eventType === '') return 'always';
  if (eventType.startsWith('xstate.after.')) return `after:${eventType.split('.')[2]}`;
  return eventType;
}

export function inventory(machine: AnyStateMachine): Inventory {
  const root = machine.root as AnyStateNode;
  const nodes = [root, ...allNodes(root)];
  const transitions: TransitionInfo[] = [];
  const idOf = new Map<AnyTransitionDefinition, string>();
  const parallelRoot = root.type === 'parallel';
  const add = (node: AnyStateNode, eventType: string, defs: readonly AnyTransitionDefinition[]) => {
    defs.forEach((t, index) => {
      const source = node.path.join('.');
      const targets = (t.target ?? []).map((n: AnyStateNode) => n.path.join('.') || '(root)');
      const label = eventLabel(node, eventType);
      const id = `${source || '(root)'}  ${label}#${index} → ${targets.length ? targets.join(',') : '(stays)'}${t.reenter ? ' (reenter)' : ''}`;
      if (idOf.has(t)) return;
      idOf.set(t, id);
      transitions.push({ id, source, region: parallelRoot ? (node.path[0] ?? '') : '', event: label, index, targets });
    });
  };
  for (const node of nodes) {
    for (const [eventType, defs] of node.transitions) add(node, eventType, defs);
    if (node.always) add(node, '', node.always);
  }
  const ids = new Set<string>();
  for (const t of transitions) {
    if (ids.has(t.id)) throw new Error(`duplicate transition id ${t.id}`);
    ids.add(t.id);
  }
  return { machineId: machine.id, transitions, idOf, states: nodes.slice(1).map((n) => n.id) };
}

/** Ids of the state nodes active in a state value (every level of nesting). */
export function activeStateIds(machineId: string, value: unknown, prefix = machineId): string[] {
  if (typeof value === 'string') return [`${prefix}.${value}`];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [`${prefix}.${k}`, ...activeStateIds(machineId, v, `${prefix}.${k}`)]);
}
