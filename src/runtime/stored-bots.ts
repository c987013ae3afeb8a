/**
 * The bots a store holds for one market and slot, whatever venue ran them: in-process paper
 * (`gridchart:sim:paper:…`), paper over loopback (`gridchart:lighter-sim:1:…`) and
 * `grid-bot run` on Lighter (`gridchart:lighter:<account>:…`). Used by `grid-bot status`
 * when no bot is running.
 *
 * Invariants:
 * - Read only. Keys are listed with the store's iterator when it has one (SQLite, Redis,
 *   Postgres); otherwise the two paper identities are tried.
 * - The machine version expected is the one of the variant the envelope names
 *   (src/variants); an unknown variant is an error naming it.
 * - Each envelope is fully validated (`SnapshotStore.load`) against the identity it names,
 *   so a damaged or foreign snapshot is refused with SnapshotRefusedError, never half-read.
 */
import { registeredVariant } from '../variants/installed.ts';
import type { Envelope } from '../persistence/envelope.ts';
import { botKey, type BotIdentity } from '../persistence/envelope.ts';
import { SnapshotStore, type StringKeyValue } from '../persistence/snapshot-store.ts';

export interface StoredBot {
  key: string;
  identity: BotIdentity;
  envelope: Envelope;
}

type Iterable = StringKeyValue & { iterator?: (namespace?: string) => AsyncGenerator<unknown[], void> };

/** Bot keys of `market` / `slot` in the store, sorted. */
export async function storedBotKeys(kv: StringKeyValue, market: string, slot: number, fallbackIdentities: Array<Pick<BotIdentity, 'venue' | 'account'>>): Promise<string[]> {
  const it = (kv as Iterable).iterator;
  if (typeof it !== 'function') return fallbackIdentities.map((id) => botKey({ ...id, market, slot }));
  const pattern = new RegExp(`^gridchart:[^:]+:[^:]+:${market.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${slot}$`);
  const keys: string[] = [];
  for await (const entry of it.call(kv)) {
    const k = entry[0];
    if (typeof k === 'string' && pattern.test(k)) keys.push(k);
  }
  return keys.sort();
}

/** Every valid bot snapshot of `market` / `slot` in the store. */
export async function findStoredBots(kv: StringKeyValue, market: string, slot: number, fallbackIdentities: Array<Pick<BotIdentity, 'venue' | 'account'>>): Promise<StoredBot[]> {
  const store = new SnapshotStore(kv);
  const found: StoredBot[] = [];
  for (const key of await storedBotKeys(kv, market, slot, fallbackIdentities)) {
    const raw = await store.getRaw(key);
    if (raw === undefined) continue;
    const [, venue, account] = key.split(':');
    // The variant is the envelope's own; everything else must match the key.
    let variant = 'dynamic-grid';
    try {
      const v = (JSON.parse(raw) as { bot?: { variant?: unknown } }).bot?.variant;
      if (typeof v === 'string' && v !== '') variant = v;
    } catch (err) {
      // Not JSON: load() below refuses it with the precise reason.
      if (!(err instanceof SyntaxError)) throw err;
    }
    const identity: BotIdentity = { venue: venue!, account: account!, market, slot, variant };
    const reg = registeredVariant(variant);
    if (!reg) throw new Error(`${key} holds a bot of strategy kind ${JSON.stringify(variant)}, which this build does not have`);
    const envelope = await store.load(key, { machineVersion: reg.variant.machineVersion, bot: identity });
    if (envelope) found.push({ key, identity, envelope });
  }
  return found;
}
