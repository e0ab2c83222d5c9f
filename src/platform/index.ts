// A bundler for a page swaps ./node.js for ./browser.js (the playground's web/vite.config.ts
// does, with a four-line plugin): each exports its `hostPlatform`.
import { hostPlatform } from './node.js';
import type { Platform } from './platform.js';

export type { HelperThread, Platform } from './platform.js';

/**
 * The platform the engine runs on. This is the one module of the core that reaches a
 * `node:` module (through ./node.ts); a page's build puts ./browser.ts in its place.
 */
let current: Platform = hostPlatform;

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
