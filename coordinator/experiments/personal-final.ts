// report.json's final.personalization: each site's personal model as its last evaluation scored it
// (personal.<name> in the sites' metrics, coordinator/rounds/site-evaluation.ts). Rendered by
// report-personal.ts.
import type { PersonalizationConfig } from '../../shared/config/schema.js';
import type { AccuracyInterval, RoundRecord } from './round-record.js';

/** report.json's final.personalization. */
export interface FinalPersonalization {
  method: PersonalizationConfig['method'];
  /** Each site's personal model's accuracy on its own test rows (the last evaluation). */
  siteAccuracy: Record<string, number>;
  meanSiteAccuracy: number;
  /** Each site's 95% Wilson interval, where it sent its count of correct rows. */
  siteAccuracyInterval?: Record<string, AccuracyInterval & { level: 0.95; method: 'wilson' }>;
  /**
   * Whether this run's global model is a fair comparison: true for ditto and finetune (trained as
   * FedAvg's), false for fedper and fedrep (its head stays at its initial weights: the sites keep theirs).
   */
  globalComparable: boolean;
}

export function finalPersonalization(
  p: PersonalizationConfig | undefined,
  last: RoundRecord,
): FinalPersonalization | undefined {
  if (!p || !last.personalSiteAccuracy) return undefined;
  const intervals = Object.entries(last.siteEval).filter(([, e]) => e.personal?.accuracyInterval);
  return {
    method: p.method,
    siteAccuracy: last.personalSiteAccuracy,
    meanSiteAccuracy: last.meanPersonalSiteAccuracy ?? NaN,
    ...(intervals.length
      ? {
          siteAccuracyInterval: Object.fromEntries(
            intervals.map(([s, e]) => [
              s,
              { ...e.personal!.accuracyInterval!, level: 0.95 as const, method: 'wilson' as const },
            ]),
          ),
        }
      : {}),
    globalComparable: p.method === 'ditto' || p.method === 'finetune',
  };
}
