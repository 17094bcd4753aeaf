// Which models the site computes metrics on. Every metric on the site's test rows (an evaluate task,
// or the start loss and accuracy of a train task) is a query the coordinator chose by choosing the
// weights: a crafted model turns accuracy into an exact count of the rows that match a condition.
// So the site ties each model to its approved experiment before it looks at a row:
// - the experiment's initial model must be the one the site builds itself from the manifest (model
//   and seed), bit for bit;
// - after that, each round's model is pinned: round r's model has at most one version per attempt
//   the manifest allows (roundAttempts), so a coordinator cannot ask a round's question again with
//   other weights, and the number of models the site ever answers for is bounded by the rounds it
//   approved (and by its evaluation budget, site-budget.ts).
// What this does not do: prove that a later round's model is the true aggregate (the coordinator
// still chooses it, once per round); rounding and a minimum test size (metrics-release.ts) bound what
// each answer carries.
import { TrustError } from '../shared/errors/index.js';
import { getFlatWeights, modelFor } from '../shared/models/zoo.js';
import { sha256Hex } from '../shared/trust/canonical.js';
import type { SignedTerms } from '../shared/trust/manifest.js';

/** Initial-model digests by manifest hash, per process (a simulated pool's sites share them). */
const INITIAL = new Map<string, Promise<string>>();

export function weightsDigest(values: Float32Array): string {
  return sha256Hex(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** The digest of the initial model the manifest gives, built here as the coordinator builds it. */
function initialDigest(terms: SignedTerms): Promise<string> {
  let d = INITIAL.get(terms.hash);
  if (!d) {
    d = (async () => {
      const model = await modelFor(terms.manifest.config);
      try {
        return weightsDigest(getFlatWeights(model).values);
      } finally {
        model.dispose();
      }
    })();
    if (INITIAL.size >= 64) INITIAL.clear();
    INITIAL.set(terms.hash, d);
  }
  return d;
}

export class ModelTies {
  /** `${manifestHash}/${modelIndex}` -> digests seen (model index r: the model after round r). */
  private readonly pins = new Map<string, string[]>();

  /**
   * Checks that `values` may be evaluated as the model after round `index` of the experiment (0: the
   * initial model) and pins it; returns its digest. Throws UNTIED_MODEL otherwise.
   */
  async tie(terms: SignedTerms, index: number, values: Float32Array): Promise<string> {
    const digest = weightsDigest(values);
    const c = terms.manifest.config;
    const id = terms.manifest.experimentId;
    if (index === 0) {
      if (digest !== (await initialDigest(terms)))
        throw new TrustError(
          'UNTIED_MODEL',
          `experiment ${id}: the initial model is not the one the approved manifest gives (model and seed); no metrics computed`,
        );
      return digest;
    }
    // Async mode numbers model versions, each trained from by many sites at once: pinned per version.
    const allowed = c.mode === 'async' ? 1 : c.roundAttempts;
    if (!(index >= 1 && index <= c.rounds))
      throw new TrustError('UNTIED_MODEL', `experiment ${id}: no round ${index} in the approved ${c.rounds}`);
    const key = `${terms.hash}/${index}`;
    const seen = this.pins.get(key) ?? [];
    if (seen.includes(digest)) return digest;
    if (seen.length >= allowed)
      throw new TrustError(
        'UNTIED_MODEL',
        `experiment ${id}: round ${index} already had ${seen.length} model version(s), the manifest allows ${allowed}; no metrics computed`,
      );
    this.pins.set(key, [...seen, digest]);
    return digest;
  }
}
