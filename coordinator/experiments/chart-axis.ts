// A chart's y axis fitted to its data: the smallest span of round ticks (steps of 1, 2 or 5 x 10^k)
// that holds every plotted value with a little room, so a run going 75% -> 84% fills the chart instead
// of being a flat line on a fixed 0-100% axis.

export interface Axis {
  lo: number;
  hi: number;
  /** Tick values from lo to hi inclusive, `step` apart. */
  ticks: number[];
  step: number;
}

export interface AxisOptions {
  /** Room beyond the data, as a share of its span. Default 0.05. */
  pad?: number;
  /** Limits the axis never passes (accuracy: [0, 1]). */
  clamp?: [number, number];
  /** About how many intervals between ticks. Default 4. */
  intervals?: number;
}

/** The round step (1, 2 or 5 x 10^k) at or above `raw`; `below`: the next one under it instead. */
export function niceStep(raw: number, below = false): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  let k = Math.floor(Math.log10(raw));
  // Divide by a power of ten rather than multiply by 10^-k: 2 / 100 is exactly 0.02, 2 * 0.01 is not.
  const scale = (u: number) => (k < 0 ? u / 10 ** -k : u * 10 ** k);
  const f = raw / scale(1);
  // A hair of tolerance: 0.1 / 0.05 is 2.0000000000000004 and must stay a step of 2.
  const units = [1, 2, 5, 10];
  let i = units.findIndex((u) => f <= u + 1e-9);
  if (below) i -= 1;
  if (i < 0) {
    k -= 1;
    i = 2;
  }
  return scale(units[i]!);
}

/** Rounds away the binary noise of lo + i * step (0.1 * 3 is 0.30000000000000004). */
const tidy = (x: number, step: number) => {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(x.toFixed(Math.min(digits, 15)));
};

export function fitAxis(values: readonly number[], o: AxisOptions = {}): Axis {
  const finite = values.filter(Number.isFinite);
  // Nothing to plot: an empty 0-1 frame.
  if (!finite.length) return { lo: 0, hi: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] };
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  // One distinct value: a span around it, so the line sits in the middle rather than on an edge.
  const pad = hi === lo ? Math.abs(lo) * 0.05 || 0.05 : (hi - lo) * (o.pad ?? 0.05);
  // The padding never takes the axis across zero where the data do not go (a loss of -0.2).
  lo = lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
  hi = hi <= 0 ? Math.min(0, hi + pad) : hi + pad;
  if (o.clamp) [lo, hi] = [Math.max(lo, o.clamp[0]), Math.min(hi, o.clamp[1])];
  const intervals = o.intervals ?? 4;
  const bounds = (step: number): [number, number] => {
    const b: [number, number] = [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
    return o.clamp ? [Math.max(b[0], o.clamp[0]), Math.min(b[1], o.clamp[1])] : b;
  };
  // The finer of the two nearest round steps when it gives at most one interval more than asked:
  // 0-100% in steps of 20% rather than 50%.
  const fine = niceStep((hi - lo) / intervals, true);
  const [fa, fb] = bounds(fine);
  const step = (fb - fa) / fine <= intervals + 1 + 1e-9 ? fine : niceStep((hi - lo) / intervals);
  let [first, last] = bounds(step);
  if (last <= first) last = first + step;
  const ticks: number[] = [];
  for (let i = 0; first + i * step <= last + step * 1e-9; i++) ticks.push(tidy(first + i * step, step));
  return { lo: tidy(first, step), hi: tidy(last, step), ticks, step };
}

/** An accuracy tick as a percentage with as many decimals as the step needs: 0.75 -> "75%", 0.755 -> "75.5%". */
export function percentTick(y: number, step: number): string {
  const decimals = Math.max(0, Math.min(3, -Math.floor(Math.log10(step * 100) + 1e-9)));
  return `${(y * 100).toFixed(decimals)}%`;
}
