// The model zoo as apps: each built-in model is the `model` hook of the app interface
// (shared/apps/interface.ts), trained by the built-in loop, loss and metrics (the defaults of an app
// without those hooks). Unlike a researcher's app they are part of Accord, so they run in the worker's
// own process (on its fastest backend) and are built from the experiment's seed in every process: their
// initializers are seeded, so the coordinator and every site start from the same weights.
import type * as tf from '@tensorflow/tfjs';
import type { AccordApp, AppShape } from '../apps/interface.js';
import type { ModelConfig } from '../config/schema.js';
import { ConfigError } from '../errors/index.js';

type ZooConfig = Extract<ModelConfig, { zoo: string }>;
type Init = () => ReturnType<typeof tf.initializers.glorotUniform>;

/** McMahan et al. 2017's 2NN: two hidden layers of 200 ReLU units. */
function twoNN(t: typeof tf, shape: AppShape, init: Init): tf.LayersModel {
  return t.sequential({
    layers: [
      t.layers.dense({ units: 200, activation: 'relu', kernelInitializer: init(), inputShape: [shape.inputSize] }),
      t.layers.dense({ units: 200, activation: 'relu', kernelInitializer: init() }),
      t.layers.dense({ units: shape.outputUnits, activation: head(shape), kernelInitializer: init() }),
    ],
  });
}

/** McMahan et al. 2017's CNN: 5x5 conv 32, 2x2 max pool, 5x5 conv 64, 2x2 max pool, dense 512, softmax. */
function cnn(t: typeof tf, shape: AppShape, init: Init): tf.LayersModel {
  if (!shape.imageShape) throw new ConfigError('model.zoo: cnn needs image data (data.format: idx)');
  // Inputs stay flat vectors on the wire and in the data adapters; the model reshapes them.
  return t.sequential({
    layers: [
      t.layers.reshape({ targetShape: shape.imageShape, inputShape: [shape.inputSize] }),
      t.layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init() }),
      t.layers.maxPooling2d({ poolSize: 2 }),
      t.layers.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init() }),
      t.layers.maxPooling2d({ poolSize: 2 }),
      t.layers.flatten(),
      t.layers.dense({ units: 512, activation: 'relu', kernelInitializer: init() }),
      t.layers.dense({ units: shape.outputUnits, activation: head(shape), kernelInitializer: init() }),
    ],
  });
}

/**
 * Logistic regression (no hidden layer) or an MLP of `hidden` ReLU layers. With `pytorch`, the output
 * layer (logistic regression's only one) starts as PyTorch's nn.Linear does: kernel and bias uniform in
 * +-1/sqrt(fan-in), seeded.
 */
function dense(t: typeof tf, shape: AppShape, init: Init, hidden: readonly number[], pytorch = false): tf.LayersModel {
  const layers = hidden.map((units, i) =>
    t.layers.dense({
      units,
      activation: 'relu',
      kernelInitializer: init(),
      ...(i === 0 ? { inputShape: [shape.inputSize] } : {}),
    }),
  );
  const fanIn = hidden.at(-1) ?? shape.inputSize;
  const uniform = (seed: number) =>
    t.initializers.randomUniform({ minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn), seed });
  const kernel = init();
  const seed = (kernel.getConfig() as { seed?: number }).seed ?? 0;
  layers.push(
    t.layers.dense({
      units: shape.outputUnits,
      activation: head(shape),
      kernelInitializer: pytorch ? uniform(seed) : kernel,
      ...(pytorch ? { biasInitializer: uniform(seed + 1_000_003) } : {}),
      ...(layers.length === 0 ? { inputShape: [shape.inputSize] } : {}),
    }),
  );
  return t.sequential({ layers });
}

const head = (shape: AppShape) => (shape.outputUnits === 1 ? 'sigmoid' : 'softmax');

/** The zoo model `cfg` as an app whose model hook draws its initial weights from `seed`. */
export function zooApp(cfg: ZooConfig, seed: number): Pick<AccordApp, 'model'> {
  return {
    model(t, shape) {
      let s = seed;
      const init: Init = () => t.initializers.glorotUniform({ seed: s++ });
      if (cfg.zoo === '2nn') return twoNN(t, shape, init);
      if (cfg.zoo === 'cnn') return cnn(t, shape, init);
      if (cfg.zoo === 'mlp') return dense(t, shape, init, cfg.hidden);
      return dense(t, shape, init, [], cfg.init === 'pytorch');
    },
  };
}
