// FedBuff's staleness weighting (Nguyen et al. 2022): an update trained from a model `tau` versions
// older than the one it is folded into counts s(tau) = (1 + tau)^-a as much as a fresh one, so a
// straggler still contributes but cannot pull the model back towards where it started.

/** s(tau) = (1 + tau)^-exponent; 1 for a fresh update (tau = 0), never above 1. */
export function stalenessWeight(tau: number, exponent: number): number {
  if (!Number.isFinite(tau) || tau < 0) throw new RangeError(`staleness must be a non-negative number, not ${tau}`);
  return (1 + tau) ** -exponent;
}

/** Versions between the model an update started from and the one being committed from it. */
export function staleness(committing: number, base: number): number {
  // Committing version v folds into v - 1: an update from v - 1 is fresh.
  return Math.max(0, committing - 1 - base);
}
