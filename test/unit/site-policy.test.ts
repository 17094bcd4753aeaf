// A site's policy decides what it sends: each rule refuses the tasks that break it, naming the rule.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { idxDataSchema, trainSchema } from '../../shared/config/schema.js';
import type { TaskSpec } from '../../shared/protocol/task-spec.js';
import { loadSitePolicy, policyRefusal, sitePolicySchema } from '../../worker/policy.js';

const spec = (over: Partial<TaskSpec> = {}): TaskSpec => ({
  data: idxDataSchema.parse({ format: 'idx' }),
  model: { zoo: 'logreg' },
  train: trainSchema.parse({}),
  dpClip: 1,
  secure: true,
  seed: 1,
  dpNoiseMultiplier: 1,
  colludingSites: 1,
  roundSites: 5,
  rounds: 10,
  manifestHash: '',
  manifestJson: '',
  ...over,
});
const policy = (p: object) => sitePolicySchema.parse(p);

describe('site policy', () => {
  it('an empty policy allows everything', () => {
    expect(
      policyRefusal(policy({}), spec({ secure: false, dpClip: undefined, dpNoiseMultiplier: 0 }), 'update'),
    ).toBeUndefined();
  });

  it('each rule refuses what breaks it, and names itself', () => {
    const cases: [object, Partial<TaskSpec>, RegExp][] = [
      [{ requireSecureAggregation: true }, { secure: false }, /^requireSecureAggregation: .*update.* in clear/],
      [{ minNoiseMultiplier: 1.5 }, {}, /^minNoiseMultiplier: .*1, the site requires at least 1.5/],
      [{ maxClip: 0.5 }, {}, /^maxClip: .*clip is 1, the site allows at most 0.5/],
      [{ maxClip: 0.5 }, { dpClip: undefined }, /^maxClip: .*unset \(no differential privacy\)/],
      [{ minSitesPerRound: 6 }, {}, /^minSitesPerRound: the round has 5 sites/],
      [{ allowedModels: ['mlp'] }, {}, /^allowedModels: the experiment trains "logreg"/],
      [
        { allowedModels: ['logreg'] },
        { model: { topology: { class_name: 'Sequential' }, sha256: 'ab'.repeat(32) } },
        /^allowedModels: the experiment trains "sha256:(ab){32}"/,
      ],
      [{ maxRounds: 5 }, {}, /^maxRounds: the experiment runs 10 rounds/],
      [{ minColludingSites: 2 }, {}, /^minColludingSites: .*tolerates 1 colluding/],
      [{ minRecordNoiseMultiplier: 1 }, {}, /^minRecordNoiseMultiplier: .*noise multiplier is 0/],
    ];
    for (const [p, over, why] of cases) expect(policyRefusal(policy(p), spec(over), 'update')).toMatch(why);
    // A task that meets every rule at once is accepted.
    const all = { requireSecureAggregation: true, minNoiseMultiplier: 1, maxClip: 1, minSitesPerRound: 5 };
    expect(
      policyRefusal(
        policy({ ...all, allowedModels: ['logreg'], maxRounds: 10, minColludingSites: 1 }),
        spec(),
        'update',
      ),
    ).toBeUndefined();
  });

  it('evaluation metrics are checked for model and rounds only; statistics also for secure aggregation', () => {
    const strict = policy({ requireSecureAggregation: true, minNoiseMultiplier: 5, allowedModels: ['logreg'] });
    expect(policyRefusal(strict, spec({ secure: false }), 'metrics')).toBeUndefined();
    expect(policyRefusal(strict, spec({ secure: false }), 'statistics')).toMatch(
      /^requireSecureAggregation: .*statistics/,
    );
    expect(policyRefusal(strict, spec({ secure: true, dpNoiseMultiplier: 0 }), 'statistics')).toBeUndefined();
    expect(policyRefusal(strict, spec({ model: { zoo: 'cnn' } }), 'metrics')).toMatch(/^allowedModels/);
  });

  it('a policy file with a wrong key is refused, naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-policy-'));
    const bad = path.join(dir, 'p.yaml');
    fs.writeFileSync(bad, 'requireSecureAggregation: yes please\n');
    expect(() => loadSitePolicy(bad)).toThrow(/site policy .*p\.yaml: requireSecureAggregation/);
    fs.writeFileSync(bad, 'requireSecureAgregation: true\n');
    expect(() => loadSitePolicy(bad)).toThrow(/requireSecureAgregation/);
    expect(() => loadSitePolicy(path.join(dir, 'none.yaml'))).toThrow(/ENOENT/);
    fs.writeFileSync(bad, 'requireSecureAggregation: true\nmaxRounds: 30\n');
    expect(loadSitePolicy(bad)).toMatchObject({ requireSecureAggregation: true, maxRounds: 30, minSitesPerRound: 1 });
  });
});
