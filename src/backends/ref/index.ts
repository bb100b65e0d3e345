import { registerBackend } from '../../kernels/registry.ts';
import { RefBackend } from './backend.ts';

registerBackend('ref', () => new RefBackend(), 0);

export { RefBackend };
