// The app host: trusted code of the site that runs inside the sandbox (worker/sandbox), around a
// researcher's app (shared/apps/interface.ts). It builds the model from the topology the site approved,
// sets the weights the worker wrote, calls the app's hooks, and writes the trained weights and the test
// probabilities back as raw float32 files. Plain JavaScript: the sandboxed node runs it as it is (no
// loader), here and from dist/. Everything it writes is checked by the worker (worker/apps/run-app.ts).
import fs from 'node:fs';

const f32 = (file) => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const i32 = (file) => {
  const b = fs.readFileSync(file);
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const write = (file, arr) => fs.writeFileSync(file, Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));

/** mulberry32 (as shared/random.ts rng, which this plain-JavaScript host cannot import): the built-in loop's seeded shuffle. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cross-entropy on probabilities, clipped (as shared/models/loss.ts). */
function crossEntropy(tf, yTrue, yPred, shape) {
  const p = tf.clipByValue(yPred, 1e-7, 1 - 1e-7);
  if (shape.classes === 2)
    return tf.neg(tf.mean(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p))))));
  return tf.neg(tf.mean(tf.sum(tf.mul(yTrue, tf.log(p)), -1)));
}

function targets(tf, labels, shape) {
  return shape.classes === 2
    ? tf.tensor2d(Float32Array.from(labels), [labels.length, 1])
    : tf.oneHot(tf.tensor1d(labels, 'int32'), shape.classes).toFloat();
}

/** The built-in loop: seeded shuffling, mini-batches, the app's loss, FedProx's term. */
async function builtInTrain(tf, app, model, data, s, shape) {
  const optimizer = s.optimizer === 'adam' ? tf.train.adam(s.learningRate) : tf.train.sgd(s.learningRate);
  const lossOf = app.loss ?? crossEntropy;
  const anchor = s.proximalMu > 0 ? model.trainableWeights.map((w) => w.read().clone()) : [];
  const rand = rng(s.seed);
  const order = Array.from({ length: data.n }, (_, i) => i);
  let last = Number.NaN;
  // With localSteps, passes go on until that many updates are made (the loss is their mean).
  const steps = s.localSteps;
  let made = 0;
  let stepSum = 0;
  let stepRows = 0;
  const passes = steps ? Number.POSITIVE_INFINITY : s.epochs;
  for (let epoch = 0; epoch < passes && !(steps && made >= steps) && data.n > 0; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let sum = 0;
    for (let start = 0; start < data.n && !(steps && made >= steps); start += s.batchSize) {
      const idx = tf.tensor1d(order.slice(start, start + s.batchSize), 'int32');
      const size = idx.shape[0];
      const loss = tf.tidy(() => {
        const xb = tf.gather(data.x, idx);
        const yb = tf.gather(data.y, idx);
        return optimizer.minimize(() => {
          const l = lossOf(tf, yb, model.apply(xb), shape);
          if (!anchor.length) return l;
          const prox = model.trainableWeights.map((w, i) => tf.sum(tf.square(tf.sub(w.read(), anchor[i]))));
          return tf.add(l, tf.mul(s.proximalMu / 2, tf.addN(prox)));
        }, true);
      });
      idx.dispose();
      const batchLoss = (await loss.data())[0] * size;
      sum += batchLoss;
      stepSum += batchLoss;
      stepRows += size;
      made++;
      loss.dispose();
    }
    last = steps ? stepSum / stepRows : data.n ? sum / data.n : Number.NaN;
  }
  optimizer.dispose();
  for (const a of anchor) a.dispose();
  return { loss: last };
}

function examples(tf, app, files, n, shape) {
  let x = tf.tensor2d(f32(files.x), [n, shape.inputSize]);
  if (app.preprocess) {
    const p = app.preprocess(tf, x, shape);
    if (p?.shape?.length !== 2 || p.shape[0] !== n || p.shape[1] !== shape.inputSize)
      throw new Error(`preprocess must return a [${n}, ${shape.inputSize}] tensor`);
    if (p !== x) x.dispose();
    x = p;
  }
  const labels = i32(files.y);
  return { x, y: targets(tf, labels, shape), labels, n };
}

/**
 * One task: input {tfUrl, topology, shape, weightsFile, test?, train?, settings?, out}. Writes the test
 * probabilities (before training) to out.probabilities and the trained weights to out.weights.
 */
export async function task(input, app) {
  if (typeof app.model !== 'function') throw new Error('app.mjs exports no model function');
  const tf = await import(input.tfUrl);
  await tf.setBackend('cpu');
  const shape = input.shape;
  const model = await tf.models.modelFromJSON({ modelTopology: input.topology });
  const flat = f32(input.weightsFile);
  let off = 0;
  const parts = model.weights.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(flat.subarray(off, off + size), w.shape);
    off += size;
    return t;
  });
  if (off !== flat.length) throw new Error(`the model holds ${off} weights, the global model ${flat.length}`);
  model.setWeights(parts);
  for (const t of parts) t.dispose();
  const result = {};
  if (input.test) {
    const test = examples(tf, app, input.test, input.test.n, shape);
    const probs = tf.tidy(() => model.predict(test.x, { batchSize: 512 }));
    const probabilities = await probs.data();
    probs.dispose();
    write(input.out.probabilities, probabilities);
    if (app.metrics) result.metrics = app.metrics(tf, { labels: test.labels, probabilities, shape });
    test.x.dispose();
    test.y.dispose();
  }
  if (input.train) {
    const data = examples(tf, app, input.train, input.train.n, shape);
    const s = input.settings;
    const out = app.train
      ? await app.train(tf, model, data, s, shape)
      : await builtInTrain(tf, app, model, data, s, shape);
    result.loss = Number(out?.loss);
    const weights = new Float32Array(flat.length);
    let at = 0;
    for (const w of model.getWeights()) {
      const v = await w.data();
      weights.set(v, at);
      at += v.length;
    }
    write(input.out.weights, weights);
  }
  return result;
}
