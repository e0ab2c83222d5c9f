// A convolution's geometry as the kernels read it: 18 int32 at a byte address, in the
// order of this enum. src/tensor/kernels/wasm/calls/conv.ts writes them from the same
// names (GEOMETRY_FIELDS), and test/wasm.test.ts holds the two lists to each other.
//   C, H, W            the input image [C, H, W]
//   KH, KW, SH, SW     the kernel and its strides
//   PH, PW             zero padding on each side
//   OH, OW, OC         the output size and the number of filters
//   PKH … POW          the pooling window, its strides and the pooled size (0: no pooling)
export enum Geo { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW, OC, PKH, PKW, PSH, PSW, POH, POW }

/** Field `field` of the geometry at byte address `geo`. */
@inline export function geoAt(geo: usize, field: Geo): i32 {
  return load<i32>(geo + (<usize>field << 2));
}
