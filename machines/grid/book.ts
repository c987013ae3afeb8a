/**
 * What a book update (`market.bbo`) changes in the root's context, as one pure function:
 * the context patch (book, time, pause flag, risk trigger, gate) and the journal entries it
 * causes (pause / resume, refusal episodes that start).
 *
 * The root selects its `market.bbo` transition by this result (a guard: nothing to journal →
 * one plain `assign`, the cheapest transition XState has; otherwise an `enqueueActions` that
 * also journals), so the last result is kept for its (event, context) pair: the guard and the
 * action of one transition share a single evaluation.
 *
 * Invariants: a function of (context, event) only; the returned objects are never mutated.
 */
import { Dec } from '../../src/domain/decimal.ts';
import type { BookTop, JournalEntry } from '../shared/types.ts';
import { pausedAt } from './gate.ts';
import { riskTrigger } from './risk-check.ts';
import { gateUpdate } from './setup.ts';
import type { GridContext, GridEvent } from './types.ts';

export type BboEvent = Extract<GridEvent, { type: 'market.bbo' }>;

export interface BookUpdate {
  patch: Partial<GridContext>;
  journal: JournalEntry[];
}

const NO_JOURNAL: JournalEntry[] = Object.freeze([]) as unknown as JournalEntry[];

/**
 * The hot case: an entry in flight and no price control configured — the update only stores
 * the book and the time (no gate, pause or risk evaluation applies).
 */
export function storesBookOnly(context: GridContext): boolean {
  return !context.entryIdle && !context.params.pausePrice && !context.params.stopPrice && !context.params.stopLossEnabled;
}

function compute(context: GridContext, event: BboEvent): BookUpdate {
  const book: BookTop = { bid: event.bbo.bid, ask: event.bbo.ask };
  const now = Math.max(context.now, event.at);
  const patch: Partial<GridContext> = { book, now };
  let journal = NO_JOURNAL;
  const paused = pausedAt(context, book);
  if (paused !== context.paused) {
    patch.paused = paused;
    journal = [
      paused
        ? {
            type: 'grid.paused',
            level: 'warning',
            message: `mid beyond pause price ${context.params.pausePrice}: new entries paused`,
            payload: { bid: book.bid, ask: book.ask, pausePrice: context.params.pausePrice },
          }
        : { type: 'grid.resumed', level: 'info', message: `mid back within pause price ${context.params.pausePrice}: entries resume`, payload: { bid: book.bid, ask: book.ask } },
    ];
  }
  if (context.risk.phase === 'armed' && context.risk.trigger === null) {
    const trigger = riskTrigger(context, book);
    if (trigger) patch.risk = { ...context.risk, trigger, triggerMid: new Dec(book.bid).plus(book.ask).div(2).toFixed() };
  }
  if (context.entryIdle) {
    const gate = gateUpdate(patch.risk ? { ...context, risk: patch.risk } : context, book, now);
    if (gate.journal.length > 0) journal = journal.length > 0 ? [...journal, ...gate.journal] : gate.journal;
    if (gate.patch) Object.assign(patch, gate.patch);
  }
  return { patch, journal };
}

// One slot: the guard and the action of a transition run back to back on the same pair.
let lastEvent: BboEvent | null = null;
let lastContext: GridContext | null = null;
let lastUpdate: BookUpdate | null = null;

/** The update for this event on this context (evaluated once per pair). */
export function bookUpdate(context: GridContext, event: BboEvent): BookUpdate {
  if (event === lastEvent && context === lastContext) return lastUpdate!;
  const update = compute(context, event);
  lastEvent = event;
  lastContext = context;
  lastUpdate = update;
  return update;
}
