/**
 * The time derivatives of a schedule (./schedules.ts), float64: alpha'(t), sigma'(t) and
 * sigma sigma' = d(sigma^2 / 2)/dt, for the probability-flow velocity
 * v(x, t) = dx/dt = alpha' x0_hat + sigma' eps_hat (../shared/docs/maths.md section 2; on
 * rectified, alpha' = -1 and sigma' = 1: v = eps_hat - x0_hat, flow matching's target).
 *
 * sigma sigma' is its own field because it stays finite where sigma' does not: VP schedules have
 * sigma ~ sqrt(t) near t = 0, and eps_hat = -sigma score there, so sigma' eps_hat = -sigma sigma'
 * score is finite. Where a schedule has a kink (the log-SNR floor, the custom curve's points) the
 * rate is the one of the piece on the right of t.
 *
 *   const rate = levelRates('cosine', settings);   // set up once (a custom curve is parsed here)
 *   rate(t, out);                                  // fills `out`, allocates nothing
 */
import { evaluateCurve, parseCurve, type CurvePoint } from './logSnrCurve';
import { LAMBDA_MIN, isVarianceExploding, type ScheduleId, type ScheduleParams } from './schedules';

export interface LevelRate {
  alphaDot: number;
  sigmaDot: number;
  /** sigma sigma' = d(sigma^2 / 2)/dt. */
  halfVarianceDot: number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const ALPHA_BAR_MIN = 1 / (1 + Math.exp(-2 * LAMBDA_MIN));

/** The slope of a piecewise-linear curve at t (the right-hand one at a point; 0 outside it). */
function curveSlope(points: readonly CurvePoint[], t: number): number {
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    if (t >= a.t && t < b.t) return (b.lambda - a.lambda) / (b.t - a.t);
  }
  return 0;
}

/** alpha_bar of a VP schedule and its rate, unfloored, into `out` ([alpha_bar, d alpha_bar / dt]). */
type AlphaBarRate = (t: number, out: Float64Array) => void;

function alphaBarRate(id: ScheduleId, p: ScheduleParams): AlphaBarRate {
  switch (id) {
    case 'linear':
      return (t, out) => {
        const ab = Math.exp(-0.5 * t * t * (p.betaMax - p.betaMin) - t * p.betaMin);
        out[0] = ab;
        out[1] = -ab * (t * (p.betaMax - p.betaMin) + p.betaMin);
      };
    case 'cosine': {
      const s = p.cosineS;
      const f0 = Math.cos((s / (1 + s)) * (Math.PI / 2)) ** 2;
      // d/dt cos^2(g) = -sin(2 g) g', g = (t + s) / (1 + s) pi / 2.
      return (t, out) => {
        const g = ((t + s) / (1 + s)) * (Math.PI / 2);
        out[0] = Math.cos(g) ** 2 / f0;
        out[1] = -(Math.sin(2 * g) * (Math.PI / 2)) / (1 + s) / f0;
      };
    }
    case 'sigmoid': {
      const { sigmoidStart: start, sigmoidEnd: end, sigmoidTau: tau } = p;
      const vEnd = sigmoid(end / tau);
      const span = vEnd - sigmoid(start / tau);
      return (t, out) => {
        const v = sigmoid((t * (end - start) + start) / tau);
        out[0] = (vEnd - v) / span;
        out[1] = (-v * (1 - v) * (end - start)) / tau / span;
      };
    }
    case 'custom': {
      // alpha_bar = sigmoid(2 lambda): its rate 2 lambda' alpha_bar (1 - alpha_bar).
      const points = parseCurve(p.customCurve);
      return (t, out) => {
        const ab = sigmoid(2 * evaluateCurve(points, t));
        out[0] = ab;
        out[1] = 2 * curveSlope(points, t) * ab * (1 - ab);
      };
    }
    default:
      throw new Error(`${id} is not a variance-preserving schedule`);
  }
}

function fill(
  out: LevelRate,
  alphaDot: number,
  sigmaDot: number,
  halfVarianceDot: number,
): LevelRate {
  out.alphaDot = alphaDot;
  out.sigmaDot = sigmaDot;
  out.halfVarianceDot = halfVarianceDot;
  return out;
}

/**
 * The rates of schedule `id` as a function of t that fills `out` and allocates nothing (see the
 * file's comment). Throws on an invalid customCurve.
 */
export function levelRates(
  id: ScheduleId,
  p: ScheduleParams,
): (t: number, out: LevelRate) => LevelRate {
  if (id === 'rectified') return (t, out) => fill(out, -1, 1, t);
  if (isVarianceExploding(id)) {
    const { sigmaMin: lo, sigmaMax: hi, rho } = p;
    return (t, out) => {
      if (id === 've') {
        const sigma = lo * (hi / lo) ** t;
        const sigmaDot = sigma * Math.log(hi / lo);
        return fill(out, 0, sigmaDot, sigma * sigmaDot);
      }
      // sigma = (a + (1 - t) (b - a))^rho, a = sigmaMax^(1/rho), b = sigmaMin^(1/rho).
      const a = hi ** (1 / rho);
      const b = lo ** (1 / rho);
      const base = a + (1 - t) * (b - a);
      const sigmaDot = -rho * base ** (rho - 1) * (b - a);
      return fill(out, 0, sigmaDot, base ** rho * sigmaDot);
    };
  }
  const abRate = alphaBarRate(id, p);
  const ab = new Float64Array(2);
  const floor = id !== 'custom' && !p.ztsnr;
  // ztsnr rescales alpha linearly (schedules.ts): alpha_z = (alpha - a1) / (a0 - a1) a0.
  abRate(0, ab);
  const a0 = Math.sqrt(ab[0]!);
  abRate(1, ab);
  const a1 = Math.sqrt(ab[0]!);
  const scale = p.ztsnr ? a0 / (a0 - a1) : 1;
  return (t, out) => {
    abRate(t, ab);
    const plain = Math.sqrt(ab[0]!);
    // alpha = sqrt(alpha_bar): alpha' = alpha_bar' / (2 alpha). Floored, alpha is constant.
    const floored = floor && ab[0]! < ALPHA_BAR_MIN;
    const alphaDot = floored || plain === 0 ? 0 : (scale * ab[1]!) / (2 * plain);
    const alpha = floored ? Math.sqrt(ALPHA_BAR_MIN) : p.ztsnr ? (plain - a1) * scale : plain;
    // sigma^2 = 1 - alpha^2: sigma sigma' = -alpha alpha'.
    const halfVarianceDot = -alpha * alphaDot;
    const sigma = Math.sqrt(Math.max(0, 1 - alpha * alpha));
    return fill(out, alphaDot, halfVarianceDot / sigma, halfVarianceDot);
  };
}

/** The rates of schedule `id` at t (sets the schedule up each call: off the frame path). */
export function levelRateAt(id: ScheduleId, p: ScheduleParams, t: number): LevelRate {
  return levelRates(id, p)(t, { alphaDot: 0, sigmaDot: 0, halfVarianceDot: 0 });
}
