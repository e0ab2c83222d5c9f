/**
 * Section 5 of the notebook, dynamic int8 quantization: every Linear of the trained
 * SimpleNet gets int8 weights and computes in int8, as `torch.quantization.quantize_dynamic`.
 *
 *   npx tsx examples/05-quantization.ts            # full MNIST, 5 epochs (about 40 s)
 *   npx tsx examples/05-quantization.ts --quick    # 3,000 training and 1,000 test images, 1 epoch
 *
 * Each notebook cell is quoted (its PyTorch line) above slimtensor's. With the same seed the
 * accuracies equal `slimtensor quantize`'s SimpleNet rows (and `npm start`'s section 5).
 * Two differences from the notebook, on purpose:
 * - the notebook quantizes the `net` its low-rank loop left behind, whose fc3 has rank 1;
 *   slimtensor quantizes the trained full-rank SimpleNet (as `npm start` does, on the net
 *   that sections 2–5 share);
 * - the notebook prints the accuracy only; slimtensor also measures the bytes and the speed.
 */
import { compareLatency, evaluate, fit, modelBytes, modelToBytes, quantizeDynamic, Rng, SimpleNet } from 'slimtensor';
import { loadMnist } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const SEED = 0;
const EPOCHS = quick ? 1 : 5;
const trainset = await loadMnist('train', { limit: quick ? 3000 : undefined });
const testset = await loadMnist('test', { limit: quick ? 1000 : undefined });

// (Section 4's In [33]: net = SimpleNet(); ... trained for 5 epochs.)
const net = new SimpleNet(new Rng(SEED));
fit(net, trainset, {
  epochs: EPOCHS,
  batchSize: 64,
  lr: 0.001,
  seed: SEED,
  evalSet: testset,
  name: 'simple-net',
  onEpoch: (e) => console.log(`Epoch ${e.epoch}, Loss: ${e.loss}, Accuracy: ${(e.accuracy! * 100).toFixed(2)}%`),
});

// In [37]: quantized_model = torch.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
// The same int8 weights and per-tensor scales as PyTorch, and 7-bit activations quantized
// per batch at run time (PyTorch's reduce_range on x86). quantizeDynamic swaps the layers
// in place, so it gets a copy. Per channel (one scale per output row) is an option.
const quantizedModel = quantizeDynamic(net.clone());
const perChannel = quantizeDynamic(net.clone(), { perChannel: true });

// In [39]: evaluate(quantized_model)   -> 97.24%
console.log(`\nint8 accuracy: ${(evaluate(quantizedModel, testset) * 100).toFixed(2)}%`);

// Beyond the notebook: what int8 saves. Bytes count every stored array (int8 weights,
// float scales, float biases); the file is the safetensors file `saveModel` writes. The
// latency is the model alone, beside fp32 in alternating rounds, at batch 1 and 64.
const rows = [
  ['fp32', net],
  ['int8 per tensor', quantizedModel],
  ['int8 per channel', perChannel],
] as const;
console.table(
  rows.map(([scheme, model]) => {
    const b1 = compareLatency(net, model, testset, { batchSize: 1 });
    const b64 = compareLatency(net, model, testset, { batchSize: 64 });
    return {
      scheme,
      'accuracy %': Number((evaluate(model, testset) * 100).toFixed(2)),
      bytes: modelBytes(model),
      'file bytes': modelToBytes(model).byteLength,
      'ms b1': Number((b1.model * 1000).toFixed(3)),
      'vs fp32 b1': Number(b1.speedUp.toFixed(2)),
      'ms b64': Number((b64.model * 1000).toFixed(3)),
      'vs fp32 b64': Number(b64.speedUp.toFixed(2)),
    };
  }),
);
console.log(
  `The int8 weights are ${(modelBytes(net) / modelBytes(quantizedModel)).toFixed(2)}× smaller than fp32 (fp32 against itself shows how ` +
    `much the timing moves).`,
);
