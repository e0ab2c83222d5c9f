import { Conv2d, Linear } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { QuantizedConv2d, QuantizedLinear } from './int8-layers.js';

/** Which layers `quantizeDynamic` swaps. */
export interface QuantizeOptions {
  /** One scale per output channel instead of one per tensor (default false, PyTorch's default). */
  perChannel?: boolean;
  /** Also quantize Conv2d layers (default true; PyTorch's dynamic mode does only Linear). */
  conv?: boolean;
}

/**
 * Swaps every Linear (and Conv2d) of `model`, at any depth, for its int8 twin, in place,
 * and returns the model, as `torch.quantization.quantize_dynamic(model, {nn.Linear})`.
 * @example quantizeDynamic(copyOfNet, { perChannel: true })
 */
export function quantizeDynamic<M extends Module>(model: M, options: QuantizeOptions = {}): M {
  noGrad(() => {
    for (const [, parent] of model.namedModules()) {
      for (const [name, child] of parent.namedChildren()) {
        const slot = parent as unknown as Record<string, Module>;
        if (child instanceof Linear) slot[name] = QuantizedLinear.fromFloat(child, options);
        else if (child instanceof Conv2d && options.conv !== false) slot[name] = QuantizedConv2d.fromFloat(child, options);
      }
    }
  });
  return model;
}
