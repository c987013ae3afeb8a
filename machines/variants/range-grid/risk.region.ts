/**
 * Risk region of the range-grid root: leaving the range (on_exit_range halt | close), the stop
 * price, the stop-loss and the operator flatten.
 *
 *   armed → stopping → (halt) halted
 *                    → (close) closing.querying → sending → awaiting → … → halted
 *
 * Invariants:
 * - halt: every entry is cancelled (the cancel confirmed by the venue's final status) while
 *   exits keep resting; close: entries AND exits are cancelled first (so no exit can fill
 *   after the position was closed — on a neutral grid exits are not reduce-only), then ONE
 *   reduce-only market order sized from a fresh venue position query, repeated (fresh n,
 *   ≥ 5 s apart) until the venue reports zero; then the parked legs are released.
 * - `halted` latches until `operator.resume`, which is refused while the trigger still holds
 *   (mid outside the range, beyond the stop price).
 */
import { assign, enqueueActions } from 'xstate';
import { role } from '../../../src/domain/client-index.ts';
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import { marketWorstPrice } from '../../../src/domain/grid-math.ts';
import { isTerminal, newOrderRecord } from '../../shared/orders.ts';
import { resumeRefusal } from './risk-check.ts';
import { journalAction, levelId, rangeGridSetup } from './setup.ts';
import type { RangeGridContext, RangeRisk, RiskTrigger } from './types.ts';

const CLOSE_SPACING_MS = 5_000;

const ENTRY_OR_PLACING = new Set(['awaitingN', 'entryPlacing', 'entryBackoff', 'entryQuerying', 'entryResting', 'entryCancelling']);

/** Every entry is gone (halt) / every order is gone and legs are parked (close). */
export function settled(ctx: RangeGridContext): boolean {
  const all = Object.values(ctx.levels);
  if (ctx.risk.mode === 'close') return all.every((s) => s.state === 'idle' || s.state === 'parked');
  return all.every((s) => !s.liveEntry && !ENTRY_OR_PLACING.has(s.state));
}

const riskPatch = (ctx: RangeGridContext, p: Partial<RangeRisk>) => ({ risk: { ...ctx.risk, ...p } });

const closeRole = (t: RiskTrigger | null) => (t === 'stop-price' ? role.stopPriceClose() : t === 'stop-loss' ? role.stopLossClose() : role.flatten());

export const riskRegion = rangeGridSetup.createStateConfig({
  initial: 'armed',
  states: {
    armed: {
      description: 'Watches range exit, stop price and stop-loss on every book / position update.',
      entry: [assign(({ context }) => riskPatch(context, { phase: 'armed' })), 'arm'],
      always: [
        { guard: ({ context }) => context.risk.request === 'flatten', target: 'stopping', actions: assign(({ context }) => riskPatch(context, { trigger: 'flatten', mode: 'close', request: null })) },
        { guard: ({ context }) => context.risk.trigger !== null, target: 'stopping' },
      ],
    },
    stopping: {
      description: 'Cancels every entry (halt) or every order (close) through the level children; waits until the venue confirmed each.',
      entry: [
        assign(({ context }) => riskPatch(context, { phase: 'stopping' })),
        enqueueActions(({ context, enqueue, self }) => {
          const live = self.getSnapshot().children as Record<string, unknown>;
          const type = context.risk.mode === 'close' ? ('level.suspend' as const) : ('level.disarm' as const);
          for (const s of Object.values(context.levels)) if (live[levelId(s.level)]) enqueue.sendTo(levelId(s.level), { type, at: context.now });
          enqueue(
            journalAction({
              type: 'risk.triggered',
              level: 'warning',
              message: `${context.risk.trigger} at mid ${context.risk.triggerMid ?? '?'}: ${context.risk.mode === 'close' ? 'cancelling every order, then closing the position' : 'cancelling entries, exits keep resting'}`,
              payload: { trigger: context.risk.trigger, mode: context.risk.mode, mid: context.risk.triggerMid },
            }),
          );
        }),
      ],
      always: [
        { guard: ({ context }) => settled(context) && context.risk.mode === 'close', target: 'closing' },
        { guard: ({ context }) => settled(context), target: 'halted' },
      ],
    },
    closing: {
      description: 'One reduce-only market order sized from a fresh venue position query, until the venue reports zero.',
      entry: assign(({ context }) => riskPatch(context, { phase: 'closing' })),
      initial: 'querying',
      states: {
        querying: {
          invoke: {
            src: 'queryPosition',
            input: ({ context }) => ({ market: context.market.symbol }),
            onDone: [
              {
                guard: ({ event }) => new Dec(event.output.position.size).isZero(),
                target: 'done',
                actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.output.at), venue: { ...context.venue, size: '0', avgEntry: '0' } })),
              },
              {
                guard: ({ context }) => context.book === null,
                target: 'backoff',
                actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.output.at), venue: { ...context.venue, size: event.output.position.size, avgEntry: event.output.position.avgEntryPrice } })),
              },
              {
                target: 'sending',
                actions: enqueueActions(({ context, event, enqueue }) => {
                  const size = new Dec(event.output.position.size);
                  const side = size.gt(0) ? ('sell' as const) : ('buy' as const);
                  const now = Math.max(context.now, event.output.at);
                  const n = context.nextN;
                  const price = marketWorstPrice({ side, bid: context.book!.bid, ask: context.book!.ask, slippagePct: context.params.slippagePct, tick: context.market.tick });
                  const close = newOrderRecord({ slot: context.slot, n, role: closeRole(context.risk.trigger), side, type: 'market', price, size: fmt(size.abs()), reduceOnly: true, postOnly: false, sentAt: now });
                  enqueue.assign({ now, nextN: n + 1, venue: { ...context.venue, size: event.output.position.size, avgEntry: event.output.position.avgEntryPrice }, ...riskPatch(context, { close, closeAttempts: context.risk.closeAttempts + 1, lastCloseAt: now }) });
                  enqueue(journalAction({ type: 'risk.market-close', level: 'warning', message: `closing the venue position ${event.output.position.size}: market ${side} ${fmt(size.abs())}, reduce-only`, payload: { clientIndex: close.clientIndex, size: close.size, side } }));
                }),
              },
            ],
            onError: 'backoff',
          },
        },
        sending: {
          invoke: {
            src: 'placeOrder',
            input: ({ context }) => ({ market: context.market.symbol, order: context.risk.close!, writeAhead: true }),
            onDone: 'awaiting',
            onError: 'backoff',
          },
        },
        awaiting: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'close-check', at: context.now + CLOSE_SPACING_MS }) },
          always: { guard: ({ context }) => context.risk.close !== null && isTerminal(context.risk.close), target: 'querying' },
          on: { tick: { target: 'querying', actions: 'storeEventTime' } },
        },
        backoff: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'close-backoff', at: Math.max(context.now, context.risk.lastCloseAt) + CLOSE_SPACING_MS }) },
          on: { tick: { target: 'querying', actions: 'storeEventTime' } },
        },
        done: {
          entry: enqueueActions(({ context, enqueue, self }) => {
            const live = self.getSnapshot().children as Record<string, unknown>;
            for (const s of Object.values(context.levels)) if (s.state === 'parked' && live[levelId(s.level)]) enqueue.sendTo(levelId(s.level), { type: 'level.release', at: context.now, reason: String(context.risk.trigger) });
            enqueue(journalAction({ type: 'risk.closed', level: 'warning', message: 'venue position is zero; the grid is halted until the operator resumes', payload: { trigger: context.risk.trigger } }));
          }),
          always: { target: '#range-grid.risk.halted' },
        },
      },
    },
    halted: {
      description: 'Latched until operator.resume (refused while the trigger still holds).',
      entry: [
        assign(({ context }) => riskPatch(context, { phase: 'halted' })),
        { type: 'journal', params: ({ context }) => ({ type: 'grid.halted', level: 'warning', message: `grid halted (${context.risk.trigger}); resume to trade again`, payload: { trigger: context.risk.trigger } }) },
      ],
      on: {
        'operator.resume': [
          {
            guard: ({ context }) => resumeRefusal(context) !== null,
            actions: { type: 'journal', params: ({ context }) => ({ type: 'operator.resume-refused', level: 'warning', message: resumeRefusal(context)!, payload: { trigger: context.risk.trigger } }) },
          },
          {
            target: 'armed',
            actions: [
              'storeEventTime',
              assign(({ context }) => riskPatch(context, { trigger: null, mode: null, triggerMid: null, close: null })),
              enqueueActions(({ context, enqueue, self }) => {
                const live = self.getSnapshot().children as Record<string, unknown>;
                for (const s of Object.values(context.levels)) if (s.state === 'parked' && live[levelId(s.level)]) enqueue.sendTo(levelId(s.level), { type: 'level.resume', at: context.now, book: context.book });
              }),
              { type: 'journal', params: () => ({ type: 'operator.resumed', level: 'info', message: 'resumed: halted lifted' }) },
            ],
          },
        ],
      },
    },
  },
});
