// The wasm backend has no Conv2DBackpropFilter kernel, so conv models cannot train on it.
// dW[fh,fw,ci,co] = sum_{b,oh,ow} x[b, oh*s+fh-pt, ow*s+fw-pl, ci] * dy[b,oh,ow,co]
// is itself a convolution: treat x's channels as the batch and its batch as channels,
// convolve with dy (as a filter dilated by the stride), then crop and transpose.
import * as tf from '@tensorflow/tfjs';

type KernelFn = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

function kernel(name: string): KernelFn {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm backend lacks kernel ${name}`);
  return k.kernelFunc as unknown as KernelFn;
}

export function conv2dBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { backend } = args;
  const x = args.inputs['x']!;
  const dy = args.inputs['dy']!;
  const attrs = args.attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC')
    throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [fh, fw, ci, co] = attrs.filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const temps: tf.TensorInfo[] = [];
  const run = (name: string, inputs: tf.NamedTensorInfoMap, a: object): tf.TensorInfo => {
    const out = kernel(name)({ inputs, backend, attrs: a as tf.NamedAttrMap }) as tf.TensorInfo;
    temps.push(out);
    return out;
  };
  const xT = run('Transpose', { x }, { perm: [3, 1, 2, 0] }); // [ci, h, w, b]
  const dyT = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [oh, ow, b, co]
  const conv = run(
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
      dimRoundingMode: undefined,
    },
  ); // [ci, H', W', co] with H' >= fh
  const cropped = run('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [ci, fh, fw, co] });
  const out = kernel('Transpose')({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } }) as tf.TensorInfo;
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
}

let registered = false;

/** Registers the kernel once; safe to call repeatedly. */
export function registerWasmConvGradients(): void {
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  });
  registered = true;
}
