/**
 * Statechart outlines come from the machine definitions (the grid root and the position
 * child), active ids from snapshot values, the ladder from a status with exact decimals,
 * and the `--dashboard [port]` / `--inspect` flags parse strictly.
 */
import { describe, expect, it } from 'vitest';
import { gridMachine } from '../../../machines/grid/machine.ts';
import { positionMachine } from '../../../machines/position/machine.ts';
import { ConfigError } from '../../config/errors.ts';
import type { ControlStatus } from '../control-server.ts';
import { activeIds, chartOf, eventLabel, subChart, valueText, type ChartNode } from './chart.ts';
import { operatorViewOptionsFrom, optionalFlagValue } from './operator-views.ts';
import { ladderOf } from './view.ts';

const ids = (n: ChartNode): string[] => [n.id, ...n.states.flatMap(ids)];

describe('chartOf (from the machine definitions)', () => {
  it('outlines the grid root: three parallel regions, the entry cycle with every state of the machine and its transitions', () => {
    const chart = chartOf(gridMachine.root as never);
    expect(chart.type).toBe('parallel');
    expect(chart.states.map((s) => s.key).sort()).toEqual(['entry', 'lifecycle', 'risk']);
    const entry = subChart(chart, ['entry'])!;
    expect(entry.states.map((s) => s.key)).toEqual(Object.keys(gridMachine.root.states.entry.states));
    expect(entry.initial).toBe(gridMachine.root.states.entry.initial.target[0].id);
    // Every id in the outline is a state node of the machine.
    for (const id of ids(chart)) expect(gridMachine.getStateNodeById(id).id).toBe(id);
    // Every edge target too.
    const targets = ids(chart).flatMap((id) => {
      const find = (n: ChartNode): ChartNode | undefined => (n.id === id ? n : n.states.map(find).find(Boolean));
      return find(chart)!.edges.flatMap((e) => e.targets);
    });
    expect(targets.length).toBeGreaterThan(10);
    for (const t of targets) expect(gridMachine.getStateNodeById(t).id).toBe(t);
  });

  it('outlines the position machine with its nested states and readable delayed-transition labels', () => {
    const chart = chartOf(positionMachine.root as never);
    expect(chart.id).toBe('position');
    expect(chart.states.map((s) => s.key)).toEqual(Object.keys(positionMachine.root.states));
    expect(subChart(chart, ['cancelling'])!.states.length).toBeGreaterThan(0);
    expect(eventLabel('xstate.after.5000.grid.entry.ready')).toBe('after 5000ms');
    expect(eventLabel('xstate.done.actor.0.grid.entry.placing')).toBe('done: 0.grid.entry.placing');
    expect(eventLabel('order.filled')).toBe('order.filled');
  });

  it('turns snapshot values into active ids and readable text', () => {
    const value = { lifecycle: 'trading', risk: 'armed', entry: { cancelling: 'sending' } };
    expect(activeIds('grid', value)).toEqual(['grid.lifecycle', 'grid.lifecycle.trading', 'grid.risk', 'grid.risk.armed', 'grid.entry', 'grid.entry.cancelling', 'grid.entry.cancelling.sending']);
    for (const id of activeIds('grid', value)) expect(gridMachine.getStateNodeById(id).id).toBe(id);
    expect(activeIds('position', 'exitResting')).toEqual(['position.exitResting']);
    expect(valueText(value)).toBe('lifecycle.trading, risk.armed, entry.cancelling.sending');
  });
});

describe('ladderOf', () => {
  it('one row per price, high to low, with the book top, our entry, exits and positions, compared exactly', () => {
    const status = {
      book: { bid: '59999.9', ask: '60000.1' },
      entry: { name: 'grid-3:entry', side: 'buy', price: '59990.10', size: '0.00166', filled: '0', status: 'open' },
      positions: [
        { n: 1, name: 'grid-1', entryPrice: '59999.9', remaining: '0.00166', state: 'exitResting', exitName: 'grid-1:close', exit: { clientIndex: 1, price: '60029.9', type: 'limit', status: 'open', size: '0.00166' } },
        { n: 2, name: 'grid-2', entryPrice: '59995.0', remaining: '0.00166', state: 'exitResting', exitName: 'grid-2:close', exit: { clientIndex: 2, price: '60025.0', type: 'limit', status: 'filled', size: '0.00166' } },
      ],
    } as unknown as ControlStatus;
    const rows = ladderOf(status);
    expect(rows.map((r) => r.price)).toEqual(['60029.9', '60000.1', '59999.9', '59995', '59990.1']);
    expect(rows.find((r) => r.price === '60000.1')).toMatchObject({ ask: true, bid: false, aboveMid: true });
    const bid = rows.find((r) => r.price === '59999.9')!;
    expect(bid).toMatchObject({ bid: true, aboveMid: false });
    expect(bid.orders).toEqual([{ kind: 'position', name: 'grid-1', side: 'held', size: '0.00166', detail: 'exitResting' }]);
    expect(rows[0].orders[0]).toMatchObject({ kind: 'exit', name: 'grid-1:close', detail: 'limit open' });
    expect(rows.at(-1)!.orders[0]).toMatchObject({ kind: 'entry', name: 'grid-3:entry', side: 'buy' });
    // A filled exit is no longer on the ladder.
    expect(rows.flatMap((r) => r.orders).filter((o) => o.kind === 'exit').map((o) => o.name)).toEqual(['grid-1:close']);
  });
});

describe('--dashboard [port] / --inspect flags', () => {
  it('--dashboard stands alone or takes a port', () => {
    expect(optionalFlagValue(['--dashboard'])).toEqual(['--dashboard=default']);
    expect(optionalFlagValue(['--dashboard', '--speed', 'max'])).toEqual(['--dashboard=default', '--speed', 'max']);
    expect(optionalFlagValue(['--dashboard', '9000', '--inspect'])).toEqual(['--dashboard', '9000', '--inspect']);
    expect(operatorViewOptionsFrom({ dashboard: 'default' })).toEqual({ dashboard: 'default' });
    expect(operatorViewOptionsFrom({ dashboard: '0', inspect: true, 'inspect-port': '9001' })).toEqual({ dashboard: 0, inspect: true, inspectPort: 9001 });
    expect(operatorViewOptionsFrom({})).toBeUndefined();
  });

  it('refuses bad values naming the flag (exit 2)', () => {
    const bad = (v: Record<string, string | boolean>, re: RegExp) => {
      let err: unknown;
      try {
        operatorViewOptionsFrom(v);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(re);
    };
    bad({ dashboard: '70000' }, /--dashboard: "70000" is not a port; allowed 0\.\.65535/);
    bad({ dashboard: 'x' }, /--dashboard: "x" is not a port/);
    bad({ 'dashboard-host': '0.0.0.0' }, /--dashboard-host: needs --dashboard/);
    bad({ dashboard: '0', 'dashboard-host': 'a b' }, /--dashboard-host: "a b" is not a host name or address/);
    bad({ 'inspect-port': '9' }, /--inspect-port: needs --inspect/);
  });
});
