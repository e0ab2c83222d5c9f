// Adam's update in WebAssembly SIMD: src/tensor/kernels/elementwise.ts adamStep, four
// parameters at a time, in float32 (as PyTorch computes it).

/** The smallest normal float32, 2^-126. */
const MIN_NORMAL: f32 = 1.17549435e-38;

// A moment below the smallest normal float is set to zero. A weight whose gradient stays
// zero (a dead ReLU unit's) has its first moment shrunk by β1 each step into the subnormal
// range, where 0.9·m rounds back to m and it stays for good; every multiply on a subnormal
// then takes a slow microcode path. After two epochs a third of fc1's first moments were
// subnormal and Adam took 4.5 ms a step instead of 0.67. The update such a moment makes,
// lr·m/(√v + eps) < 1e-33, changes no weight bigger than 1e-26 in float32, so flushing it
// changes nothing else (the reference kernel keeps it; the tests hold the two together).
@inline function flushSubnormal(x: v128): v128 {
  return v128.andnot(x, f32x4.lt(f32x4.abs(x), f32x4.splat(MIN_NORMAL)));
}

/**
 * One Adam update of n parameters in place: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * p −= stepSize · m / (√v / sqrtBc2 + eps), with g = g + weightDecay·p first.
 * p, g, m, v are byte addresses of n float32 each in this module's memory. 1 − β1 and
 * 1 − β2 come computed in float64 (1 − f32(0.999) would be 1.3e-5 off 0.001).
 */
function adamStep(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  stepSize: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, sqrtBc2: f32, weightDecay: f32,
): void {
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusBeta2);
  const step = f32x4.splat(stepSize), root = f32x4.splat(sqrtBc2), e = f32x4.splat(eps), wd = f32x4.splat(weightDecay);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const k = <usize>i << 2;
    const pi = v128.load(p + k);
    let gi = v128.load(g + k);
    if (weightDecay != 0) gi = f32x4.add(gi, f32x4.mul(wd, pi));
    const mi = flushSubnormal(f32x4.add(f32x4.mul(b1, v128.load(m + k)), f32x4.mul(c1, gi)));
    const vi = flushSubnormal(f32x4.add(f32x4.mul(b2, v128.load(v + k)), f32x4.mul(c2, f32x4.mul(gi, gi))));
    v128.store(m + k, mi);
    v128.store(v + k, vi);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), root), e);
    v128.store(p + k, f32x4.sub(pi, f32x4.div(f32x4.mul(step, mi), denom)));
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    const pi = load<f32>(p + k);
    const gi = load<f32>(g + k) + weightDecay * pi;
    let mi = beta1 * load<f32>(m + k) + oneMinusBeta1 * gi;
    let vi = beta2 * load<f32>(v + k) + oneMinusBeta2 * gi * gi;
    if (abs(mi) < MIN_NORMAL) mi = 0;
    if (vi < MIN_NORMAL) vi = 0;
    store<f32>(m + k, mi);
    store<f32>(v + k, vi);
    store<f32>(p + k, pi - (stepSize * mi) / (sqrt<f32>(vi) / sqrtBc2 + eps));
  }
}

/**
 * adamStep with its eight float settings read from memory at `settings` (stepSize, beta1,
 * 1 − beta1, beta2, 1 − beta2, eps, sqrtBc2, weightDecay), so that a helper thread, whose
 * jobs carry only integers, can update its share of a parameter.
 */
export function adamStepAt(p: usize, g: usize, m: usize, v: usize, n: i32, settings: usize): void {
  adamStep(
    p, g, m, v, n,
    load<f32>(settings), load<f32>(settings, 4), load<f32>(settings, 8), load<f32>(settings, 12),
    load<f32>(settings, 16), load<f32>(settings, 20), load<f32>(settings, 24), load<f32>(settings, 28),
  );
}
