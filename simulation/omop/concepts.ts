// The OMOP concepts the synthetic heart-disease databases use (generate.ts) and the cohort query
// reads (examples/omop/heart-disease-cohort.sql). Standard concepts are OMOP vocabulary ids (LOINC
// measurements, SNOMED conditions and answers, the Gender vocabulary); the UCI variables no standard
// concept fits well are local concepts in the range OMOP leaves to sites (2,000,000,000 and up),
// marked `local` here and described in the database's own `concept` table.

export interface ConceptInfo {
  id: number;
  name: string;
  domain: 'Gender' | 'Measurement' | 'Condition' | 'Observation' | 'Meas Value' | 'Unit' | 'Type Concept';
  vocabulary: string;
  code: string;
  /** Invented for this example (not in the OMOP vocabularies). */
  local?: true;
}

export const CONCEPTS = {
  male: { id: 8507, name: 'MALE', domain: 'Gender', vocabulary: 'Gender', code: 'M' },
  female: { id: 8532, name: 'FEMALE', domain: 'Gender', vocabulary: 'Gender', code: 'F' },
  ehr: { id: 32817, name: 'EHR', domain: 'Type Concept', vocabulary: 'Type Concept', code: 'OMOP4976890' },
  /** trestbps: resting blood pressure (mm Hg) on admission. */
  systolicBp: {
    id: 3004249,
    name: 'Systolic blood pressure',
    domain: 'Measurement',
    vocabulary: 'LOINC',
    code: '8480-6',
  },
  /** chol: serum cholesterol (mg/dl). */
  cholesterol: {
    id: 3027114,
    name: 'Cholesterol [Mass/volume] in Serum or Plasma',
    domain: 'Measurement',
    vocabulary: 'LOINC',
    code: '2093-3',
  },
  /** fbs: fasting blood sugar > 120 mg/dl; the value is synthesized on the flag's side of 120. */
  fastingGlucose: {
    id: 3037110,
    name: 'Fasting glucose [Mass/volume] in Serum or Plasma',
    domain: 'Measurement',
    vocabulary: 'LOINC',
    code: '1558-6',
  },
  /** thalach: maximum heart rate achieved in the exercise test (the cohort takes the day's maximum). */
  heartRate: { id: 3027018, name: 'Heart rate', domain: 'Measurement', vocabulary: 'LOINC', code: '8867-4' },
  /** cp 1: typical angina. */
  anginaPectoris: { id: 321318, name: 'Angina pectoris', domain: 'Condition', vocabulary: 'SNOMED', code: '194828000' },
  /** cp 3: non-anginal pain. */
  chestPain: { id: 77670, name: 'Chest pain', domain: 'Condition', vocabulary: 'SNOMED', code: '29857009' },
  /** num > 0: more than 50% narrowing of a major vessel. */
  coronaryArteriosclerosis: {
    id: 317576,
    name: 'Coronary arteriosclerosis',
    domain: 'Condition',
    vocabulary: 'SNOMED',
    code: '53741008',
  },
  yes: { id: 4188539, name: 'Yes', domain: 'Meas Value', vocabulary: 'SNOMED', code: '373066001' },
  no: { id: 4188540, name: 'No', domain: 'Meas Value', vocabulary: 'SNOMED', code: '373067005' },
  mmHg: { id: 8876, name: 'millimeter mercury column', domain: 'Unit', vocabulary: 'UCUM', code: 'mm[Hg]' },
  mgPerDl: { id: 8840, name: 'milligram per deciliter', domain: 'Unit', vocabulary: 'UCUM', code: 'mg/dL' },
  perMinute: { id: 8541, name: 'per minute', domain: 'Unit', vocabulary: 'UCUM', code: '/min' },
  /** cp 2: atypical angina. */
  atypicalAngina: {
    id: 2_000_000_001,
    name: 'Atypical angina',
    domain: 'Condition',
    vocabulary: 'Accord local',
    code: 'cp-2',
    local: true,
  },
  /** oldpeak: ST depression induced by exercise relative to rest (mm). */
  stDepression: {
    id: 2_000_000_002,
    name: 'ST depression induced by exercise relative to rest',
    domain: 'Measurement',
    vocabulary: 'Accord local',
    code: 'oldpeak',
    local: true,
  },
  /** exang: exercise-induced angina, answered yes or no. */
  exerciseAngina: {
    id: 2_000_000_003,
    name: 'Exercise-induced angina',
    domain: 'Observation',
    vocabulary: 'Accord local',
    code: 'exang',
    local: true,
  },
  /** restecg: resting ECG, 0 normal, 1 ST-T wave abnormality, 2 left ventricular hypertrophy (Estes). */
  restingEcg: {
    id: 2_000_000_004,
    name: 'Resting electrocardiographic result (UCI code)',
    domain: 'Observation',
    vocabulary: 'Accord local',
    code: 'restecg',
    local: true,
  },
  /** slope: slope of the peak exercise ST segment, 1 up, 2 flat, 3 down. */
  stSlope: {
    id: 2_000_000_005,
    name: 'Slope of the peak exercise ST segment (UCI code)',
    domain: 'Observation',
    vocabulary: 'Accord local',
    code: 'slope',
    local: true,
  },
  /** ca: major vessels (0-3) colored by fluoroscopy. */
  vesselsColored: {
    id: 2_000_000_006,
    name: 'Major vessels colored by fluoroscopy',
    domain: 'Measurement',
    vocabulary: 'Accord local',
    code: 'ca',
    local: true,
  },
  /** thal: thallium scintigraphy, 3 normal, 6 fixed defect, 7 reversible defect. */
  thalliumScan: {
    id: 2_000_000_007,
    name: 'Thallium stress scintigraphy result (UCI code)',
    domain: 'Observation',
    vocabulary: 'Accord local',
    code: 'thal',
    local: true,
  },
  /** num: angiographic disease status (0: < 50% narrowing; 1-4 the UCI grade): the label, and the index event. */
  angiographicGrade: {
    id: 2_000_000_008,
    name: 'Angiographic coronary disease grade (UCI num)',
    domain: 'Observation',
    vocabulary: 'Accord local',
    code: 'num',
    local: true,
  },
} as const satisfies Record<string, ConceptInfo>;
