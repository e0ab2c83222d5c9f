/**
 * Beyond the notebook: static int8 quantization, as PyTorch's eager `prepare`, calibrate,
 * `convert`. Section 5's dynamic int8 measures each batch's activation range as it runs and
 * goes back to float after every layer; static int8 fixes every range from calibration
 * images, so the activations stay uint8 from layer to layer and only the logits return to
 * float. This script trains SimpleNet, quantizes it both ways and by quantization-aware
 * training, and compares accuracy and size.
 *
 *   npx tsx examples/09-static-int8.ts            # full MNIST, 5 epochs, 1,000 calibration images
 *   npx tsx examples/09-static-int8.ts --quick    # 3,000 training and 1,000 test images, 1 epoch
 *
 * The static layers here run on slimtensor's TypeScript reference kernels: their speed is
 * not the point of this script (the int8 wasm kernels are the dynamic layers' for now).
 */
import {
  convert,
  evaluate,
  fit,
  MinMaxObserver,
  modelBytes,
  modelToBytes,
  prepareQat,
  quantizeDynamic,
  quantizeStatic,
  Rng,
  SimpleNet,
} from 'slimtensor';
import { loadMnist } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const SEED = 0;
const trainset = await loadMnist('train', { limit: quick ? 3000 : undefined });
const testset = await loadMnist('test', { limit: quick ? 1000 : undefined });

const net = new SimpleNet(new Rng(SEED));
fit(net, trainset, { epochs: quick ? 1 : 5, batchSize: 64, lr: 0.001, seed: SEED, name: 'simple-net' });

// PyTorch: model.qconfig = get_default_qconfig('x86'); prepare(model); model(calibration); convert(model).
// The x86 default observes activations with a histogram (7 bits, reduce_range) and the
// weights per output channel; each Linear's ReLU is fused, as fuse_modules does.
const CALIBRATION = 1000;
const histogram = quantizeStatic(net, trainset, { images: CALIBRATION });
const minmax = quantizeStatic(net, trainset, { images: CALIBRATION, observer: () => new MinMaxObserver({ reduceRange: true }) });
const dynamic = quantizeDynamic(net.clone(), { perChannel: true });

// Quantization-aware training (PyTorch: prepare_qat, train, convert): one more epoch from the
// trained weights with every weight and activation fake-quantized, then converted. 4-bit
// weights and activations too (held in int8 and uint8 lanes at run time).
const qat = (bits: 8 | 4) => {
  const prepared = prepareQat(net, { weightBits: bits, activationBits: bits });
  fit(prepared, trainset, { epochs: 1, batchSize: 64, lr: 0.0005, seed: SEED });
  return convert(prepared);
};
const qat8 = qat(8);
const qat4 = qat(4);

const rows = [
  ['fp32', net],
  ['dynamic int8 (per channel)', dynamic],
  [`static int8, histogram (x86 default), ${CALIBRATION} images`, histogram],
  [`static int8, MinMax, ${CALIBRATION} images`, minmax],
  ['QAT int8, one epoch', qat8],
  ['QAT 4-bit weights and activations, one epoch', qat4],
] as const;
console.table(
  rows.map(([scheme, model]) => ({
    scheme,
    'accuracy %': (evaluate(model, testset) * 100).toFixed(2),
    bytes: modelBytes(model),
    'file bytes': modelToBytes(model).length,
  })),
);
const fc2 = histogram.stages.find((s) => s.name === 'fc2');
if (fc2 && 'output' in fc2) console.log(`fc2's output: scale ${fc2.output.scale.toPrecision(4)}, zero point ${fc2.output.zeroPoint}`);
