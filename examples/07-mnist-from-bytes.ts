/**
 * MNIST from the IDX files' bytes, as a page has them (the playground's engine worker
 * fetches them and does exactly this): `decodeIdx` checks each file's header against its
 * length and decodes it, `mnistSplit` checks the images and labels and normalizes as the
 * notebook does, (x/255 − 0.5)/0.5. In Node, `loadMnist` does the same from the files.
 *
 *   npx tsx examples/07-mnist-from-bytes.ts            # the 10,000 test images
 *   npx tsx examples/07-mnist-from-bytes.ts --quick    # the first 1,000
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeIdx, mnistSplit } from 'slimtensor';
import { mnistDataDir } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const bytes = (file: string): Uint8Array => readFileSync(join(mnistDataDir(), file));
const images = decodeIdx(bytes('t10k-images-idx3-ubyte'), 't10k-images-idx3-ubyte');
const labels = decodeIdx(bytes('t10k-labels-idx1-ubyte'), 't10k-labels-idx1-ubyte');
console.log(`images: shape [${images.shape.join(', ')}], labels: shape [${labels.shape.join(', ')}]`);

const test = mnistSplit(images, labels, { limit: quick ? 1000 : undefined });
const counts = Array.from({ length: 10 }, (_, d) => test.labels.filter((y) => y === d).length);
let lo = Infinity;
let hi = -Infinity;
for (const v of test.images) {
  lo = Math.min(lo, v);
  hi = Math.max(hi, v);
}
console.log(`${test.count} images of ${test.rows}×${test.cols}, values in [${lo}, ${hi}]`);
console.log(`images per digit: ${counts.join(' ')}`);
