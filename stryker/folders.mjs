// The folders whose mutation scores docs/MUTATION.md reports: what `npm run mutate` runs
// with no argument, and the rows of stryker/summary.mjs's table.
export const FOLDERS = ['src/compress', 'src/tensor/kernels', 'src/tensor/ops', 'src/interop', 'src/nn', 'src/data'];
