// Child process for test/train/checkpoint.test.ts. Modes:
//   fit-kill <dir>     the resumeRun with checkpoints into <dir>, SIGKILLed when epoch 3 (index 2) begins
//   crash-save <dir>   one good checkpoint into <dir>, then SIGKILL in the middle of writing a second one
import * as ts from '../../src/index.ts';
import { Module } from '../../src/nn/index.ts';
import { saveCheckpoint } from '../../src/train/index.ts';
import { KillAt, resumeRun } from './resume-setup.ts';

const [mode, dir] = process.argv.slice(2);
if (mode === 'fit-kill') {
  const { trainer, data, opts } = resumeRun([new KillAt(2)]);
  await trainer.fit(data.x, data.y, { ...opts, checkpointDir: dir });
  process.exit(3); // not reached: the kill comes first
} else if (mode === 'crash-save') {
  class Model extends Module {
    w = new ts.Tensor(ts.ones([4]).storage, [4], [1], 0);
    crash = false;
    override stateDict(): Record<string, ts.Tensor> {
      if (this.crash) process.kill(process.pid, 'SIGKILL');
      return { w: this.w };
    }
    forward(x: ts.Tensor): ts.Tensor {
      return x;
    }
  }
  const m = new Model();
  saveCheckpoint(dir!, {
    model: m,
    trainer: { epoch: 1, rng: {}, history: { epoch: [0], history: {} }, callbacks: [] },
  });
  m.crash = true;
  saveCheckpoint(dir!, {
    model: m,
    trainer: { epoch: 2, rng: {}, history: { epoch: [0, 1], history: {} }, callbacks: [] },
  });
  process.exit(3);
}
