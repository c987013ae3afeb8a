/**
 * The dynamic grid (`strategy.kind: dynamic-grid`, the default) as a strategy variant: the
 * `grid` root (lifecycle, risk and entry-cycle regions) with one spawned `position` child
 * per tracked position, both provided with the runtime's venue effects.
 */
import type { Venue } from '../../adapters/types.ts';
import { buildStatus } from '../../src/runtime/status.ts';
import { positionMachine } from '../position/machine.ts';
import type { GridParams, JournalEntry } from '../shared/types.ts';
import type { StrategyVariant, VariantDeps } from '../variants/contract.ts';
import { gridMachine } from './machine.ts';
import { resumeRefusal } from './risk-check.ts';
import { MACHINE_VERSION, type GridContext } from './types.ts';

export const DYNAMIC_GRID_KIND = 'dynamic-grid';

export function buildGridMachine({ effects, journal, reconciled }: VariantDeps) {
  const child = positionMachine.provide({
    actors: {
      placeOrder: effects.placeOrder,
      cancelOrder: effects.cancelOrder,
      queryOrder: effects.queryOrder,
      cancelOrders: effects.cancelOrders,
      queryOrders: effects.queryOrders,
      deadline: effects.deadline as never,
    },
    actions: { journal },
  });
  return gridMachine.provide({
    actors: { ...effects, deadline: effects.deadline as never, position: child } as never,
    actions: { journal, reconciled },
  });
}

function hedgeNote(params: GridParams, venue: Venue): JournalEntry[] {
  if (params.recoveryMode !== 'hedge' || venue.hedgeMode) return [];
  return [
    {
      type: 'recovery.hedge-unavailable',
      level: 'warning',
      message: `venue ${venue.name} nets positions (no hedge mode): recovery_mode hedge acts as aggressive`,
      payload: { venue: venue.name, recoveryMode: 'hedge', acting: 'aggressive' },
    },
  ];
}

export const dynamicGridVariant: StrategyVariant<GridParams> = {
  kind: DYNAMIC_GRID_KIND,
  description: 'one post-only entry at a time near the touch; every fill becomes a tracked position with its own reduce-only take-profit',
  machineVersion: MACHINE_VERSION,
  build: buildGridMachine,
  status: (snap) => buildStatus(snap as { value: unknown; context: GridContext }),
  resumeRefusal: (ctx) => resumeRefusal(ctx as GridContext),
  operatorEvents: ['operator.pause', 'operator.resume', 'operator.flatten', 'operator.cancel-all'],
  startNotes: hedgeNote,
};
