/**
 * TEST-ONLY: extracts the code blocks of a markdown guide that are marked with the file they
 * show, so a test can compare them with the repository (docs/authoring-variants.md, VAR-10).
 *
 * A marked block is a fenced block directly preceded by a line
 *   `<!-- file: path/to/file.ts -->`              the block is the whole file, or
 *   `<!-- file: path/to/file.ts lines 10-40 -->`  the block is lines 10..40 (1-based, inclusive).
 * Trailing newlines are ignored on both sides; everything else must match exactly.
 */
export interface MarkedBlock {
  file: string;
  lines: [number, number] | null;
  /** 1-based line of the marker in the guide (for error messages). */
  at: number;
  code: string;
}

const MARKER = /^<!-- file: (\S+)(?: lines (\d+)-(\d+))? -->$/;

export function markedBlocks(markdown: string): MarkedBlock[] {
  const lines = markdown.split('\n');
  const out: MarkedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i].trim());
    if (!m) continue;
    const fence = lines[i + 1]?.match(/^(`{3,})\S*$/);
    if (!fence) throw new Error(`guide line ${i + 1}: the marker must be followed directly by a fenced code block`);
    const end = lines.findIndex((l, k) => k > i + 1 && l === fence[1]);
    if (end < 0) throw new Error(`guide line ${i + 2}: the code block is not closed`);
    out.push({ file: m[1], lines: m[2] ? [Number(m[2]), Number(m[3])] : null, at: i + 1, code: lines.slice(i + 2, end).join('\n') });
    i = end;
  }
  return out;
}

/** The text a marked block must equal: the whole file or its line range, without trailing newlines. */
export function expectedText(fileText: string, lines: [number, number] | null): string {
  const all = fileText.replace(/\n+$/, '');
  if (!lines) return all;
  const [from, to] = lines;
  const split = all.split('\n');
  if (from < 1 || to < from || to > split.length) throw new Error(`lines ${from}-${to} are outside the file (1-${split.length})`);
  return split.slice(from - 1, to).join('\n');
}
