/**
 * The real side: drives a REAL actor of a machine along a generated path. Every named promise
 * actor is a `.provide()` fake that records its request and stays pending until the path's
 * `xstate.done.actor.<id>` / `xstate.error.actor.<id>` step settles it; every `deadline` is a
 * fake whose tick is delivered when the path's `tick` step names it (simulated time: the tick
 * carries its absolute `at`); zero-delay raises run on XState's SimulatedClock and fire when
 * the path delivers them. What fired is read from the actor's `@xstate.microstep` inspection
 * events, never from the path.
 *
 * Invariants: a path step that the real actor cannot take (no pending request, no live
 * deadline) or a state value that differs from the model's is a divergence and fails the run.
 */
import {
  SimulatedClock,
  createActor,
  fromCallback,
  fromPromise,
  setup,
  type AnyActorRef,
  type AnyStateMachine,
  type EventObject,
} from 'xstate';
import type { Snap } from './pure.ts';
import type { Inventory } from './transitions.ts';

export interface RequestRecord {
  src: string;
  /** Invoke id of the request (its actor id). */
  id: string;
  input: any;
  outcome?: 'done' | 'error';
  output?: any;
  error?: unknown;
}

/** What one run did: requests to the fakes, events delivered, transitions fired, states passed. */
export class Run {
  readonly pending = new Map<string, { rec: RequestRecord; resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  readonly deadlines = new Map<string, { input: { name: string; at: number }; sendBack: (e: EventObject) => void }>();
  readonly requests: RequestRecord[] = [];
  readonly delivered: EventObject[] = [];
  readonly fired = new Set<string>();
  readonly states = new Set<string>();
  /** Ids fired by the current step (reset per step). */
  stepFired: string[] = [];
  /** Events the machine under test sent to its parent (child machines only). */
  readonly toParent: EventObject[] = [];
}

/** The one place fakes look for the run in progress (pure traversal never starts them). */
export const env: { run: Run | null } = { run: null };

const PROMISE_SRCS = ['placeOrder', 'cancelOrder', 'queryOrder', 'cancelOrders', 'queryOrders', 'reconcile', 'queryPosition', 'setLeverage'];

/** Promise fakes (pending until a path step settles them) and the deadline fake. */
export function fakeActors(srcs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const src of srcs.filter((s) => PROMISE_SRCS.includes(s))) {
    out[src] = fromPromise(({ input, self }: { input: unknown; self: AnyActorRef }) => {
      const run = env.run;
      if (!run) return new Promise<never>(() => {});
      const rec: RequestRecord = { src, id: self.id, input };
      run.requests.push(rec);
      return new Promise((resolve, reject) => run.pending.set(self.id, { rec, resolve, reject }));
    });
  }
  if (srcs.includes('deadline')) {
    out.deadline = fromCallback(({ input, sendBack, self }: { input: { name: string; at: number }; sendBack: (e: EventObject) => void; self: AnyActorRef }) => {
      const run = env.run;
      if (!run) return () => {};
      run.deadlines.set(self.id, { input, sendBack });
      return () => {
        if (run.deadlines.get(self.id)?.sendBack === sendBack) run.deadlines.delete(self.id);
      };
    });
  }
  return out;
}

/** A child that ignores everything (children of roots are driven through the root's own events). */
export const stubChild = setup({}).createMachine({ id: 'stub' });

export interface Target {
  name: string;
  machine: AnyStateMachine;
  inv: Inventory;
  /** A child machine runs inside a recording parent (it sends to its parent). */
  asChild: boolean;
  /** Event types the machine raises itself with a delay (delivered by the simulated clock). */
  scheduled: string[];
}

export interface Started {
  sut: () => AnyActorRef;
  clock: SimulatedClock;
  stop: () => void;
}

export function startReal(target: Target, input: unknown, run: Run): Started {
  env.run = run;
  const clock = new SimulatedClock();
  const inspect = (ev: { type: string; actorRef?: AnyActorRef & { logic?: unknown }; _transitions?: unknown[]; snapshot?: Snap }) => {
    if (ev.type !== '@xstate.microstep' || ev.actorRef?.logic !== target.machine) return;
    for (const t of ev._transitions ?? []) {
      const id = target.inv.idOf.get(t as never);
      if (!id) throw new Error(`${target.name}: a transition outside the inventory fired`);
      run.fired.add(id);
      run.stepFired.push(id);
    }
    if (ev.snapshot) for (const s of ev.snapshot._nodes ?? []) if (s.id !== target.inv.machineId) run.states.add(s.id);
  };
  if (!target.asChild) {
    const actor = createActor(target.machine, { input, clock, inspect } as never);
    actor.start();
    return { sut: () => actor, clock, stop: () => actor.stop() };
  }
  const parent = setup({ actors: { sut: target.machine } }).createMachine({
    invoke: { src: 'sut', id: 'sut', input: () => input as never },
    on: {
      '*': {
        actions: ({ event }) => {
          run.toParent.push(event);
        },
      },
    },
  });
  const actor = createActor(parent, { clock, inspect } as never);
  actor.start();
  const sut = () => actor.getSnapshot().children.sut as AnyActorRef;
  return { sut, clock, stop: () => actor.stop() };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

/** Delivers one path event to the real actor the way the real world would produce it. */
export async function deliver(target: Target, started: Started, run: Run, ev: EventObject): Promise<void> {
  run.stepFired = [];
  run.delivered.push(ev);
  const t = ev.type;
  if (t.startsWith('xstate.done.actor.') || t.startsWith('xstate.error.actor.')) {
    const done = t.startsWith('xstate.done.actor.');
    const id = t.slice(done ? 'xstate.done.actor.'.length : 'xstate.error.actor.'.length);
    const p = run.pending.get(id);
    if (!p) throw new Error(`${target.name}: the path settles ${id} but the real actor has no pending request there`);
    run.pending.delete(id);
    if (done) {
      p.rec.outcome = 'done';
      p.rec.output = (ev as { output?: unknown }).output;
      p.resolve(p.rec.output);
    } else {
      p.rec.outcome = 'error';
      p.rec.error = (ev as { error?: unknown }).error;
      p.reject(p.rec.error);
    }
  } else if (t === 'tick') {
    const tick = ev as EventObject & { name: string; at: number };
    const d = [...run.deadlines.values()].find((x) => x.input.name === tick.name && x.input.at === tick.at);
    if (!d) throw new Error(`${target.name}: the path ticks ${tick.name}@${tick.at} but no such deadline is armed`);
    d.sendBack(tick);
  } else if (target.scheduled.includes(t)) {
    started.clock.increment(0);
  } else {
    started.sut().send(ev);
  }
  await flush();
}

/** State value of the real machine under test. */
export const realSnapshot = (started: Started) => started.sut().getSnapshot() as Snap;
