// The median the benchmarks report (the middle of an odd count, the mean of the two middle values of
// an even one), so one slow repetition on a shared machine does not move a figure.
export function median(xs: readonly number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
