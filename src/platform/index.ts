import { nodePlatform } from './node.js';
import type { Platform } from './platform.js';

export type { HelperThread, Platform } from './platform.js';

/**
 * The platform the engine runs on. This is the one module of the core that reaches a
 * `node:` module (through ./node.ts); a browser build will put its own platform here.
 */
let current: Platform = nodePlatform;

/** The platform in use. */
export function platform(): Platform {
  return current;
}

/** Puts another platform in place (a browser's; tests use a fake one). Returns the previous one. */
export function setPlatform(next: Platform): Platform {
  const previous = current;
  current = next;
  return previous;
}
