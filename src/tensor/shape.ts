/** A tensor's dimensions, outermost first, e.g. `[batch, channels, height, width]`. */
export type Shape = readonly number[];

/** Number of elements in a tensor of this shape (1 for a scalar `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True when both shapes have the same rank and dimensions. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Formats a shape the way error messages show it: `[64, 784]`. */
export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Throws unless every dimension is a non-negative integer. */
export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmt(shape)}`);
  }
}

/** Resolves a possibly negative axis against a rank, e.g. axis -1 of rank 2 is 1. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}
