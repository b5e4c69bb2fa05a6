/**
 * The trails of a Trails ring (src/sim/field/trails.ts) as fading line segments, read straight
 * from the ring on the GPU: one instance per particle, segment s joining positions s and s + 1 of
 * its trail (0 the oldest, L - 1 the newest). A segment longer than TRAIL_BREAK of the grid's side
 * (src/maths/landscapeMaps.ts trailSegmentDrawn) is a jump, not a path, and is not drawn.
 */
import * as THREE from 'three/webgpu';
import {
  float,
  instanceIndex,
  min,
  mod,
  positionGeometry,
  select,
  uint,
  varying,
  vec3,
  vec4,
} from 'three/tsl';
import { TRAIL_BREAK } from '../maths/landscapeMaps';
import type { GridGeometry } from '../sim/field/energyGrid';

type Node = THREE.Node<'float'>;
type Vec2 = THREE.Node<'vec2'>;

export interface TrailNodes {
  /** The ring's slot of the newest position, and how many positions are recorded (at most L). */
  head: Node;
  filled: Node;
  /** The z of a trail's point. */
  heightAt: (p: Vec2) => Node;
}

/**
 * Line segments for the trails of L positions of each of the ring's `particles` (`point`, the
 * ring's vec2 at an index, particle k's trail at k L ... k L + L - 1), hidden until shown.
 */
export function makeTrailLines(
  point: (index: THREE.Node<'uint'>) => Vec2,
  particles: number,
  L: number,
  grid: GridGeometry,
  nodes: TrailNodes,
): THREE.LineSegments {
  // Each vertex holds its own index (x) and the other end's (y), to see whether it is a jump.
  const positions = new Float32Array(6 * (L - 1));
  for (let s = 0; s < L - 1; s++) positions.set([s, s + 1, 0, s + 1, s, 0], 6 * s);
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
  // Ages past what was recorded fold onto the oldest recorded position (so after a reset, the
  // ring's old contents draw nothing).
  const ageOf = (index: Node) => min(float(L - 1).sub(index), nodes.filled.sub(1));
  const pointAt = (index: Node) => {
    const slot = mod(nodes.head.sub(ageOf(index)).add(L), L);
    return point(instanceIndex.mul(L).add(uint(slot)));
  };
  const own = pointAt(positionGeometry.x);
  const other = pointAt(positionGeometry.y);
  // A jump collapses both ends onto the segment's start, drawn black, which adds nothing.
  const side = grid.spacing * (grid.size - 1);
  const drawn = own
    .sub(other)
    .length()
    .lessThanEqual(TRAIL_BREAK * side);
  const start = select(positionGeometry.x.lessThan(positionGeometry.y), own, other);
  const p = select(drawn, own, start);
  const fade = varying(float(1).sub(ageOf(positionGeometry.x).div(L)));
  const shown = varying(select(drawn, float(1), float(0)));
  const material = new THREE.LineBasicNodeMaterial();
  material.positionNode = vec3(p, nodes.heightAt(p));
  material.colorNode = vec4(vec3(1, 0.75, 0.45).mul(fade.mul(fade).mul(0.5).mul(shown)), 1);
  material.blending = THREE.AdditiveBlending;
  material.transparent = true;
  material.depthTest = false;
  material.depthWrite = false;
  const lines = new THREE.LineSegments(geometry, material);
  lines.count = particles;
  lines.frustumCulled = false;
  lines.renderOrder = 0;
  lines.visible = false;
  return lines;
}
