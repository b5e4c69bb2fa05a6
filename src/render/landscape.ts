/**
 * The physics view's three.js objects, drawn straight from the GPU buffers of src/sim/field/energyGrid.ts
 * (adopted, never copied): the landscape as a G x G surface (flat heat map behind the particles
 * in 2D, displaced by the energy in 3D), arrows of the score on a coarser grid, and the trails as
 * fading polylines. ParticleView owns one and calls it; the sandbox does not use it directly.
 *
 * Heights and colours come from the grid's stats on the GPU (no readback): with E = U / T and
 * span = min(E_max - E_min, ENERGY_SPAN), the 'energy' landscape maps (E - E_min) / span to
 * [0, 1] (wells low and bright), the 'density' one p / p_max = exp(E_min - E) (peaks high and
 * bright). Particles use the same map on their own energies (`height`).
 */
import * as THREE from 'three/webgpu';
import {
  clamp,
  exp,
  float,
  floor,
  fract,
  fwidth,
  instanceIndex,
  uint,
  log,
  max,
  min,
  mix,
  mod,
  positionGeometry,
  select,
  smoothstep,
  sRGBTransferEOTF,
  storage,
  uniform,
  uv,
  varying,
  vec2,
  vec3,
  vec4,
} from 'three/tsl';
import { adoptBuffer } from './adoptBuffer';
import type { GridGeometry } from '../sim/field/energyGrid';

/** Energies (in units of T) the 'energy' colour map and heights spread over above the minimum. */
export const ENERGY_SPAN = 10;
/** Height of the tallest point of the 3D surface, in world units. */
export const SURFACE_HEIGHT = 1.6;
/** Arrows per side. */
export const ARROWS = 24;

/** What the landscape shows: nothing, E = U / T, or the density. */
export type LandscapeMode = 'off' | 'energy' | 'density';

/** The buffers of an EnergyGrid and its geometry. */
export interface GridBuffers extends GridGeometry {
  energy: GPUBuffer;
  score: GPUBuffer;
  stats: GPUBuffer;
}

/** The buffers of a Trails ring: K trails of L positions, and which are current. */
export interface TrailBuffers {
  ring: GPUBuffer | null;
  particles: number;
  length: number;
  readonly head: number;
  readonly filled: number;
}

type Node = THREE.Node<'float'>;
type Vec2 = THREE.Node<'vec2'>;
type Vec3 = THREE.Node<'vec3'>;
type Vec4 = THREE.Node<'vec4'>;

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

export class Landscape {
  readonly group = new THREE.Group();
  /** Height of the tallest point: SURFACE_HEIGHT in 3D, 0 in 2D. */
  readonly heightScale = uniform(0);
  /** 0: energy, 1: density. */
  private readonly densityMode = uniform(0);
  /** The 2D heat map's brightness (dimmer than in 3D, so the particles stand out). */
  private readonly brightness = uniform(0.4);
  private readonly trailHead = uniform(0);
  private readonly trailFilled = uniform(0);
  private grid: GridBuffers | null = null;
  private stats: Vec4 | null = null;
  private energyAt: ((p: Vec2) => Node) | null = null;
  private scoreAt: ((p: Vec2) => Vec2) | null = null;
  private surface: THREE.Mesh | null = null;
  private arrowLines: THREE.LineSegments | null = null;
  private trailLines: THREE.LineSegments | null = null;
  private trails: TrailBuffers | null = null;
  private mode: LandscapeMode = 'off';
  private arrows = false;
  private showTrails = false;

  constructor(private readonly renderer: THREE.WebGPURenderer) {}

  get ready(): boolean {
    return this.grid !== null;
  }

  /** Draws from a grid's buffers (once per grid: the buffers are read live every frame). */
  setGrid(grid: GridBuffers): void {
    this.disposeGridObjects();
    this.grid = grid;
    const n = grid.size * grid.size;
    const energy = this.adopt(grid.energy, n, 1, 'float');
    const score = this.adopt(grid.score, n, 2, 'vec2');
    this.stats = this.adopt(grid.stats, 1, 4, 'vec4').element(0) as unknown as Vec4;
    const origin = vec2(grid.origin[0], grid.origin[1]);
    const last = grid.size - 1;
    // Bilinear in the grid's cells, clamped at its rim.
    const cell = (p: Vec2) => {
      const f = clamp(p.sub(origin).div(grid.spacing), 0, last);
      const i0 = min(floor(f), last - 1);
      const base = uint(i0.y).mul(grid.size).add(uint(i0.x));
      return { t: f.sub(i0), base };
    };
    this.energyAt = (p) => {
      const { t, base } = cell(p);
      const at = (k: number) => energy.element(base.add(k)) as unknown as Node;
      return mix(mix(at(0), at(1), t.x), mix(at(grid.size), at(grid.size + 1), t.x), t.y);
    };
    this.scoreAt = (p) => {
      const { t, base } = cell(p);
      const at = (k: number) => score.element(base.add(k)) as unknown as Vec2;
      return mix(mix(at(0), at(1), t.x), mix(at(grid.size), at(grid.size + 1), t.x), t.y);
    };
    this.surface = this.makeSurface(grid);
    this.arrowLines = this.makeArrows(grid);
    this.group.add(this.surface, this.arrowLines);
    if (this.trails) this.setTrails(this.trails);
    this.apply();
  }

  /** Draws these trails (null: none). Call again after Trails.setup. */
  setTrails(trails: TrailBuffers | null): void {
    this.disposeObject(this.trailLines);
    this.trailLines = null;
    this.trails = trails;
    if (!trails?.ring || !trails.particles || trails.length < 2 || !this.energyAt) return;
    this.trailLines = this.makeTrails(trails, trails.ring);
    this.group.add(this.trailLines);
    this.apply();
  }

  setOptions(view: '2d' | '3d', mode: LandscapeMode, arrows: boolean, trails: boolean): void {
    this.showTrails = trails;
    this.heightScale.value = view === '3d' ? SURFACE_HEIGHT : 0;
    this.brightness.value = view === '3d' ? 0.9 : 0.4;
    this.densityMode.value = mode === 'density' ? 1 : 0;
    this.mode = mode;
    this.arrows = arrows;
    this.apply();
  }

  /** The height (and colour-map coordinate) of energy E = U / T, per the landscape's mode. */
  level(e: Node): Node {
    const s = this.stats!;
    const span = min(s.y.sub(s.x), ENERGY_SPAN).max(1e-6);
    const energyLevel = clamp(e.sub(s.x).div(span), 0, 1);
    const densityLevel = exp(min(s.x.sub(e), 0));
    return select(this.densityMode.greaterThan(0.5), densityLevel, energyLevel);
  }

  /**
   * The z of a particle of energy U (unscaled by T, as the denoisers write it), in the landscape's
   * units; 0 before a grid is set.
   */
  height(u: Node): Node {
    if (!this.stats) return float(0);
    return this.level(u.div(this.stats.w)).mul(this.heightScale);
  }

  /** The landscape's height at a point (the surface's own z there). */
  heightAt(p: Vec2): Node {
    if (!this.energyAt) return float(0);
    return this.level(this.energyAt(p)).mul(this.heightScale);
  }

  /** Per frame: which ring slots are current. Allocates nothing. */
  update(): void {
    if (!this.trails || !this.trailLines) return;
    this.trailHead.value = this.trails.head;
    this.trailFilled.value = this.trails.filled;
    this.trailLines.visible = this.showTrails && this.trails.filled > 1;
  }

  dispose(): void {
    this.disposeGridObjects();
    this.disposeObject(this.trailLines);
    this.trailLines = null;
  }

  private apply(): void {
    if (this.surface) this.surface.visible = this.mode !== 'off';
    if (this.arrowLines) this.arrowLines.visible = this.arrows;
  }

  private adopt(
    buffer: GPUBuffer,
    count: number,
    itemSize: number,
    type: 'float' | 'vec2' | 'vec4',
  ) {
    const attribute = new THREE.StorageBufferAttribute(
      new Float32Array(count * itemSize),
      itemSize,
    );
    adoptBuffer(this.renderer, attribute, buffer);
    return storage(attribute, type, count).toReadOnly();
  }

  private makeSurface(grid: GridBuffers): THREE.Mesh {
    const width = grid.spacing * (grid.size - 1);
    const geometry = new THREE.PlaneGeometry(width, width, grid.size - 1, grid.size - 1);
    geometry.translate(grid.origin[0] + width / 2, grid.origin[1] + width / 2, 0);
    const material = new THREE.MeshBasicNodeMaterial({ side: THREE.DoubleSide });
    const energyAt = this.energyAt!;
    const xy = positionGeometry.xy;
    material.positionNode = vec3(xy, this.level(energyAt(xy)).mul(this.heightScale));
    // Per fragment, from the uv (the vertex's own xy interpolated).
    const p = vec2(grid.origin[0], grid.origin[1]).add(uv().mul(width));
    const e = energyAt(p);
    const t = this.level(e);
    const shade = select(this.densityMode.greaterThan(0.5), t, float(1).sub(t));
    // Contours at whole units of E: each a factor e in density from the next.
    const d = fract(e);
    const contour = smoothstep(fwidth(e).mul(1.5), float(0), min(d, float(1).sub(d)));
    const inRange = t.greaterThan(0.001).and(t.lessThan(0.999));
    const lines = select(inRange, contour.mul(0.3), float(0));
    // Dark where nothing lives (high U, low density), so the plateau recedes and the wells glow.
    const glow = float(0.1).add(shade.mul(0.9));
    const colour = (sRGBTransferEOTF(viridis(shade)) as unknown as Vec3).mul(
      float(1).sub(lines).mul(glow),
    );
    material.colorNode = vec4(colour.mul(this.brightness), 1);
    const mesh = new THREE.Mesh(geometry, material);
    mesh.frustumCulled = false;
    mesh.renderOrder = -1;
    return mesh;
  }

  private makeArrows(grid: GridBuffers): THREE.LineSegments {
    // One arrow as 3 segments in (along, across) units: shaft, then the two barbs.
    const shape = [0, 0, 1, 0, 1, 0, 0.7, 0.22, 1, 0, 0.7, -0.22];
    const positions = new Float32Array(18);
    for (let v = 0; v < 6; v++) positions.set([shape[2 * v]!, shape[2 * v + 1]!, 0], 3 * v);
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
    const width = grid.spacing * (grid.size - 1);
    const step = width / ARROWS;
    const i = instanceIndex.mod(ARROWS).toFloat();
    const j = instanceIndex.div(ARROWS).toFloat();
    const centre = vec2(grid.origin[0], grid.origin[1]).add(vec2(i, j).add(0.5).mul(step));
    const s = this.scoreAt!(centre);
    const magnitude = s.length();
    // Log-scaled: the score spans decades between the wells and the rim.
    const len = min(log(magnitude.add(1)).mul(0.25 * step), 0.95 * step);
    const dir = s.div(max(magnitude, 1e-20));
    const perp = vec2(dir.y.negate(), dir.x);
    const along = positionGeometry.x.mul(len);
    const across = positionGeometry.y.mul(len);
    const z = this.level(this.energyAt!(centre)).mul(this.heightScale).add(0.01);
    const material = new THREE.LineBasicNodeMaterial();
    material.positionNode = vec3(centre.add(dir.mul(along)).add(perp.mul(across)), z);
    material.colorNode = vec4(0.75, 0.82, 1, 0.55);
    material.transparent = true;
    material.depthTest = false;
    material.depthWrite = false;
    const lines = new THREE.LineSegments(geometry, material);
    lines.count = ARROWS * ARROWS;
    lines.frustumCulled = false;
    lines.renderOrder = 2;
    return lines;
  }

  private makeTrails(trails: TrailBuffers, ring: GPUBuffer): THREE.LineSegments {
    const L = trails.length;
    // Segment s joins positions s and s + 1 of a trail, 0 the oldest, L - 1 the newest.
    const positions = new Float32Array(6 * (L - 1));
    for (let s = 0; s < L - 1; s++) {
      positions[6 * s] = s;
      positions[6 * s + 3] = s + 1;
    }
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
    const points = this.adopt(ring, trails.particles * L, 2, 'vec2');
    // Ages past what was recorded fold onto the oldest recorded position.
    const age = min(float(L - 1).sub(positionGeometry.x), this.trailFilled.sub(1));
    const slot = mod(this.trailHead.sub(age).add(L), L);
    const p = points.element(instanceIndex.mul(L).add(uint(slot))) as unknown as Vec2;
    const z = this.level(this.energyAt!(p)).mul(this.heightScale).add(0.02);
    const fade = varying(float(1).sub(age.div(L)));
    const material = new THREE.LineBasicNodeMaterial();
    material.positionNode = vec3(p, z);
    material.colorNode = vec4(vec3(1, 0.75, 0.45).mul(fade.mul(fade).mul(0.5)), 1);
    material.blending = THREE.AdditiveBlending;
    material.transparent = true;
    material.depthTest = false;
    material.depthWrite = false;
    const lines = new THREE.LineSegments(geometry, material);
    lines.count = trails.particles;
    lines.frustumCulled = false;
    lines.renderOrder = 0;
    lines.visible = false;
    return lines;
  }

  private disposeGridObjects(): void {
    this.disposeObject(this.surface);
    this.disposeObject(this.arrowLines);
    this.surface = this.arrowLines = null;
  }

  private disposeObject(object: THREE.Mesh | THREE.LineSegments | null): void {
    if (!object) return;
    this.group.remove(object);
    object.geometry.dispose();
    (object.material as THREE.Material).dispose();
  }
}
