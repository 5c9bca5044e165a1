/** Softmax of `scores / temperature`, numerically stable. */
export function softmax(scores: ArrayLike<number>, temperature = 1): Float64Array {
  const out = new Float64Array(scores.length);
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i] / temperature);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    out[i] = Math.exp(scores[i] / temperature - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Mean negative log-likelihood of the gold classes under softmax(scores / T). */
export function meanNll(scores: ArrayLike<number>[], gold: ArrayLike<number>, temperature: number): number {
  let total = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    let max = -Infinity;
    for (let c = 0; c < s.length; c++) max = Math.max(max, s[c] / temperature);
    let sum = 0;
    for (let c = 0; c < s.length; c++) sum += Math.exp(s[c] / temperature - max);
    total += -(s[gold[i]] / temperature - max - Math.log(sum));
  }
  return total / Math.max(1, scores.length);
}

/**
 * Temperature scaling (Guo et al. 2017): the single T > 0 that minimises the held-out NLL of
 * softmax(scores / T). NLL is unimodal in log T, so a golden-section search over log T suffices.
 *
 * @example fitTemperature(validationMargins, validationGold).temperature
 */
export function fitTemperature(scores: ArrayLike<number>[], gold: ArrayLike<number>): { temperature: number; nll: number } {
  let lo = Math.log(0.01);
  let hi = Math.log(100);
  const phi = (Math.sqrt(5) - 1) / 2;
  const f = (x: number): number => meanNll(scores, gold, Math.exp(x));
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = f(a);
  let fb = f(b);
  for (let it = 0; it < 60; it++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = f(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = f(b);
    }
  }
  const temperature = Math.exp((lo + hi) / 2);
  return { temperature, nll: meanNll(scores, gold, temperature) };
}
