// The browser example: trains the seed MLP (784-500-250-10, SGD lr 0.01 momentum 0.9, batch 100) on the MNIST
// slice the server sends, draws the loss as it falls, reports test accuracy, then classifies what is drawn.
// ?steps=N changes the number of training steps (default 400). State for tests: window.example.
import * as ts from './tensorscript.js';

const params = new URLSearchParams(location.search);
const STEPS = Number(params.get('steps') ?? 400);
const BATCH = 100;
const status = document.getElementById('status');
const state = { done: false, losses: [], accuracy: undefined, info: undefined, pool: undefined, error: undefined };
window.example = state;

function normalise(pixels) {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i] - 0.1307) / 0.3081;
  return out;
}

function drawLoss(canvas, losses) {
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const max = Math.max(...losses);
  g.strokeStyle = '#1f77b4';
  g.beginPath();
  losses.forEach((l, i) => {
    const x = (i / (STEPS - 1)) * (canvas.width - 10) + 5;
    const y = canvas.height - 5 - (l / max) * (canvas.height - 10);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
  g.fillText(`loss ${losses.at(-1).toFixed(3)} (step ${losses.length}/${STEPS})`, 10, 14);
}

function argmaxRows(t, cols) {
  const d = t.toTypedArray();
  const out = [];
  for (let r = 0; r < d.length / cols; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (d[r * cols + c] > d[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}

async function main() {
  state.info = await ts.init();
  status.textContent = `wasm backend (${state.info.flavor}), ${state.info.threading}; loading MNIST...`;
  const buf = await (await fetch('./mnist.bin')).arrayBuffer();
  const n = new DataView(buf).getUint32(0, true);
  const pixels = normalise(new Float32Array(buf, 4, n * 784));
  const labels = new Uint8Array(buf, 4 + n * 3136, n);
  const nTest = Number(params.get('test') ?? 500);
  const nTrain = n - nTest;

  ts.manualSeed(0);
  const model = new ts.nn.Sequential(
    new ts.nn.Linear(784, 500),
    new ts.nn.ReLU(),
    new ts.nn.Linear(500, 250),
    new ts.nn.ReLU(),
    new ts.nn.Linear(250, 10),
  );
  const opt = new ts.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const lossCanvas = document.getElementById('loss');
  for (let step = 0; step < STEPS; step++) {
    const start = (step * BATCH) % (nTrain - BATCH + 1);
    const loss = ts.scope(() => {
      const x = ts.tensor(pixels.slice(start * 784, (start + BATCH) * 784), { shape: [BATCH, 784] });
      const y = ts.tensor(Int32Array.from(labels.subarray(start, start + BATCH)), { dtype: 'int32' });
      opt.zeroGrad();
      const l = ts.functional.crossEntropy(model.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    });
    state.losses.push(loss);
    if (step % 10 === 9 || step === STEPS - 1) {
      drawLoss(lossCanvas, state.losses);
      await new Promise((r) => setTimeout(r, 0)); // let the page paint the curve
    }
  }

  const predicted = ts.noGrad(() =>
    ts.scope(() => {
      const x = ts.tensor(pixels.slice(nTrain * 784), { shape: [nTest, 784] });
      return argmaxRows(model.forward(x), 10);
    }),
  );
  state.accuracy = predicted.filter((p, i) => p === labels[nTrain + i]).length / nTest;
  state.pool = ts.wasmInfo();
  const shared = state.pool.dispatchedTasks > 0 ? `; ${state.pool.dispatchedTasks} kernel tasks split across workers` : '';
  status.textContent = `trained ${STEPS} steps on ${nTrain} digits: test accuracy ${(100 * state.accuracy).toFixed(1)}% on ${nTest} (${state.info.threading}${shared})`;

  // Classify the drawing: scale the 280x280 canvas to 28x28 and read one channel as the pixel value.
  const draw = document.getElementById('draw');
  const small = document.createElement('canvas');
  small.width = 28;
  small.height = 28;
  state.probabilities = (px) =>
    ts.noGrad(() =>
      ts.scope(() => Array.from(ts.softmax(model.forward(ts.tensor(normalise(px), { shape: [1, 784] })), 1).toTypedArray())),
    );
  state.classify = () => {
    const g = small.getContext('2d');
    g.drawImage(draw, 0, 0, 28, 28);
    const rgba = g.getImageData(0, 0, 28, 28).data;
    const px = new Float32Array(784);
    for (let i = 0; i < 784; i++) px[i] = rgba[4 * i] / 255;
    const probs = state.probabilities(px);
    const digit = probs.indexOf(Math.max(...probs));
    document.getElementById('guess').textContent = `${digit} (p = ${probs[digit].toFixed(2)})`;
    return { digit, probs };
  };
  state.testImage = (i) => pixels.slice((nTrain + i) * 784, (nTrain + i + 1) * 784).map((v) => v * 0.3081 + 0.1307);
  state.testLabel = (i) => labels[nTrain + i];
  document.getElementById('classify').disabled = false;
  document.getElementById('classify').onclick = () => state.classify();
  state.done = true;
}

const draw = document.getElementById('draw');
const pen = draw.getContext('2d');
let down = false;
draw.addEventListener('pointerdown', (e) => { down = true; stroke(e); });
draw.addEventListener('pointerup', () => { down = false; });
draw.addEventListener('pointermove', (e) => { if (down) stroke(e); });
function stroke(e) {
  pen.fillStyle = '#fff';
  pen.beginPath();
  pen.arc(e.offsetX, e.offsetY, 11, 0, 2 * Math.PI);
  pen.fill();
}
document.getElementById('clear').onclick = () => pen.clearRect(0, 0, draw.width, draw.height);

main().catch((e) => {
  state.error = String(e?.stack ?? e);
  status.textContent = `error: ${state.error}`;
});
