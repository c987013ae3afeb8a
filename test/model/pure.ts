/**
 * The abstract model side: a machine as pure actor logic for `xstate/graph`, recording which
 * transitions each step fires, and path generation (shortest paths, bounded simple paths).
 *
 * `machine.transition` runs with an actor scope whose `self.getSnapshot()` is the snapshot
 * being transitioned (as in a running actor during a macrostep) and whose inspection sink
 * collects the `@xstate.microstep` transitions. Nothing is executed: invoked and spawned
 * actors are created but never started, custom actions (journal, sendParent…) are skipped.
 *
 * Serialization (`serializeState`) = the machine's abstraction of a snapshot plus the ids of
 * the transitions the step into it fired, so every transition the abstraction can reach is
 * the last step of some shortest path.
 */
import { createEmptyActor, type AnyActorRef, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { getShortestPaths, getSimplePaths, type StatePath } from 'xstate/graph';
import type { Inventory } from './transitions.ts';

export type Snap = AnyMachineSnapshot;
export type Path = StatePath<Snap, EventObject>;

export interface PureLogic {
  transition: (s: Snap, e: EventObject) => Snap;
  getInitialSnapshot: (_scope: unknown, input: unknown) => Snap;
  /** Transition ids fired by the step into a snapshot (initial: the initial microsteps). */
  fired: WeakMap<Snap, string[]>;
  initial: (input: unknown) => Snap;
  /** Events whose transition threw (a machine bug): the step is dropped and reported. */
  errors: string[];
  /** Transition ids fired by the last `transition` call (also when the snapshot did not change). */
  last: () => string[];
}

export function pureLogic(machine: AnyStateMachine, inv: Inventory): PureLogic {
  const base = createEmptyActor() as AnyActorRef & { system: Record<string, unknown> };
  let current: Snap | undefined;
  let sink: string[] = [];
  const system = Object.create(base.system) as Record<string, unknown>;
  // A parent for sendParent to resolve against (what it is sent is not executed).
  const parent = createEmptyActor();
  const self: AnyActorRef = new Proxy(base, {
    get(target, key) {
      if (key === 'getSnapshot') return () => current;
      if (key === 'system') return system;
      if (key === '_parent') return parent;
      return Reflect.get(target, key);
    },
  });
  system._sendInspectionEvent = (ev: { type: string; actorRef?: unknown; _transitions?: unknown[] }) => {
    if (ev.type !== '@xstate.microstep' || ev.actorRef !== self) return;
    for (const t of ev._transitions ?? []) {
      const id = inv.idOf.get(t as never);
      if (!id) throw new Error(`a transition outside the inventory fired: ${String((t as { eventType?: string }).eventType)}`);
      sink.push(id);
    }
  };
  const scope = {
    self,
    system,
    logger: () => {},
    id: 'model',
    sessionId: 'model',
    defer: () => {},
    stopChild: () => {},
    emit: () => {},
    actionExecutor: () => {},
  };
  const fired = new WeakMap<Snap, string[]>();
  const errors: string[] = [];
  let lastFired: string[] = [];
  const transition = (s: Snap, e: EventObject): Snap => {
    current = s;
    sink = [];
    let next: Snap;
    try {
      next = machine.transition(s, e as never, scope as never) as Snap;
      if (next.status === 'error') throw next.error;
    } catch (err) {
      const msg = `${e.type} in ${JSON.stringify(s.value)} throws: ${(err as Error).message}`;
      if (!errors.includes(msg)) errors.push(msg);
      lastFired = [];
      return s;
    }
    if (next !== s) fired.set(next, sink);
    lastFired = sink;
    return next;
  };
  const initial = (input: unknown): Snap => {
    current = undefined;
    sink = [];
    const s = machine.getInitialSnapshot(scope as never, input) as Snap;
    if (s.status === 'error') throw new Error(`model: the initial state is in error: ${String(s.error)}`);
    fired.set(s, sink);
    return s;
  };
  return { transition, getInitialSnapshot: (_scope, input) => initial(input), fired, initial, errors, last: () => lastFired };
}

export interface Abstraction {
  /** The machine's abstraction of a snapshot (state value + the context facts guards read). */
  abstract: (s: Snap) => string;
  /** Every realistic event in a state (venue answers of each kind, updates, operator…). */
  events: (s: Snap) => EventObject[];
  /** The progress subset: the first (favourable) answer of each pending request and the ticks. */
  progress: (s: Snap) => EventObject[];
}

/**
 * Shortest paths (xstate/graph) to every abstract vertex. Returns one path per vertex and the
 * leaves of that set (every other path is a prefix of one of them).
 */
export function shortestPaths(logic: PureLogic, events: (s: Snap) => EventObject[], abstract: (s: Snap) => string, from: Snap, limit: number): { leaves: Path[]; all: Path[] } {
  const all = getShortestPaths(logic as never, {
    fromState: from as never,
    events: events as never,
    serializeState: abstract as never,
    limit,
  }) as unknown as Path[];
  return { leaves: leavesOf(all), all };
}

/**
 * One targeted path per wanted transition: the shortest path to a vertex plus the one event
 * from it that fires the transition. Paths are replayed on the pure logic (the snapshots a
 * generated path carries may come from another edge into the same vertex).
 */
export function targetedPaths(logic: PureLogic, events: (s: Snap) => EventObject[], all: Path[], from: Snap, wanted: Set<string>): Path[] {
  const out: Path[] = [];
  const want = new Set(wanted);
  // Pure snapshots along the shortest-path tree, each computed once (a trie keyed by event).
  type Node = { snap: Snap; next: Map<string, Node> };
  const rootNode: Node = { snap: from, next: new Map() };
  for (const p of [...all].sort((a, b) => a.steps.length - b.steps.length)) {
    if (want.size === 0) break;
    let node = rootNode;
    const steps = [{ state: from, event: p.steps[0].event }];
    for (const st of p.steps.slice(1)) {
      const key = JSON.stringify(st.event);
      let child = node.next.get(key);
      if (!child) {
        child = { snap: logic.transition(node.snap, st.event), next: new Map() };
        node.next.set(key, child);
      }
      node = child;
      steps.push({ state: node.snap, event: st.event });
    }
    const s = node.snap;
    for (const e of events(s)) {
      const next = logic.transition(s, e);
      const hit = logic.last().filter((id) => want.has(id));
      if (hit.length === 0) continue;
      for (const id of hit) want.delete(id);
      out.push({ state: next, weight: steps.length, steps: [...steps, { state: next, event: e }] });
    }
  }
  return out;
}

/** Simple paths over a coarse abstraction (state value only), at most `max` of them. */
export function simplePaths(logic: PureLogic, events: (s: Snap) => EventObject[], from: Snap, coarse: (s: Snap) => string, limit: number, max: number, toState?: (s: Snap) => boolean): Path[] {
  const paths = getSimplePaths(logic as never, {
    fromState: from as never,
    events: events as never,
    serializeState: coarse as never,
    limit,
    ...(toState ? { toState: toState as never } : {}),
  }) as unknown as Path[];
  // A coarse vertex stands for many contexts: keep each path's prefix the pure machine really
  // takes from the start (with its real snapshots), longest first.
  const replayed = paths.map((p) => {
    let s = from;
    const steps = [{ state: from, event: p.steps[0].event }];
    for (const st of p.steps.slice(1)) {
      const next = logic.transition(s, st.event);
      if (coarse(next) !== coarse(st.state)) break;
      s = next;
      steps.push({ state: s, event: st.event });
    }
    return { state: s, weight: steps.length - 1, steps } as Path;
  });
  const seen = new Set<string>();
  return replayed
    .filter((p) => p.steps.length > 1)
    .sort((a, b) => b.steps.length - a.steps.length)
    .filter((p) => {
      const key = p.steps.map((st) => JSON.stringify(st.event)).join('\n');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, max);
}

function leavesOf(paths: Path[]): Path[] {
  // alterPath shape: steps[0] is xstate.init, steps[i].event is the i-th event of the path.
  const seq = (p: Path) => p.steps.slice(1).map((s) => JSON.stringify(s.event));
  const sorted = [...paths].sort((a, b) => b.steps.length - a.steps.length);
  const prefixes = new Set<string>();
  const leaves: Path[] = [];
  for (const p of sorted) {
    const evs = seq(p);
    const whole = evs.join('\n');
    if (prefixes.has(whole)) continue;
    leaves.push(p);
    for (let k = 0; k <= evs.length; k++) prefixes.add(evs.slice(0, k).join('\n'));
  }
  return leaves;
}
