import { describe, expect, it } from 'vitest';
import { chooseByzantine, scoreHonestSites } from '../../simulation/byzantine.js';

describe('Byzantine scoring', () => {
  const final = {
    round: 20,
    siteAccuracy: { a: 0.8, b: 0.9, c: 0.7, evil: 0.2 },
    meanSiteAccuracy: 0.65,
    accuracy: 0.7,
    loss: 0.5,
  };

  it('scores the honest sites and keeps the all-sites mean beside it', () => {
    const f = scoreHonestSites(final, ['evil']);
    expect(f.meanSiteAccuracy).toBeCloseTo(0.8, 12);
    expect(f.allSitesMeanSiteAccuracy).toBe(0.65);
    expect(f.honestSites).toEqual(['a', 'b', 'c']);
    expect(f.siteAccuracy).toEqual(final.siteAccuracy); // every site's figure is still reported
  });

  it('draws the attackers from the seed alone', () => {
    const sites = ['cleveland', 'hungary', 'switzerland', 'va'];
    expect(chooseByzantine(sites, 1, 1)).toEqual(chooseByzantine(sites, 1, 1));
    expect(chooseByzantine(sites, 2, 7)).toHaveLength(2);
    const seen = new Set(Array.from({ length: 40 }, (_, s) => chooseByzantine(sites, 1, s)[0]));
    expect(seen.size).toBe(4);
  });
});
