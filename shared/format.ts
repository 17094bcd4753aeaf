// Figures as people read them in tables and pages.

/** 0.8162 -> "81.6%"; missing or not finite -> "-". */
export function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(1)}%`;
}
