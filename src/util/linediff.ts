/**
 * A small line diff (longest common subsequence) for golden-file comparisons. Inputs are
 * decoded dumps (one field per line), so they are short; above a size cap we fall back to a
 * positional comparison rather than spend quadratic time.
 */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

const LCS_CAP = 4_000_000; // cells of the LCS table

export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const mid: DiffLine[] = [];
  if ((A.length + 1) * (B.length + 1) > LCS_CAP) {
    for (const t of A) mid.push({ op: '-', text: t });
    for (const t of B) mid.push({ op: '+', text: t });
  } else {
    const w = B.length + 1;
    const L = new Uint32Array((A.length + 1) * w);
    for (let i = A.length - 1; i >= 0; i--)
      for (let j = B.length - 1; j >= 0; j--)
        L[i * w + j] = A[i] === B[j] ? L[(i + 1) * w + j + 1]! + 1 : Math.max(L[(i + 1) * w + j]!, L[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < A.length && j < B.length) {
      if (A[i] === B[j]) {
        mid.push({ op: ' ', text: A[i]! });
        i++;
        j++;
      } else if (L[(i + 1) * w + j]! >= L[i * w + j + 1]!) mid.push({ op: '-', text: A[i++]! });
      else mid.push({ op: '+', text: B[j++]! });
    }
    while (i < A.length) mid.push({ op: '-', text: A[i++]! });
    while (j < B.length) mid.push({ op: '+', text: B[j++]! });
  }
  return [
    ...a.slice(0, pre).map((text) => ({ op: ' ' as const, text })),
    ...mid,
    ...a.slice(a.length - suf).map((text) => ({ op: ' ' as const, text })),
  ];
}

/** Unified-style text with `context` unchanged lines around each change; '' when equal. */
export function formatDiff(lines: readonly DiffLine[], context = 2): string {
  const keep = new Uint8Array(lines.length);
  lines.forEach((l, i) => {
    if (l.op !== ' ') for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = 1;
  });
  const out: string[] = [];
  let skipped = false;
  lines.forEach((l, i) => {
    if (!keep[i]) {
      skipped = true;
      return;
    }
    if (skipped && out.length) out.push('  ...');
    skipped = false;
    out.push(`${l.op} ${l.text}`);
  });
  return out.length ? out.join('\n') + '\n' : '';
}
