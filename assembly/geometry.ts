// A convolution's geometry as the kernels read it: int32 words at a byte address, in the
// order of the enum Geo, declared once in src/tensor/kernels/wasm/geometry.ts (a file both
// asc and tsc compile) for these kernels and for the TypeScript that writes the words.
import { Geo } from '../src/tensor/kernels/wasm/geometry';

export { Geo };

/** Field `field` of the geometry at byte address `geo`. */
@inline export function geoAt(geo: usize, field: Geo): i32 {
  return load<i32>(geo + (<usize>field << 2));
}

// The rows and columns of the conv output that some pooling window reaches, from the top
// left: the last window ends at (POH − 1)·PSH + PKH. The teacher's 24 × 24 output pooled by
// 5 uses 20 × 20 of it; its other 176 of 576 positions would be computed only to be thrown
// away. Without pooling (PKH = 0), the whole output.
@inline export function pooledRows(geo: usize): i32 {
  const OH = geoAt(geo, Geo.OH);
  return geoAt(geo, Geo.PKH) > 0 ? min(OH, (geoAt(geo, Geo.POH) - 1) * geoAt(geo, Geo.PSH) + geoAt(geo, Geo.PKH)) : OH;
}
@inline export function pooledCols(geo: usize): i32 {
  const OW = geoAt(geo, Geo.OW);
  return geoAt(geo, Geo.PKW) > 0 ? min(OW, (geoAt(geo, Geo.POW) - 1) * geoAt(geo, Geo.PSW) + geoAt(geo, Geo.PKW)) : OW;
}
