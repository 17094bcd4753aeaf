// The experiment config: one zod schema, so every error names the field that is wrong.
import { z } from 'zod';

const binariseRule = z
  .string()
  .regex(/^\s*(>=|<=|==|!=|>|<)\s*-?\d+(\.\d+)?\s*$/, 'expected a rule such as "> 0"')
  .describe('Turns the label into 0/1: label OP value -> 1, else 0.');

export const dataSchema = z
  .object({
    /** Only CSV is supported for tabular data today. */
    format: z.literal('csv').default('csv'),
    /** True when the first line names the columns (it must then match `columns`). */
    header: z.boolean().default(false),
    /** Column names in file order: every site must share this schema. */
    columns: z.array(z.string().min(1)).min(2),
    /** The label column. */
    label: z.string().min(1),
    /** Rule that binarises the label, e.g. "> 0"; without it labels must be 0..classes-1. */
    binarise: binariseRule.optional(),
    /** Number of classes when not binarised. */
    classes: z.number().int().min(2).optional(),
    /** Columns to ignore. */
    drop: z.array(z.string()).default([]),
    /** Categorical columns and their categories (from the schema, never from pooled data); one-hot encoded. */
    categorical: z.record(z.string(), z.array(z.number())).default({}),
    /** Cell values that mean "missing". */
    missing: z.array(z.string()).default(['?', 'NaN', 'nan', '']),
    /** Columns where 0 means "not recorded" (e.g. cholesterol at some centres). */
    zeroMeansMissing: z.array(z.string()).default([]),
    /** How a site fills missing numeric values, from its own training rows. */
    impute: z.enum(['mean', 'median', 'zero']).default('mean'),
    /** Standardise features with statistics of the site's own training rows. */
    scaling: z.enum(['standard', 'none']).default('standard'),
    /** Share of each site's rows held out for testing (stratified by label). */
    testFraction: z.number().gt(0).lt(1).default(0.33),
    /** Seed of the fixed train/test split. */
    splitSeed: z.number().int().default(42),
  })
  .strict();

export const modelSchema = z.union([
  z.object({ zoo: z.literal('logreg') }).strict(),
  z.object({ zoo: z.literal('mlp'), hidden: z.array(z.number().int().positive()).min(1).default([32]) }).strict(),
  z.object({ path: z.string().min(1) }).strict(),
]);

export const experimentSchema = z
  .object({
    /** Human name of the experiment. */
    name: z.string().min(1).default('experiment'),
    model: modelSchema.default({ zoo: 'logreg' }),
    data: dataSchema,
    /** Number of training rounds. */
    rounds: z.number().int().min(1).max(100_000).default(10),
    clients: z
      .object({
        /** Workers that must be connected before a round starts. */
        min: z.number().int().min(1).default(2),
        /** Share of connected workers sampled each round. */
        fraction: z.number().gt(0).max(1).default(1),
        /** Successful updates needed to commit a round (default: min). */
        quorum: z.number().int().min(1).optional(),
      })
      .strict()
      .default({ min: 2, fraction: 1 }),
    train: z
      .object({
        epochs: z.number().int().min(1).default(1),
        batchSize: z.number().int().min(1).default(16),
        learningRate: z.number().positive().default(0.05),
        optimizer: z.enum(['sgd', 'adam']).default('sgd'),
      })
      .strict()
      .default({ epochs: 1, batchSize: 16, learningRate: 0.05, optimizer: 'sgd' }),
    strategy: z
      .object({ name: z.literal('fedavg').default('fedavg') })
      .strict()
      .default({ name: 'fedavg' }),
    /** Seed of model initialisation, client sampling and local shuffling. */
    seed: z.number().int().default(1),
    timeouts: z
      .object({
        /** A train or evaluate task fails after this long. */
        taskMs: z.number().int().positive().default(120_000),
        /** How long a round waits for `clients.min` workers before failing the experiment. */
        selectMs: z.number().int().positive().default(600_000),
      })
      .strict()
      .default({ taskMs: 120_000, selectMs: 600_000 }),
    /** Attempts per round before the experiment fails. */
    roundAttempts: z.number().int().min(1).default(3),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.data.columns.includes(c.data.label))
      ctx.addIssue({ code: 'custom', path: ['data', 'label'], message: `"${c.data.label}" is not one of data.columns` });
    if (!c.data.binarise && !c.data.classes)
      ctx.addIssue({ code: 'custom', path: ['data', 'classes'], message: 'give data.binarise or data.classes' });
    if (c.clients.quorum !== undefined && c.clients.quorum > c.clients.min)
      ctx.addIssue({ code: 'custom', path: ['clients', 'quorum'], message: 'must not exceed clients.min' });
  });

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type DataConfig = z.infer<typeof dataSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type ExperimentInput = z.input<typeof experimentSchema>;
