import type { EpochRow } from '../experiments/common.js';
import type { Column } from '../report/table.js';

/** The training log as the notebook prints it: epoch, loss, accuracy (plus speed). */
export const EPOCH_COLUMNS: Column<EpochRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'epoch', value: (r) => r.epoch },
  { header: 'loss', value: (r) => r.loss, digits: 4 },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'seconds', value: (r) => r.seconds, digits: 1 },
  { header: 'images/s', value: (r) => r.imagesPerSecond, digits: 0 },
];
