/** Reading and writing weights: safetensors files and atomic file writes. */
export type { SafetensorsContents } from './safetensors.ts';
export {
  loadSafetensors,
  parseSafetensors,
  saveSafetensors,
  serializeSafetensors,
  writeFileAtomic,
} from './safetensors.ts';
