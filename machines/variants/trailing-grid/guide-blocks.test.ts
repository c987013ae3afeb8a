/**
 * The guide-drift checker itself (guide-blocks.ts): it finds marked blocks, compares whole
 * files and line ranges exactly, and rejects a marker without a block.
 */
import { describe, expect, it } from 'vitest';
import { expectedText, markedBlocks } from './guide-blocks.ts';

const FILE = 'one\ntwo\nthree\nfour\n';

describe('guide blocks', () => {
  it('extracts whole-file and line-range blocks and ignores unmarked ones', () => {
    const md = ['# t', '```ts', 'unmarked', '```', '<!-- file: a.ts -->', '```ts', 'one', 'two', '```', 'text', '<!-- file: b.ts lines 2-3 -->', '```', 'two', 'three', '```'].join('\n');
    const b = markedBlocks(md);
    expect(b.map((x) => [x.file, x.lines, x.code])).toEqual([
      ['a.ts', null, 'one\ntwo'],
      ['b.ts', [2, 3], 'two\nthree'],
    ]);
    expect(expectedText(FILE, [2, 3])).toBe(b[1].code);
    // A drifted block does not match: the whole file has four lines.
    expect(expectedText(FILE, null)).not.toBe(b[0].code);
  });

  it('rejects a marker not followed by a block, and a range outside the file', () => {
    expect(() => markedBlocks('<!-- file: a.ts -->\ntext')).toThrow(/followed directly by a fenced code block/);
    expect(() => expectedText(FILE, [3, 9])).toThrow(/outside the file/);
  });
});
