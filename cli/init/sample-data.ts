// The sample data of a scaffolded project (`accord init`): one CSV per site, made here from a seed so
// every project starts alike. Tabular and non-IID on purpose, as hospitals are: each site's patients
// differ in age and in how often the outcome occurs, while the outcome follows the same rule everywhere.
import { rng } from '../../shared/random.js';

/** The columns of the sample data, in file order (the last is the label). */
export const SAMPLE_COLUMNS = ['age', 'bmi', 'systolic', 'glucose', 'smoker', 'outcome'] as const;

/** Plausible ranges of the sample's features (the experiment declares them; sites clamp to them). */
export const SAMPLE_RANGES: Record<string, [number, number]> = {
  age: [18, 100],
  bmi: [12, 60],
  systolic: [70, 230],
  glucose: [40, 400],
  smoker: [0, 1],
};

function normal(next: () => number): number {
  // Box-Muller: two uniforms to one standard normal.
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

const clamp = (x: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, x));

/** `rows` rows of site number `site` (0, 1, ...), as CSV text with a header line. */
export function sampleSiteCsv(site: number, rows: number, seed = 1): string {
  const next = rng(seed * 1000 + site);
  // Sites differ: older patients and more smokers at later sites.
  const ageShift = 8 * site;
  const smokeRate = 0.15 + 0.1 * site;
  const lines = [SAMPLE_COLUMNS.join(',')];
  for (let i = 0; i < rows; i++) {
    const age = clamp(Math.round(45 + ageShift + 12 * normal(next)), SAMPLE_RANGES['age']!);
    const bmi = clamp(Math.round((26 + 4 * normal(next)) * 10) / 10, SAMPLE_RANGES['bmi']!);
    const systolic = clamp(Math.round(120 + 0.4 * (age - 45) + 14 * normal(next)), SAMPLE_RANGES['systolic']!);
    const glucose = clamp(Math.round(95 + 1.5 * (bmi - 26) + 20 * normal(next)), SAMPLE_RANGES['glucose']!);
    const smoker = next() < smokeRate ? 1 : 0;
    // The same rule at every site: risk rises with age, weight, pressure, glucose and smoking.
    const z =
      0.06 * (age - 55) + 0.12 * (bmi - 26) + 0.03 * (systolic - 125) + 0.02 * (glucose - 100) + 1.2 * smoker - 0.3;
    const outcome = next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    lines.push([age, bmi, systolic, glucose, smoker, outcome].join(','));
  }
  return `${lines.join('\n')}\n`;
}
