-- Heart-disease cohort on an OMOP CDM 5.4 database: one row per person, the 13 UCI features and the
-- angiographic grade `num` (the label), the columns examples/heart-disease.yaml expects. The site owns
-- and runs this query (its source file names it); the coordinator never sends SQL. It runs once at
-- worker start, in a READ ONLY transaction with a statement timeout.
--
-- Index event: the person's angiographic grade observation (local concept 2000000008); every other
-- variable is the record of that day. A variable without a record is NULL, which Accord reads as a
-- missing value. Rows come ordered by person_id: row i is "line" i of the site's split, so keep the
-- order stable. Concept ids: simulation/omop/concepts.ts (2000000001-2000000008 are local concepts).
WITH index_event AS (
  SELECT person_id, MIN(observation_date) AS index_date
  FROM observation
  WHERE observation_concept_id = 2000000008 -- angiographic coronary disease grade (local)
  GROUP BY person_id
),
meas AS (
  SELECT m.person_id, m.measurement_concept_id AS concept_id, MAX(m.value_as_number) AS value
  FROM measurement m
  JOIN index_event i ON i.person_id = m.person_id AND m.measurement_date = i.index_date
  GROUP BY m.person_id, m.measurement_concept_id
),
obs AS (
  SELECT o.person_id, o.observation_concept_id AS concept_id,
         MAX(o.value_as_number) AS value, MAX(o.value_as_concept_id) AS value_concept_id
  FROM observation o
  JOIN index_event i ON i.person_id = o.person_id AND o.observation_date = i.index_date
  GROUP BY o.person_id, o.observation_concept_id
),
cond AS (
  SELECT DISTINCT c.person_id, c.condition_concept_id AS concept_id
  FROM condition_occurrence c
  JOIN index_event i ON i.person_id = c.person_id AND c.condition_start_date = i.index_date
)
SELECT
  date_part('year', age(i.index_date, p.birth_datetime::date))::integer AS age,
  CASE p.gender_concept_id WHEN 8507 THEN 1 WHEN 8532 THEN 0 END AS sex, -- MALE, FEMALE
  CASE
    WHEN EXISTS (SELECT 1 FROM cond c WHERE c.person_id = p.person_id AND c.concept_id = 321318) THEN 1 -- angina pectoris: typical
    WHEN EXISTS (SELECT 1 FROM cond c WHERE c.person_id = p.person_id AND c.concept_id = 2000000001) THEN 2 -- atypical angina (local)
    WHEN EXISTS (SELECT 1 FROM cond c WHERE c.person_id = p.person_id AND c.concept_id = 77670) THEN 3 -- chest pain: non-anginal
    ELSE 4 -- no chest pain recorded: asymptomatic
  END AS cp,
  (SELECT value FROM meas m WHERE m.person_id = p.person_id AND m.concept_id = 3004249) AS trestbps, -- systolic BP, LOINC 8480-6
  (SELECT value FROM meas m WHERE m.person_id = p.person_id AND m.concept_id = 3027114) AS chol, -- cholesterol, LOINC 2093-3
  (SELECT CASE WHEN value > 120 THEN 1 ELSE 0 END
     FROM meas m WHERE m.person_id = p.person_id AND m.concept_id = 3037110) AS fbs, -- fasting glucose, LOINC 1558-6
  (SELECT value FROM obs o WHERE o.person_id = p.person_id AND o.concept_id = 2000000004) AS restecg,
  (SELECT value FROM meas m WHERE m.person_id = p.person_id AND m.concept_id = 3027018) AS thalach, -- heart rate (day's max), LOINC 8867-4
  (SELECT CASE value_concept_id WHEN 4188539 THEN 1 WHEN 4188540 THEN 0 END
     FROM obs o WHERE o.person_id = p.person_id AND o.concept_id = 2000000003) AS exang, -- Yes / No
  (SELECT value FROM meas m WHERE m.person_id = p.person_id AND m.concept_id = 2000000002) AS oldpeak,
  (SELECT value FROM obs o WHERE o.person_id = p.person_id AND o.concept_id = 2000000005) AS slope,
  (SELECT value FROM meas m WHERE m.person_id = p.person_id AND m.concept_id = 2000000006) AS ca,
  (SELECT value FROM obs o WHERE o.person_id = p.person_id AND o.concept_id = 2000000007) AS thal,
  (SELECT value FROM obs o WHERE o.person_id = p.person_id AND o.concept_id = 2000000008) AS num
FROM person p
JOIN index_event i ON i.person_id = p.person_id
ORDER BY p.person_id
