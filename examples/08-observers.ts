/**
 * Beyond the notebook: the first step of static quantization, choosing each layer's
 * activation range from calibration images. Dynamic int8 (section 5) measures every batch's
 * range as it runs; static int8 fixes the ranges beforehand, so an observer must pick them
 * from a few training images. This script trains SimpleNet, shows each observer the inputs
 * of its four Linear layers on 10, 100 and 1,000 training images, and measures what the
 * chosen int8 ranges keep of the same layers' inputs on test images (the signal-to-noise
 * ratio of quantizing them, in dB: higher keeps more).
 *
 *   npx tsx examples/08-observers.ts            # full MNIST, 5 epochs (about 45 s)
 *   npx tsx examples/08-observers.ts --quick    # 3,000 training and 1,000 test images, 1 epoch
 *
 * MinMax keeps every value seen but spends levels on rare outliers; the histogram observer
 * (PyTorch's x86 default) and the percentile and entropy ones clip a little to resolve the
 * bulk finer. Their scales and zero points are PyTorch's, bit for bit, for the same values
 * (the histogram observer's to float tolerance).
 */
import {
  calibrate,
  EntropyObserver,
  fit,
  flatten,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  noGrad,
  type Observer,
  PercentileObserver,
  Rng,
  relu,
  SimpleNet,
  sqnr,
  Tensor,
} from 'slimtensor';
import { loadMnist } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const SEED = 0;
const trainset = await loadMnist('train', { limit: quick ? 3000 : undefined });
const testset = await loadMnist('test', { limit: quick ? 1000 : undefined });

const net = new SimpleNet(new Rng(SEED));
fit(net, trainset, { epochs: quick ? 1 : 5, batchSize: 64, lr: 0.001, seed: SEED, name: 'simple-net' });

/** The input of each Linear layer of the net (fc1's is the image, the others a ReLU's output) for the first `count` images. */
function layerInputs(images: Float32Array, count: number): Float32Array[] {
  return noGrad(() => {
    let x = flatten(new Tensor(images.subarray(0, count * 784), [count, 1, 28, 28]), 1);
    const inputs: Float32Array[] = [];
    net.layers.forEach((layer, i) => {
      inputs.push(x.data.slice());
      x = layer.forward(x);
      if (i + 1 < net.layers.length) x = relu(x);
    });
    return inputs;
  });
}

/** Quantizes to the observer's int8 range and back: what static int8 keeps of `x`. */
function roundTrip(x: Float32Array, observer: Observer): Float32Array {
  const { scale, zeroPoint, quantMin, quantMax } = observer.qparams();
  const [s, z] = [scale[0], zeroPoint[0]];
  return x.map((v) => (Math.min(quantMax, Math.max(quantMin, Math.round(v / s) + z)) - z) * s);
}

const observers: [string, () => Observer][] = [
  ['MinMax', () => new MinMaxObserver({ reduceRange: true })],
  ['moving average', () => new MovingAverageMinMaxObserver({ reduceRange: true })],
  ['histogram (x86 default)', () => new HistogramObserver({ reduceRange: true })],
  ['percentile 99.99', () => new PercentileObserver({ reduceRange: true, percentile: 99.99 })],
  ['entropy', () => new EntropyObserver({ reduceRange: true })],
];

const test = layerInputs(testset.images, testset.count);
const rows = [];
for (const images of [10, 100, 1000]) {
  for (const [name, make] of observers) {
    // The float net on the first `images` training images, in batches of 10 (the moving
    // average needs several); an observer at each Linear layer's input.
    const seen = calibrate(net, trainset, { observer: make, images, batchSize: 10 });
    const perLayer = net.layers.map((_, l) => seen.get(`fc${l + 1}`)!.input);
    const fc2 = perLayer[1].qparams();
    const kept = perLayer.map((o, l) => sqnr(test[l], roundTrip(test[l], o)));
    rows.push({
      observer: name,
      'calibration images': images,
      'fc2 input range': `[${perLayer[1].range().min[0].toFixed(3)}, ${perLayer[1].range().max[0].toFixed(3)}]`,
      'fc2 scale': fc2.scale[0].toPrecision(4),
      'fc2 zero point': fc2.zeroPoint[0],
      ...Object.fromEntries(kept.map((db, l) => [`fc${l + 1} SQNR dB`, db.toFixed(1)])),
    });
  }
}
console.log('Activation ranges chosen for static int8 (7-bit, reduce_range as PyTorch on x86), and what they keep of test inputs:');
console.table(rows);
