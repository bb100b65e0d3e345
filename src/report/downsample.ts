/**
 * Curve thinning for charts: a 10,000-sample ROC or PR curve has up to 10,000 points per class, which made
 * pr-curve.svg 2.4 MB and report.html 2.5 MB. Largest-triangle-three-buckets (Steinarsson 2013) keeps the first
 * and last points and, from each bucket between, the point that spans the largest triangle with its neighbours:
 * the corners that give a curve its shape. It picks points of the input in order, so a monotone curve stays
 * monotone (ROC in both axes, PR in recall).
 */
export function downsampleCurve(
  x: readonly number[],
  y: readonly number[],
  maxPoints = 200,
): { x: number[]; y: number[] } {
  const n = Math.min(x.length, y.length);
  if (n <= maxPoints || maxPoints < 3) return { x: x.slice(0, n), y: y.slice(0, n) };
  const ox = [x[0]!];
  const oy = [y[0]!];
  const every = (n - 2) / (maxPoints - 2);
  let a = 0;
  for (let i = 0; i < maxPoints - 2; i++) {
    // the next bucket's mean is the third corner of the triangle
    const nStart = Math.floor((i + 1) * every) + 1;
    const nEnd = Math.min(n, Math.floor((i + 2) * every) + 1);
    let avgX = 0;
    let avgY = 0;
    for (let j = nStart; j < nEnd; j++) {
      avgX += x[j]!;
      avgY += y[j]!;
    }
    const cnt = Math.max(1, nEnd - nStart);
    avgX /= cnt;
    avgY /= cnt;
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((x[a]! - avgX) * (y[j]! - y[a]!) - (x[a]! - x[j]!) * (avgY - y[a]!));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    ox.push(x[best]!);
    oy.push(y[best]!);
    a = best;
  }
  ox.push(x[n - 1]!);
  oy.push(y[n - 1]!);
  return { x: ox, y: oy };
}
