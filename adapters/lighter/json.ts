/**
 * Lossless JSON for Lighter frames: integers beyond 2^53 (order indexes up to 2^60 − 1, trade
 * and tx ids) must not be rounded by `JSON.parse`.
 *
 * Invariants:
 * - `parseJsonLossless` returns exactly what `JSON.parse` returns, except that an integer
 *   literal whose magnitude exceeds Number.MAX_SAFE_INTEGER becomes a string of its digits
 *   (e.g. 1152921504606846975 → "1152921504606846975"). Non-integers (with '.', 'e') and
 *   safe integers are untouched. Strings are never modified (the scanner skips them,
 *   including escaped quotes).
 * - `stringifyJsonLossless` writes bigint values as bare integer literals, so a simulator
 *   can emit ids above 2^53 the way the venue does.
 * - Invalid JSON throws the same SyntaxError `JSON.parse` would.
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Parses JSON text, keeping unsafe integers as digit strings. */
export function parseJsonLossless(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}

/** Rewrites integer literals outside the safe range into JSON strings. */
export function quoteUnsafeIntegers(text: string): string {
  let out: string[] | undefined;
  let last = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip a string literal, honouring backslash escapes.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      if (c === 0x2d) i++;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      const next = i < n ? text.charCodeAt(i) : -1;
      const isInteger = next !== 0x2e /* . */ && next !== 0x65 /* e */ && next !== 0x45 /* E */;
      const digits = text.slice(start, i);
      // 16+ digits may exceed 2^53 − 1 (16 digits); check exactly with BigInt.
      if (isInteger && digits.replace('-', '').length >= 16 && /^-?\d+$/.test(digits)) {
        const v = BigInt(digits);
        if (v > MAX_SAFE || v < -MAX_SAFE) {
          out ??= [];
          out.push(text.slice(last, start), '"', digits, '"');
          last = i;
        }
      }
      // Skip the rest of a non-integer number (fraction/exponent) so its digits aren't rescanned.
      while (i < n && /[0-9.eE+-]/.test(text[i]!)) i++;
      continue;
    }
    i++;
  }
  if (!out) return text;
  out.push(text.slice(last));
  return out.join('');
}

/** JSON.stringify that writes bigint values as bare integer literals. */
export function stringifyJsonLossless(value: unknown): string {
  const marker = `__bigint_${Math.random().toString(36).slice(2)}__`;
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${marker}${v.toString()}` : v));
  if (json === undefined) return json as unknown as string;
  return json.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1');
}
