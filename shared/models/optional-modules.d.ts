// The optional WebGPU packages as shared/models/webgpu.ts uses them. Declared here rather than taken from
// the packages, whose types bring in the DOM's (and which may not be installed).
declare module 'webgpu' {
  export function create(options: string[]): unknown;
  export const globals: Record<string, unknown>;
}
declare module '@tensorflow/tfjs-backend-webgpu';
