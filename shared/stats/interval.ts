// A confidence interval as reports carry it: its bounds, its level and how it was computed.

/** z of a two-sided 95% normal interval: the 0.975 quantile of the standard normal (scipy.stats.norm.ppf(0.975)). */
export const Z95 = 1.959963984540054;

/** Lower and upper bounds of an interval. */
export interface Bounds {
  lower: number;
  upper: number;
}
