/**
 * Model-based test runner shared by the per-machine suites (VAR-09).
 *
 * For each input variant of a machine: shortest paths (xstate/graph, over the machine's
 * abstraction + the transitions fired) and a bounded set of simple paths (over state values
 * only) are generated on the pure machine; each path is replayed on a REAL actor with
 * `.provide()` fakes (driver.ts); after every step the real state value must equal the
 * model's and the machine's invariants must hold. Coverage counts the transitions the real
 * actors fired (inspection), against the inventory derived from the machine definition.
 * Optionally, from one snapshot of every abstract state, a halt is driven to its end and the
 * end state checked (no resting entry).
 */
import type { EventObject } from 'xstate';
import { deliver, realSnapshot, Run, startReal, env, type Started, type Target } from './driver.ts';
import { pureLogic, shortestPaths, simplePaths, targetedPaths, type Abstraction, type Path, type Snap } from './pure.ts';

export interface StepCheck {
  /** Real snapshot after the step, and before it. */
  snap: Snap;
  prev: Snap;
  event: EventObject;
  run: Run;
}

export interface HaltProbe {
  /** Event(s) that start the halt from any state. */
  trigger: (snap: Snap) => EventObject[];
  /** Next event towards the end of the halt (the venue answering favourably), or null. */
  next: (snap: Snap, run: Run) => EventObject | null;
  /** The halt has ended. */
  ended: (snap: Snap) => boolean;
  /** What must hold once it ended (violations). */
  check: (snap: Snap, run: Run) => string[];
  maxSteps: number;
}

export interface Variant {
  label: string;
  input: unknown;
  /** States where the full event alphabet applies (elsewhere only progress events); all when absent. */
  focus?: (s: Snap) => boolean;
  /** Halt probes from this variant's abstract states (default true). */
  halt?: boolean;
  /** A variant's own alphabet / abstraction (e.g. a directed walk through a role budget). */
  events?: (s: Snap) => EventObject[];
  abstract?: (s: Snap) => string;
  /** Replay only the targeted paths of transitions still uncovered (long directed walks). */
  targetedOnly?: boolean;
}

export interface MachineSuite {
  target: Target;
  variants: Variant[];
  model: Abstraction;
  invariants: (c: StepCheck) => string[];
  /** Traversal bound for the shortest-path adjacency map (vertices × events). */
  limit: number;
  /** Simple paths over a coarse abstraction with the progress alphabet, at most `max`. */
  simple?: { max: number; limit: number; coarse: (s: Snap) => string };
  halt?: HaltProbe;
}

export interface SuiteReport {
  name: string;
  total: number;
  covered: Set<string>;
  uncovered: string[];
  byRegion: Array<{ region: string; total: number; covered: number }>;
  statesTotal: number;
  unreached: string[];
  paths: number;
  steps: number;
  violations: string[];
  haltProbes: number;
}

const stateValueEq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function replay(suite: MachineSuite, variant: Variant, path: Path, fired: Set<string>, states: Set<string>, violations: string[], halt?: HaltProbe): Promise<number> {
  const run = new Run();
  const started = startReal(suite.target, variant.input, run);
  let steps = 0;
  const where = () => `${suite.target.name} [${variant.label}] after ${path.steps.slice(1, steps + 1).map((s) => s.event.type).join(' → ') || '(init)'}`;
  try {
    if (!stateValueEq(realSnapshot(started).value, path.steps[0].state.value)) {
      violations.push(`${where()}: initial state ${JSON.stringify(realSnapshot(started).value)} ≠ model ${JSON.stringify(path.steps[0].state.value)}`);
      return 0;
    }
    for (const step of path.steps.slice(1)) {
      const prev = realSnapshot(started);
      await deliver(suite.target, started, run, step.event);
      steps++;
      const snap = realSnapshot(started);
      if (!stateValueEq(snap.value, step.state.value)) {
        violations.push(`${where()}: real state ${JSON.stringify(snap.value)} ≠ model ${JSON.stringify(step.state.value)}`);
        return steps;
      }
      for (const v of suite.invariants({ snap, prev, event: step.event, run })) violations.push(`${where()}: ${v}`);
    }
    if (halt) steps += await driveHalt(suite, started, run, halt, violations, where);
    return steps;
  } catch (err) {
    violations.push(`${where()}: ${(err as Error).message}`);
    return steps;
  } finally {
    for (const id of run.fired) fired.add(id);
    for (const s of run.states) states.add(s);
    started.stop();
    env.run = null;
  }
}

async function driveHalt(suite: MachineSuite, started: Started, run: Run, halt: HaltProbe, violations: string[], where: () => string): Promise<number> {
  let steps = 0;
  for (const ev of halt.trigger(realSnapshot(started))) {
    const prev = realSnapshot(started);
    await deliver(suite.target, started, run, ev);
    steps++;
    for (const v of suite.invariants({ snap: realSnapshot(started), prev, event: ev, run })) violations.push(`${where()} + halt: ${v}`);
  }
  while (!halt.ended(realSnapshot(started))) {
    if (steps > halt.maxSteps) {
      violations.push(`${where()} + halt: not ended after ${halt.maxSteps} steps (in ${JSON.stringify(realSnapshot(started).value)})`);
      return steps;
    }
    const ev = halt.next(realSnapshot(started), run);
    if (!ev) {
      violations.push(`${where()} + halt: stuck in ${JSON.stringify(realSnapshot(started).value)} with nothing left to answer`);
      return steps;
    }
    const prev = realSnapshot(started);
    await deliver(suite.target, started, run, ev);
    steps++;
    for (const v of suite.invariants({ snap: realSnapshot(started), prev, event: ev, run })) violations.push(`${where()} + halt: ${v}`);
  }
  for (const v of halt.check(realSnapshot(started), run)) violations.push(`${where()} + halt ended in ${JSON.stringify(realSnapshot(started).value)}: ${v}`);
  return steps;
}

export async function runSuite(suite: MachineSuite): Promise<SuiteReport> {
  const { target } = suite;
  const fired = new Set<string>();
  const states = new Set<string>();
  const violations: string[] = [];
  let paths = 0;
  let steps = 0;
  let haltProbes = 0;
  const logic = pureLogic(target.machine, target.inv);
  for (const variant of suite.variants) {
    const from = logic.initial(variant.input);
    const focus = variant.focus;
    const events = variant.events ?? (focus ? (s: Snap) => (focus(s) ? suite.model.events(s) : suite.model.progress(s)) : suite.model.events);
    const { leaves, all } = shortestPaths(logic, events, variant.abstract ?? suite.model.abstract, from, suite.limit);
    for (const p of variant.targetedOnly ? [] : leaves) {
      paths++;
      steps += await replay(suite, variant, p, fired, states, violations);
    }
    // Transitions no shortest path fired on the real actor: one targeted path each.
    const wanted = new Set(target.inv.transitions.map((t) => t.id).filter((id) => !fired.has(id)));
    for (const p of targetedPaths(logic, events, all, from, wanted)) {
      paths++;
      steps += await replay(suite, variant, p, fired, states, violations);
    }
    if (suite.simple && !variant.events) {
      for (const p of simplePaths(logic, suite.model.progress, from, suite.simple.coarse, suite.simple.limit, suite.simple.max)) {
        paths++;
        steps += await replay(suite, variant, p, fired, states, violations);
      }
    }
    if (suite.halt && variant.halt !== false) {
      // One halt probe from a snapshot of every abstract state (the first path reaching it).
      const seen = new Set<string>();
      for (const p of [...all].sort((a, b) => a.steps.length - b.steps.length)) {
        const key = (variant.abstract ?? suite.model.abstract)(p.state);
        if (seen.has(key)) continue;
        seen.add(key);
        haltProbes++;
        steps += await replay(suite, variant, p, fired, states, violations, suite.halt);
      }
    }
  }
  for (const e of logic.errors) violations.push(`${target.name}: model step ${e}`);
  // A transition fires only from an active state: its source was reached (also initial states
  // left by an eventless transition within the first macrostep).
  for (const t of target.inv.transitions) if (fired.has(t.id) && t.source) states.add(`${target.inv.machineId}.${t.source}`);
  const total = target.inv.transitions.length;
  const uncovered = target.inv.transitions.filter((t) => !fired.has(t.id)).map((t) => t.id);
  const regions = [...new Set(target.inv.transitions.map((t) => t.region))].filter((r) => r !== '' || target.inv.transitions.some((t) => t.region !== ''));
  const byRegion = regions.map((region) => {
    const ts = target.inv.transitions.filter((t) => t.region === region);
    return { region: region || '(root)', total: ts.length, covered: ts.filter((t) => fired.has(t.id)).length };
  });
  return {
    name: target.name,
    total,
    covered: fired,
    uncovered,
    byRegion: target.inv.transitions.some((t) => t.region !== '') ? byRegion : [],
    statesTotal: target.inv.states.length,
    unreached: target.inv.states.filter((s) => !states.has(s)),
    paths,
    steps,
    violations,
    haltProbes,
  };
}

/** The coverage table: machine | transitions covered / total | % (and per region of a parallel root). */
export function coverageTable(reports: SuiteReport[]): string {
  const rows: string[][] = [['machine', 'transitions covered / total', '%', 'states reached', 'paths', 'steps']];
  for (const r of reports) {
    const covered = r.total - r.uncovered.length;
    rows.push([r.name, `${covered} / ${r.total}`, pct(covered, r.total), `${r.statesTotal - r.unreached.length} / ${r.statesTotal}`, String(r.paths), String(r.steps)]);
    for (const g of r.byRegion) rows.push([`  ${r.name} › ${g.region}`, `${g.covered} / ${g.total}`, pct(g.covered, g.total), '', '', '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

function pct(a: number, b: number): string {
  return b === 0 ? '100.0' : ((a * 100) / b).toFixed(1);
}
