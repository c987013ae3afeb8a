import { describe, it, expect } from 'vitest';
import {
  botKey,
  decodeEnvelope,
  encodeEnvelope,
  makeEnvelope,
  parseEnvelope,
  SnapshotRefusedError,
  type BotIdentity,
} from './envelope.ts';

const bot: BotIdentity = { venue: 'lighter', account: '12345', market: 'ETH', slot: 1, variant: 'grid' };
const expected = { machineVersion: [3, 4], bot };
const env = makeEnvelope({ machineVersion: 4, bot, savedAt: 1_700_000_000_000, snapshot: { context: { nextN: 7 } } });

function refusal(raw: unknown, exp = expected): SnapshotRefusedError {
  try {
    decodeEnvelope(raw, exp, 'gridchart:lighter:12345:ETH:1');
  } catch (err) {
    if (err instanceof SnapshotRefusedError) return err;
    throw err;
  }
  throw new Error('expected a SnapshotRefusedError, but the envelope was accepted');
}

describe('envelope', () => {
  it('botKey is gridchart:<venue>:<account>:<market>:<slot> and rejects parts that would break it', () => {
    expect(botKey(bot)).toBe('gridchart:lighter:12345:ETH:1');
    expect(() => botKey({ ...bot, market: 'ETH:USD' })).toThrow(/market must be non-empty, without ':'/);
    expect(() => botKey({ ...bot, slot: 0 })).toThrow(/slot/);
    expect(() => botKey({ ...bot, account: '' })).toThrow(/account/);
  });

  it('encodes to plain JSON and decodes back to the same envelope and snapshot', () => {
    const text = encodeEnvelope(env);
    expect(JSON.parse(text)).toEqual(env);
    expect(decodeEnvelope(text, expected)).toEqual(env);
    expect(parseEnvelope(text, { machineVersion: 4, bot })).toEqual({ context: { nextN: 7 } });
  });

  it('refuses an unknown formatVersion naming found and supported, exit code 2', () => {
    const e = refusal(JSON.stringify({ ...env, formatVersion: 999, snapshot: 'whatever shape' }));
    expect(e.reason).toBe('formatVersion');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('unknown formatVersion: found 999, supported 1');
    expect(e.message).toContain('gridchart:lighter:12345:ETH:1');
    expect(e.message).toContain('--rebuild-from-venue');
  });

  it('refuses an unknown format before looking at the rest', () => {
    const e = refusal(JSON.stringify({ format: 'other', formatVersion: 'x' }));
    expect(e.reason).toBe('format');
    expect(e.message).toContain('unknown format: found "other", supported "gridchart.snapshot"');
    expect(refusal(JSON.stringify({ hello: 1 })).message).toContain('found nothing');
  });

  it('refuses an unknown machineVersion listing every supported one', () => {
    const e = refusal(encodeEnvelope({ ...env, machineVersion: 999 }));
    expect(e.reason).toBe('machineVersion');
    expect(e.message).toContain('unknown machineVersion: found 999, supported 3, 4');
  });

  it('refuses another bot naming each differing field', () => {
    const e = refusal(encodeEnvelope({ ...env, bot: { ...bot, market: 'BTC', slot: 2 } }));
    expect(e.reason).toBe('identity');
    expect(e.message).toContain('market: found "BTC", expected "ETH"');
    expect(e.message).toContain('slot: found 2, expected 1');
    expect(e.message).not.toContain('venue:');
    const v = refusal(encodeEnvelope({ ...env, bot: { ...bot, variant: 'range-grid' } }));
    expect(v.message).toContain('variant: found "range-grid", expected "grid"');
  });

  it('refuses corrupted values: not JSON, not an object, not a string, schema errors with the path', () => {
    expect(refusal('{"format":"gridchart.snap').message).toMatch(/corrupted envelope: not JSON \(/);
    expect(refusal('[1,2]').message).toContain('expected a JSON object, found an array');
    expect(refusal('null').message).toContain('found null');
    expect(refusal(42).message).toContain('stored value is a number');
    const schema = refusal(JSON.stringify({ ...env, bot: { ...bot, slot: 'one' }, savedAt: -1 }));
    expect(schema.reason).toBe('corrupted');
    expect(schema.message).toMatch(/bot\.slot: .*savedAt: /);
    const missing = refusal(JSON.stringify({ ...env, snapshot: undefined }));
    expect(missing.message).toContain('snapshot');
    const extraBotField = refusal(JSON.stringify({ ...env, bot: { ...bot, extra: 1 } }));
    expect(extraBotField.message).toContain('bot');
  });

  it('encodeEnvelope names the bot when the snapshot is not JSON', () => {
    expect(() => encodeEnvelope(makeEnvelope({ machineVersion: 1, bot, savedAt: 0, snapshot: { n: 1n } }))).toThrow(
      /snapshot for lighter:12345:ETH:1 is not JSON-serialisable/,
    );
  });
});
