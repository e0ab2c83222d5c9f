/**
 * The notebook's own figures (`shared/notebook-figures.md`), printed beside ours in the
 * report and drawn as a second series in its charts. Reference data, not results.
 */
export const NOTEBOOK = {
  distill: {
    teacherAccuracy: 98.53,
    studentAccuracy: 96.34,
    teacherTimeit: 1.61,
    studentTimeit: 1.09,
    teacherParams: 67786,
    studentParams: 101770,
  },
  prune: {
    baseAccuracy: 97.07,
    sweep: [
      [0, 97.07, 0],
      [0.01, 97.05, 21.3],
      [0.02, 97.03, 42.0],
      [0.03, 96.58, 61.0],
      [0.04, 93.75, 74.6],
      [0.06, 82.2, 86.2],
      [0.07, 79.39, 89.1],
      [0.08, 74.05, 91.3],
      [0.09, 63.63, 93.1],
    ] as [number, number, number][],
    denseMB: 2.16,
    csrMB: 0.84,
  },
  activation: {
    baseAccuracy: 96.63,
    params: 567434,
    sweep: [
      [0, 96.63, 0],
      [0.1, 96.44, 0.62],
      [0.2, 96.37, 0.648],
      [0.3, 96.11, 0.679],
      [0.4, 94.24, 0.709],
      [0.6, 87.49, 0.76],
      [0.7, 86.4, 0.781],
      [0.8, 82.55, 0.813],
      [0.9, 77.36, 0.833],
    ] as [number, number, number][],
  },
  lowRank: {
    baseAccuracy: 97.24,
    sweep: [
      [128, 97.24, 65536],
      [100, 97.24, 48400],
      [90, 97.26, 42660],
      [80, 97.26, 37120],
      [60, 97.26, 26640],
      [20, 97.16, 8080],
      [10, 97.24, 3940],
      [5, 80.23, 1945],
      [2, 34.73, 772],
    ] as [number, number, number][],
  },
  quantize: { accuracy: 97.24 },
} as const;

/** One line per section: what the notebook measured wrongly, and what we measure instead. */
export const CORRECTIONS: Record<string, string> = {
  distill:
    'The notebook timed `evaluate` with its data loader and never trained the student without a teacher; we time the model alone on ' +
    'pre-loaded tensors and train a labels-only student with the same seed, so the table says whether distillation helped.',
  prune:
    'The notebook counted only the CSR values ("0.84 MB") and never ran the pruned net sparse; we count values, column indices and row ' +
    'pointers, and time the net run as CSR against dense.',
  'activation-prune':
    'The notebook timed the data loader, so the smaller net showed no speed-up; we time the model alone and the pruned net is really ' +
    'smaller matrices.',
  'low-rank':
    'The notebook multiplied the factors back into one dense matrix (nothing smaller or faster), counted the r×r diagonal as r² ' +
    'parameters and found the chain cost by exponential recursion; we run two real GEMMs, count r·(m+n), and use the O(n³) DP.',
  quantize:
    'The notebook printed one accuracy, of the network its previous loop left at rank 1, and no size or speed; we quantize the ' +
    'full-rank net and the CNN, compute in int8, and report bytes, latency and per-layer SQNR.',
};
