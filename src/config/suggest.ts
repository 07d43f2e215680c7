// "did you mean" for unknown keys, enum values and store names.

/** Optimal string alignment distance: Levenshtein plus adjacent transposition (nmae → name is 1). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** A key that extends an allowed one (protocol for proto, timeoutMs for timeout) is a likely slip too. */
function extendsCandidate(word: string, candidate: string): boolean {
  return candidate.length >= 4 && word.startsWith(candidate);
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo: case is ignored,
 * and about one edit in three characters is allowed.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const [lowerWord, lowerCandidate] = [word.toLowerCase(), candidate.toLowerCase()];
    const distance = editDistance(lowerWord, lowerCandidate);
    const allowed = Math.max(1, Math.floor(candidate.length / 3));
    if ((distance <= allowed || extendsCandidate(lowerWord, lowerCandidate)) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : `; did you mean "${match}"?`;
}
