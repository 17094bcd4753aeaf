// A small synthetic OMOP CDM database per UCI heart-disease site, made from the real rows shipped in
// data/heart-disease: one person per row (person_id = the row's line number, so the cohort query's
// ORDER BY person_id gives the rows in file order and the site split keys on the same lines as the
// CSV's), every variable a record on the person's index date (concepts.ts says which), and a missing
// UCI value no record at all. What the UCI files do not hold is made up deterministically from the
// line number: dates of birth (matching the age), index dates, fasting glucose values (on the fbs
// flag's side of 120 mg/dl). A cholesterol of 0 (Switzerland's, "not measured") is no record.
import fs from 'node:fs';
import { HEART_COLUMNS, HEART_DISEASE } from '../datasets.js';
import { CONCEPTS, type ConceptInfo } from './concepts.js';

export type HeartSite = keyof typeof HEART_DISEASE.sites;

export type HeartColumn = (typeof HEART_COLUMNS)[number];

/** One UCI row: a value per column, undefined when missing ("?", "NaN" or empty). */
export type HeartRow = Record<HeartColumn, number | undefined>;

export function parseUciRows(text: string): HeartRow[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const cells = line.split(',');
      const row = {} as HeartRow;
      HEART_COLUMNS.forEach((c, j) => {
        const t = (cells[j] ?? '').trim();
        const v = Number(t);
        row[c] = t === '' || t === '?' || !Number.isFinite(v) ? undefined : v;
      });
      return row;
    });
}

export function readUciSite(site: HeartSite): HeartRow[] {
  return parseUciRows(fs.readFileSync(HEART_DISEASE.sites[site], 'utf8'));
}

/** When each site's first patient came: the studies ran in the 1980s. */
const FIRST_INDEX: Record<HeartSite, string> = {
  cleveland: '1981-05-04',
  hungary: '1983-02-07',
  switzerland: '1985-03-11',
  va: '1984-01-09',
};

type Value = number | string | null;
export interface OmopRecords {
  concept: Value[][];
  person: Value[][];
  observation_period: Value[][];
  condition_occurrence: Value[][];
  measurement: Value[][];
  observation: Value[][];
}

export const OMOP_COLUMNS: Record<keyof OmopRecords, string[]> = {
  concept: [
    'concept_id',
    'concept_name',
    'domain_id',
    'vocabulary_id',
    'concept_class_id',
    'standard_concept',
    'concept_code',
    'valid_start_date',
    'valid_end_date',
  ],
  person: [
    'person_id',
    'gender_concept_id',
    'year_of_birth',
    'month_of_birth',
    'day_of_birth',
    'birth_datetime',
    'race_concept_id',
    'ethnicity_concept_id',
    'person_source_value',
    'gender_source_value',
  ],
  observation_period: [
    'observation_period_id',
    'person_id',
    'observation_period_start_date',
    'observation_period_end_date',
    'period_type_concept_id',
  ],
  condition_occurrence: [
    'condition_occurrence_id',
    'person_id',
    'condition_concept_id',
    'condition_start_date',
    'condition_type_concept_id',
    'condition_source_value',
  ],
  measurement: [
    'measurement_id',
    'person_id',
    'measurement_concept_id',
    'measurement_date',
    'measurement_type_concept_id',
    'value_as_number',
    'value_as_concept_id',
    'unit_concept_id',
    'measurement_source_value',
  ],
  observation: [
    'observation_id',
    'person_id',
    'observation_concept_id',
    'observation_date',
    'observation_type_concept_id',
    'value_as_number',
    'value_as_concept_id',
    'unit_concept_id',
    'observation_source_value',
  ],
};

const DAY_MS = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A deterministic pseudo-random integer in [0, n) for line `line` and purpose `salt`. */
function pick(line: number, salt: number, n: number): number {
  let x = Math.imul(line ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return ((x ^ (x >>> 16)) >>> 0) % n;
}

function conceptRow(c: ConceptInfo): Value[] {
  const cls = { Gender: 'Gender', Measurement: 'Lab Test', Condition: 'Clinical Finding' } as Record<string, string>;
  return [
    c.id,
    c.name,
    c.domain,
    c.vocabulary,
    cls[c.domain] ?? c.domain,
    'local' in c ? null : 'S',
    c.code,
    '1970-01-01',
    '2099-12-31',
  ];
}

/** The OMOP records of one site's UCI rows: the same rows give the same records, every run. */
export function omopRecords(rows: HeartRow[], site: HeartSite): OmopRecords {
  const r: OmopRecords = {
    concept: Object.values(CONCEPTS).map(conceptRow),
    person: [],
    observation_period: [],
    condition_occurrence: [],
    measurement: [],
    observation: [],
  };
  const first = Date.parse(`${FIRST_INDEX[site]}T00:00:00Z`);
  const ehr = CONCEPTS.ehr.id;
  rows.forEach((row, i) => {
    const id = i + 1;
    const indexMs = first + (i * 3 + pick(id, 1, 3)) * DAY_MS;
    const index = isoDate(indexMs);
    const age = row.age ?? 50;
    // Born `age` years and 0-364 days before the index date: age() on the index date gives `age`.
    const indexDate = new Date(indexMs);
    const birth = new Date(
      Date.UTC(indexDate.getUTCFullYear() - age, indexDate.getUTCMonth(), indexDate.getUTCDate()) -
        pick(id, 2, 360) * DAY_MS,
    );
    const sex = row.sex === 1 ? CONCEPTS.male : CONCEPTS.female;
    r.person.push([
      id,
      sex.id,
      birth.getUTCFullYear(),
      birth.getUTCMonth() + 1,
      birth.getUTCDate(),
      `${isoDate(birth.getTime())} 00:00:00`,
      0,
      0,
      `${site}-${id}`,
      sex.code,
    ]);
    r.observation_period.push([id, id, isoDate(indexMs - 365 * DAY_MS), isoDate(indexMs + 30 * DAY_MS), ehr]);
    const condition = (c: ConceptInfo, source: string) =>
      r.condition_occurrence.push([r.condition_occurrence.length + 1, id, c.id, index, ehr, source]);
    const measurement = (c: ConceptInfo, v: number | undefined, unit: number | null, source: string) => {
      if (v !== undefined) r.measurement.push([r.measurement.length + 1, id, c.id, index, ehr, v, null, unit, source]);
    };
    const observation = (c: ConceptInfo, v: number | undefined, source: string) => {
      if (v !== undefined) r.observation.push([r.observation.length + 1, id, c.id, index, ehr, v, null, null, source]);
    };
    if (row.cp === 1) condition(CONCEPTS.anginaPectoris, 'cp=1');
    else if (row.cp === 2) condition(CONCEPTS.atypicalAngina, 'cp=2');
    else if (row.cp === 3) condition(CONCEPTS.chestPain, 'cp=3');
    if (row.num !== undefined && row.num > 0) condition(CONCEPTS.coronaryArteriosclerosis, `num=${row.num}`);
    measurement(CONCEPTS.systolicBp, row.trestbps, CONCEPTS.mmHg.id, 'trestbps');
    measurement(CONCEPTS.cholesterol, row.chol === 0 ? undefined : row.chol, CONCEPTS.mgPerDl.id, 'chol');
    const glucose = row.fbs === undefined ? undefined : row.fbs === 1 ? 121 + pick(id, 3, 80) : 70 + pick(id, 3, 50);
    measurement(CONCEPTS.fastingGlucose, glucose, CONCEPTS.mgPerDl.id, 'fbs');
    if (row.thalach !== undefined) {
      // A resting rate below the test's maximum, so the cohort's MAX is what picks thalach.
      measurement(CONCEPTS.heartRate, Math.min(row.thalach, 60 + pick(id, 4, 30)), CONCEPTS.perMinute.id, 'resting');
      measurement(CONCEPTS.heartRate, row.thalach, CONCEPTS.perMinute.id, 'thalach');
    }
    measurement(CONCEPTS.stDepression, row.oldpeak, null, 'oldpeak');
    measurement(CONCEPTS.vesselsColored, row.ca, null, 'ca');
    if (row.exang !== undefined)
      r.observation.push([
        r.observation.length + 1,
        id,
        CONCEPTS.exerciseAngina.id,
        index,
        ehr,
        null,
        row.exang === 1 ? CONCEPTS.yes.id : CONCEPTS.no.id,
        null,
        'exang',
      ]);
    observation(CONCEPTS.restingEcg, row.restecg, 'restecg');
    observation(CONCEPTS.stSlope, row.slope, 'slope');
    observation(CONCEPTS.thalliumScan, row.thal, 'thal');
    observation(CONCEPTS.angiographicGrade, row.num, 'num');
  });
  return r;
}

function literal(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${v.replaceAll("'", "''")}'`;
}

/** INSERT statements for `records`, a few hundred rows each. */
export function insertStatements(records: OmopRecords): string[] {
  const out: string[] = [];
  for (const [table, rows] of Object.entries(records) as [keyof OmopRecords, Value[][]][]) {
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows
        .slice(i, i + 500)
        .map((row) => `(${row.map(literal).join(', ')})`)
        .join(',\n');
      out.push(`INSERT INTO ${table} (${OMOP_COLUMNS[table].join(', ')}) VALUES\n${values};`);
    }
  }
  return out;
}
