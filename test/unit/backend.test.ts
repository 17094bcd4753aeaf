import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../shared/errors/index.js';
import { BACKEND_ORDER, backendUnavailable, initBackend, releaseBackend } from '../../shared/models/backend.js';
import { dawnMessages, probeDawn } from '../../shared/models/webgpu.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';

// What Dawn finds on this machine: no adapter on CI (no GPU), an adapter where a GPU is lent.
const dawn = await probeDawn();
const gpu = dawn.ok && !dawn.fallback;

describe('TF.js backend choice', () => {
  it('tries tensorflow > webgpu > wasm > cpu', () => {
    expect(BACKEND_ORDER).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
  });

  it("keeps Dawn's words from its stderr, without source locations", () => {
    expect(
      dawnMessages(
        "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n" +
          '    at operator() (/dawn/src/dawn/native/vulkan/BackendVk.cpp:368)\n\n',
      ),
    ).toBe("Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory");
    expect(
      dawnMessages(
        'error: XDG_RUNTIME_DIR is invalid or not set in the environment.\n' +
          'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n' +
          ' - While initializing adapter (backend=BackendType::Vulkan)\n' +
          '    at InitializeImpl (/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)\n',
      ),
    ).toBe(
      'Vulkan shaderUniform*ArrayDynamicIndexing required, while initializing adapter (backend=BackendType::Vulkan)',
    );
  });

  it('explains a requested backend that cannot run here, and an unknown name', async () => {
    expect(await backendUnavailable('cpu')).toBeUndefined();
    expect(await backendUnavailable('auto')).toBeUndefined();
    expect(await backendUnavailable('nope')).toMatch(/unknown backend "nope"; expected auto, tensorflow, webgpu/);
    if (!gpu) {
      expect(dawn.ok ? '' : dawn.reason).toMatch(/\S/);
      expect(await backendUnavailable('webgpu')).toBe(dawn.ok ? undefined : dawn.reason);
      await expect(initBackend('webgpu')).rejects.toThrow(DependencyError);
      await expect(initBackend('webgpu')).rejects.toThrow(
        `backend "webgpu" is not available here: ${dawn.ok ? '' : dawn.reason}`,
      );
    }
    let nativeInstalled = true;
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    } catch {
      nativeInstalled = false;
    }
    if (!nativeInstalled) await expect(initBackend('tensorflow')).rejects.toThrow(/install @tensorflow\/tfjs-node/);
  });

  it('auto: webgpu where Dawn finds a GPU, else wasm, saying why webgpu was skipped', async () => {
    const b = await initBackend('auto');
    expect(tf.getBackend()).toBe(b.backend);
    if (b.backend === 'tensorflow') return expect(b.reason).toBe('first choice');
    if (gpu) {
      expect(b.backend).toBe('webgpu');
      expect(b.device).toBe(dawn.ok ? dawn.device : '');
      releaseBackend();
      return;
    }
    expect(b.backend).toBe('wasm');
    expect(b.reason).toMatch(/^unavailable: /);
    expect(b.reason).toContain(`webgpu (${dawn.ok ? `Dawn's adapter ${dawn.device}` : dawn.reason}`);
  });

  it.runIf(gpu)('a model trains on the GPU through webgpu', async () => {
    const b = await initBackend('webgpu');
    expect(b.backend).toBe('webgpu');
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
    m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = tf.randomNormal([64, 4], 0, 1, 'float32', 1);
    const y = x.sum(1, true);
    const h = await m.fit(x, y, { epochs: 20, batchSize: 64, verbose: 0 });
    const loss = h.history['loss'] as number[];
    expect(loss[loss.length - 1]!).toBeLessThan(loss[0]!);
    releaseBackend();
  });

  it("the webgpu backend loads and runs on Dawn's null adapter (plumbing only: it computes nothing)", () => {
    const backend = pathToFileURL(createRequire(import.meta.url).resolve('../../shared/models/backend.ts')).href;
    const script = `const { initBackend } = await import(${JSON.stringify(backend)});
const tf = await import('@tensorflow/tfjs');
const b = await initBackend('webgpu');
const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
await m.fit(tf.ones([8, 3]), tf.ones([8, 2]), { epochs: 1, verbose: 0 });
process.stdout.write(JSON.stringify({ backend: b.backend, device: b.device, active: tf.getBackend() }));
process.exit(0);`;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const r = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: PACKAGE_ROOT,
      env: { ...process.env, ACCORD_DAWN_OPTIONS: 'backend=null' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ backend: 'webgpu', device: 'gpu:null-backend', active: 'webgpu' });
  });

  it('wasm Conv2DBackpropFilter matches the cpu backend gradient', async () => {
    await initBackend('wasm');
    const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    for (const [stride, pad] of [
      [1, 'same'],
      [2, 'same'],
      [1, 'valid'],
      [2, 'valid'],
    ] as const) {
      const dyShape = tf.conv2d(x, tf.zeros([5, 5, 3, 4]) as tf.Tensor4D, stride, pad).shape;
      const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 2);
      const grad = tf.grad((f: tf.Tensor) =>
        tf
          .conv2d(x, f as tf.Tensor4D, stride, pad)
          .mul(dy)
          .sum(),
      );
      await tf.setBackend('wasm');
      const onWasm = await grad(tf.zeros([5, 5, 3, 4])).data();
      await tf.setBackend('cpu');
      const onCpu = await grad(tf.zeros([5, 5, 3, 4])).data();
      await tf.setBackend('wasm');
      let maxDiff = 0;
      for (let i = 0; i < onCpu.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onWasm[i]! - onCpu[i]!));
      expect(maxDiff, `stride ${stride} ${pad}`).toBeLessThan(1e-3);
      expect(onCpu.some((v) => v !== 0)).toBe(true);
    }
  });

  it('a conv model trains on wasm', async () => {
    await initBackend('wasm');
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 1], padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1 }),
      ],
    });
    m.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    const before = m.getWeights()[0]!.dataSync().slice();
    await m.fit(tf.randomNormal([8, 8, 8, 1]), tf.randomNormal([8, 1]), { epochs: 1, verbose: 0 });
    const after = m.getWeights()[0]!.dataSync();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
  });
});
