/**
 * Reads a configuration file into raw values, safely: bounded size, no binary, aliases
 * bounded (alias bombs are refused, not expanded), duplicate keys refused, and numbers
 * kept with their source text (`YamlNumber`) so decimals never pass through a float.
 *
 * Invariants: every failure is a ConfigError naming the file and the problem, produced
 * fast (well under 1 s for any input up to the size cap); parser messages are reduced to
 * position + reason, never a quoted source excerpt (a line may hold a secret).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { ConfigError } from './errors.ts';
import { YamlNumber } from './values.ts';

/** Largest configuration file accepted (bytes). */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Alias budget passed to the yaml package (its resource-exhaustion guard). */
export const MAX_ALIAS_COUNT = 100;
/** Upper bound on nodes produced from one file, aliases expanded. */
const MAX_NODES = 20_000;
/** Deepest `[`/`{` nesting accepted (the parser recurses per level; a config needs ~3). */
export const MAX_FLOW_DEPTH = 64;

/** The deepest `[`/`{` nesting of a text (brackets inside strings count too: conservative). */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** Reads and parses a file; `label` (default: the file's base name) is used in messages. */
export function readConfigFile(path: string, label = basename(path)): unknown {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw ConfigError.of(label, '', `cannot read ${path}: it is a directory, not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw ConfigError.of(label, '', `cannot read ${path}: ${why}`);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw ConfigError.of(label, '', `file is too large (${size} bytes); a config file may hold at most ${MAX_CONFIG_BYTES} bytes`);
  }
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw ConfigError.of(label, '', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  if (buf.includes(0)) throw ConfigError.of(label, '', 'is not YAML: the file holds binary data');
  return parseConfigText(buf.toString('utf8'), label);
}

/** Parses YAML text into raw values (mappings → objects, numbers → YamlNumber). */
export function parseConfigText(text: string, label: string): unknown {
  if (text.length > MAX_CONFIG_BYTES) {
    throw ConfigError.of(label, '', `file is too large; a config file may hold at most ${MAX_CONFIG_BYTES} bytes`);
  }
  if (text.trim() === '') throw ConfigError.of(label, '', 'file is empty; expected a YAML mapping of config keys');
  if (flowDepth(text) > MAX_FLOW_DEPTH) {
    throw ConfigError.of(label, '', `is not a usable config: [ ] / { } nested more than ${MAX_FLOW_DEPTH} levels deep`);
  }
  let doc: Document.Parsed;
  const lines = new LineCounter();
  try {
    doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, version: '1.2', merge: false, lineCounter: lines });
  } catch (e) {
    throw ConfigError.of(label, '', `is not YAML: ${(e as Error).message}`);
  }
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lines.linePos(err.pos[0]);
    const at = ` at line ${pos.line}, column ${pos.col}`;
    const reason = err.message.split('\n')[0];
    const what = err.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'is not valid YAML';
    throw ConfigError.of(label, '', `${what}${at}: ${reason}`);
  }
  // The yaml package's alias guard: throws on alias bombs before anything is expanded.
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT, mapAsMap: true });
  } catch (e) {
    const msg = (e as Error).message;
    if (/alias/i.test(msg)) {
      throw ConfigError.of(label, '', `too many YAML aliases (limit ${MAX_ALIAS_COUNT}): looks like an alias bomb; refusing to expand it`);
    }
    throw ConfigError.of(label, '', `is not valid YAML: ${msg.split('\n')[0]}`);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw ConfigError.of(label, '', 'file is empty (only comments or null); expected a YAML mapping of config keys');
  }
  if (isSeq(doc.contents)) throw ConfigError.of(label, '', 'top level is a list; expected a YAML mapping of config keys');
  if (!isMap(doc.contents)) {
    throw ConfigError.of(label, '', 'is not a YAML mapping: the file holds a single value; expected a mapping of config keys (key: value lines)');
  }
  const budget = { nodes: 0 };
  return toRaw(doc.contents, doc, label, budget);
}

function toRaw(node: Node | null, doc: Document.Parsed, label: string, budget: { nodes: number }): unknown {
  if (++budget.nodes > MAX_NODES) throw ConfigError.of(label, '', `too many YAML nodes (limit ${MAX_NODES})`);
  if (node === null) return null;
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) throw ConfigError.of(label, '', `is not valid YAML: unresolved alias *${node.source}`);
    return toRaw(target as Node, doc, label, budget);
  }
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number') return new YamlNumber(v, node.source ?? String(v));
    if (typeof v === 'bigint') return new YamlNumber(Number(v), node.source ?? String(v));
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    return String(v);
  }
  if (isSeq(node)) return node.items.map((item) => toRaw(item as Node, doc, label, budget));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) {
        throw ConfigError.of(label, '', 'a mapping key is not a plain word; keys must be simple names such as grid_step');
      }
      const name = isScalar(key) && typeof key.value === 'number' ? (key.source ?? String(key.value)) : String(key.value);
      Object.defineProperty(out, name, {
        value: toRaw(pair.value as Node | null, doc, label, budget),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return null;
}
