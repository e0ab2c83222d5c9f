// A convolution's geometry as the wasm kernels read it: one int32 word per field, at a byte
// address, in the order of this enum. The file is both AssemblyScript and TypeScript: asc
// compiles it into the kernels (assembly/geometry.ts imports it) and tsc into the calls that
// write the words (calls/conv.ts), so the order is written once.
//   C, H, W            the input image [C, H, W]
//   KH, KW, SH, SW     the kernel and its strides
//   PH, PW             zero padding on each side
//   OH, OW, OC         the output size and the number of filters
//   PKH … POW          the pooling window, its strides and the pooled size (0: no pooling)
export enum Geo {
  C,
  H,
  W,
  KH,
  KW,
  SH,
  SW,
  PH,
  PW,
  OH,
  OW,
  OC,
  PKH,
  PKW,
  PSH,
  PSW,
  POH,
  POW,
}

/** The number of words in a geometry. */
export const GEOMETRY_WORDS = 18;
