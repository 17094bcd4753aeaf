// The OMOP CDM 5.4 tables the synthetic heart-disease databases fill: person, observation_period,
// condition_occurrence, measurement and observation, plus concept (holding only the concepts used).
// A subset of each table's columns: the required ones and those the example uses; the others
// (provider, visit, care site, source concept ids, ...) are left out. Column names and types follow
// the CDM 5.4 PostgreSQL DDL, so the cohort query runs unchanged on a full CDM database.

export const OMOP_DDL = `
CREATE TABLE concept (
  concept_id integer PRIMARY KEY,
  concept_name varchar(255) NOT NULL,
  domain_id varchar(20) NOT NULL,
  vocabulary_id varchar(20) NOT NULL,
  concept_class_id varchar(20) NOT NULL,
  standard_concept varchar(1) NULL,
  concept_code varchar(50) NOT NULL,
  valid_start_date date NOT NULL,
  valid_end_date date NOT NULL
);
CREATE TABLE person (
  person_id integer PRIMARY KEY,
  gender_concept_id integer NOT NULL,
  year_of_birth integer NOT NULL,
  month_of_birth integer NULL,
  day_of_birth integer NULL,
  birth_datetime timestamp NULL,
  race_concept_id integer NOT NULL,
  ethnicity_concept_id integer NOT NULL,
  person_source_value varchar(50) NULL,
  gender_source_value varchar(50) NULL
);
CREATE TABLE observation_period (
  observation_period_id integer PRIMARY KEY,
  person_id integer NOT NULL REFERENCES person,
  observation_period_start_date date NOT NULL,
  observation_period_end_date date NOT NULL,
  period_type_concept_id integer NOT NULL
);
CREATE TABLE condition_occurrence (
  condition_occurrence_id integer PRIMARY KEY,
  person_id integer NOT NULL REFERENCES person,
  condition_concept_id integer NOT NULL,
  condition_start_date date NOT NULL,
  condition_type_concept_id integer NOT NULL,
  condition_source_value varchar(50) NULL
);
CREATE TABLE measurement (
  measurement_id integer PRIMARY KEY,
  person_id integer NOT NULL REFERENCES person,
  measurement_concept_id integer NOT NULL,
  measurement_date date NOT NULL,
  measurement_type_concept_id integer NOT NULL,
  value_as_number numeric NULL,
  value_as_concept_id integer NULL,
  unit_concept_id integer NULL,
  measurement_source_value varchar(50) NULL
);
CREATE TABLE observation (
  observation_id integer PRIMARY KEY,
  person_id integer NOT NULL REFERENCES person,
  observation_concept_id integer NOT NULL,
  observation_date date NOT NULL,
  observation_type_concept_id integer NOT NULL,
  value_as_number numeric NULL,
  value_as_concept_id integer NULL,
  unit_concept_id integer NULL,
  observation_source_value varchar(50) NULL
);
CREATE INDEX idx_condition_person ON condition_occurrence (person_id, condition_concept_id);
CREATE INDEX idx_measurement_person ON measurement (person_id, measurement_concept_id);
CREATE INDEX idx_observation_person ON observation (person_id, observation_concept_id);
`;
