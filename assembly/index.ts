// The WebAssembly kernels of slimtensor: one module, compiled by `npm run build:wasm`.
export * from './gemm';
export * from './int8';
export * from './conv';
export * from './conv-pool';
export * from './adam';
export * from './sparse';
export * from './gemv';
export * from './quant';
export * from './conv-int8';
export * from './elementwise';
export * from './peak';
