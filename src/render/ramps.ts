/** Colour ramps for the physics view, as TSL nodes of t in [0, 1]. */
import * as THREE from 'three/webgpu';
import { mix, pow, vec3 } from 'three/tsl';
import { luminance, QUIVER_RAMP } from '../maths/landscapeMaps';

type Node = THREE.Node<'float'>;
type Vec3 = THREE.Node<'vec3'>;

/** Viridis by the polynomial fit of Matt Zucker (public domain), t in [0, 1], in sRGB. */
export function viridis(t: Node): Vec3 {
  const c = [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
  ] as const;
  let acc: Vec3 = vec3(...c[6]);
  for (let i = 5; i >= 0; i--) acc = vec3(...c[i]!).add(acc.mul(t));
  return acc;
}

const unit = (c: readonly [number, number, number]) => vec3(...c).div(luminance(c));

/**
 * The quiver's ramp, in linear light, as quiverColour (src/maths/landscapeMaps.ts): lightness L*
 * rising evenly from a steel blue (t = 0) to a warm white (t = 1), so equal steps of t look
 * equally far apart and the arrows stand out from the dim viridis heat map.
 */
export function quiverRamp(t: Node): Vec3 {
  const [l0, l1] = QUIVER_RAMP.lightness;
  const y = pow(
    t
      .mul(l1 - l0)
      .add(l0 + 16)
      .div(116),
    3,
  );
  return mix(unit(QUIVER_RAMP.cool), unit(QUIVER_RAMP.warm), t).mul(y);
}
