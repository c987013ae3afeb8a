/**
 * Key-level rules of configuration files: "did you mean" hints for unknown keys, the
 * foreign keys older grid preset files carry (ignored with one warning), and detection of
 * secret-looking keys (private keys are read from the environment only).
 *
 * Invariant: nothing here ever looks at or returns a value, only key names.
 */

/** Keys older grid bots' files carry that do not apply here: loaded with a warning, ignored. */
export const FOREIGN_KEYS: readonly string[] = [
  'max_oi_usd',
  'scan_exchanges',
  'order_margin_usd',
  'exchange',
  'contract_id',
  'tick_size',
];

/** The environment variable holding the Lighter API private key (never a file). */
export const LIGHTER_KEY_ENV = 'LIGHTER_API_PRIVATE_KEY';

/** True for key names that look like they hold a private key or API secret. */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return (
    k.includes('privatekey') ||
    k.includes('privkey') ||
    k.includes('apisecret') ||
    k.includes('secretkey') ||
    k === 'secret' ||
    k === 'mnemonic' ||
    k === 'seedphrase'
  );
}

/** Edit distance (Levenshtein, with adjacent transposition counted as one edit). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0].push(j);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2][j - 2] + 1);
      }
      d[i].push(best);
    }
  }
  return d[a.length][b.length];
}

/** The closest known key, if it is close enough to be a plausible typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const u = unknown.toLowerCase();
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of known) {
    const dist = editDistance(u, k.toLowerCase());
    if (dist < bestDist) {
      best = k;
      bestDist = dist;
    }
  }
  const limit = Math.max(2, Math.floor(u.length / 3));
  if (best !== undefined && bestDist <= limit) return best;
  // Prefix/substring hint: `notional` → `order_notional_usd`.
  return known.find((k) => u.length >= 4 && (k.includes(u) || u.includes(k)));
}

/** Message for an unknown key: the hint when one is close, always the allowed keys (the value is deliberately not shown). */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const hint = suggestKey(key, known);
  const allowed = `allowed keys: ${known.join(', ')}`;
  return hint ? `unknown key; did you mean ${hint}? ${allowed}` : `unknown key; ${allowed}`;
}
