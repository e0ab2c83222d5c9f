import { Conv2d, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { type Int8Options, QuantizedConv2d, QuantizedLinear } from './int8-layers.js';

/** Which layers `quantizeDynamic` swaps, and how. */
export interface QuantizeOptions extends Int8Options {
  /** Also quantize Conv2d layers (default false: PyTorch's dynamic mode does only Linear; slimtensor computes convolutions in int8 too). */
  conv?: boolean;
}

/**
 * Swaps every Linear (and, with `conv`, every Conv2d) of `model`, at any depth, for its int8
 * twin, in place, and returns the model, as `torch.quantization.quantize_dynamic(model,
 * {nn.Linear}, dtype=torch.qint8)`: the same int8 weights and scales, 7-bit activations.
 * @example quantizeDynamic(copyOfNet, { perChannel: true })
 */
export function quantizeDynamic<M extends Module>(model: M, options: QuantizeOptions = {}): M {
  if (!(model instanceof Module)) throw new Error(`quantizeDynamic: expected a Module, got ${String(model)}`);
  const quantizable = (m: Module): boolean => m instanceof Linear || (m instanceof Conv2d && options.conv === true);
  if (!model.namedModules().some(([, m]) => quantizable(m))) {
    throw new Error(
      `quantizeDynamic: a ${model.constructor.name} has no ${options.conv ? 'Linear or Conv2d' : 'Linear'} layer to quantize`,
    );
  }
  noGrad(() => {
    for (const [, parent] of model.namedModules()) {
      for (const [name, child] of parent.namedChildren()) {
        if (child instanceof Linear) parent.setChild(name, QuantizedLinear.fromFloat(child, options));
        else if (child instanceof Conv2d && options.conv === true) parent.setChild(name, QuantizedConv2d.fromFloat(child, options));
      }
    }
  });
  return model;
}
