/**
 * Layer sizes that follow from the data: in a Sequential config, `inFeatures: 'auto'` (Linear),
 * `inChannels: 'auto'` (Conv1d/Conv2d) and `numFeatures: 'auto'` (BatchNorm) take the size of what reaches the
 * layer, found by passing one training row through the layers before it (as torch's LazyLinear infers
 * in_features at the first call), and `outFeatures: 'auto'` takes the target's width (the class count of a
 * softmax classifier, 1 for a single-logit binary or single-target regression). The resolved sizes are in the
 * built model, so its saved config.json holds numbers and loads without the data.
 */
import { noGrad } from '../autograd/node.ts';
import { TensorScriptError } from '../core/errors.ts';
import { defaultGenerator } from '../core/rng.ts';
import { type AnyModule, type ModuleConfig, moduleFromConfig } from '../nn/module.ts';
import { scope } from '../tensor/scope.ts';
import type { Tensor } from '../tensor/tensor.ts';

const AUTO = 'auto';
/** The option of each layer kind that 'auto' fills from the incoming tensor, and the dim it reads. */
const FROM_INPUT: Record<string, (shape: readonly number[]) => number> = {
  inFeatures: (s) => s[s.length - 1]!,
  inChannels: (s) => s[1]!,
  numFeatures: (s) => s[1]!,
};

function hasAuto(node: unknown): boolean {
  if (node === AUTO) return true;
  if (Array.isArray(node)) return node.some(hasAuto);
  if (node !== null && typeof node === 'object') return Object.values(node).some(hasAuto);
  return false;
}

/**
 * Builds the model of a config, filling 'auto' sizes from `x` (the training input) and `outFeatures` (the
 * target's width). Without 'auto' anywhere it is moduleFromConfig. The default generator is left where building
 * the resolved config directly would leave it, so initial weights equal those of the same config with numbers.
 */
export function buildModel(cfg: ModuleConfig, x: Tensor, outFeatures: number): AnyModule {
  if (!hasAuto(cfg)) return moduleFromConfig(cfg);
  const layers = (cfg.config as { layers?: unknown } | undefined)?.layers;
  if (cfg.className !== 'Sequential' || !Array.isArray(layers))
    throw new TensorScriptError(
      'model',
      `"auto" sizes are filled in a Sequential's layers; ${cfg.className} has them elsewhere (give the numbers)`,
    );
  const state = defaultGenerator.getState();
  const resolved: ModuleConfig[] = [];
  try {
    scope(() =>
      noGrad(() => {
        let probe = x.narrow(0, 0, Math.min(2, x.shape[0]!));
        (layers as ModuleConfig[]).forEach((layer, i) => {
          const c = { ...((layer.config ?? {}) as Record<string, unknown>) };
          for (const [key, v] of Object.entries(c)) {
            if (v !== AUTO) continue;
            if (key === 'outFeatures') c[key] = outFeatures;
            else if (FROM_INPUT[key] !== undefined) c[key] = FROM_INPUT[key]!(probe.shape);
            else
              throw new TensorScriptError(
                'model',
                `config.model.config.layers[${i}] (${layer.className}): "${key}: auto" cannot be inferred; auto works for inFeatures, inChannels, numFeatures and outFeatures`,
              );
          }
          const node = (layer.config === undefined ? layer : { ...layer, config: c }) as ModuleConfig;
          resolved.push(node);
          const m = moduleFromConfig(node);
          m.train(false);
          probe = (m as unknown as { call(t: Tensor): Tensor }).call(probe);
        });
      }),
    );
  } catch (e) {
    throw e instanceof TensorScriptError
      ? e
      : new TensorScriptError('model', `inferring "auto" layer sizes: ${(e as Error).message}`);
  } finally {
    defaultGenerator.setState(state);
  }
  return moduleFromConfig({ ...cfg, config: { ...cfg.config, layers: resolved } });
}

/** The config with every 'auto' size replaced by 1: what a validator builds to check the rest. */
export function withPlaceholderSizes(cfg: unknown): unknown {
  if (cfg === AUTO) return 1;
  if (Array.isArray(cfg)) return cfg.map(withPlaceholderSizes);
  if (cfg !== null && typeof cfg === 'object')
    return Object.fromEntries(Object.entries(cfg).map(([k, v]) => [k, withPlaceholderSizes(v)]));
  return cfg;
}

/** What `outFeatures: 'auto'` means for a target tensor: its width, or the class count for class ids. */
export function targetWidth(y: Tensor, nClasses: number): number {
  if (y.ndim > 1) return y.shape[1]!;
  return y.dtype === 'int32' ? nClasses : 1;
}
