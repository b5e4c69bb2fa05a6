/**
 * The physics view's three.js objects, drawn straight from the GPU buffers of src/sim/field/energyGrid.ts
 * (adopted, never copied): the landscape as a G x G surface (flat heat map behind the particles
 * in 2D, displaced by the energy in 3D), a quiver plot of the score on a coarser grid, and the
 * trails as fading polylines. ParticleView owns one and calls it; the sandbox does not use it.
 *
 * Everything comes from the grid's stats on the GPU (no readback), by the maps of
 * src/maths/landscapeMaps.ts written here in TSL. Colours: with E = U / T and
 * span = min(E_max - E_min, ENERGY_SPAN), the 'energy' landscape maps (E - E_min) / span to
 * [0, 1] (wells bright), the 'density' one p / p_max = exp(E_min - E) (peaks bright). Heights
 * (3D): the 'density' surface is p / p_max, any other a soft log compression of E - E_min
 * (surfaceLevel), so that wells show whole and nothing is cut flat; in 3D the surface is drawn
 * even with the landscape off, plain, since the particles ride on it. Particles use the same
 * height map on their own energies (`height`). Arrows: centred on their points, length and
 * colour on a log scale of |score| below the grid's greatest, never longer than ARROW_CAP of
 * their spacing. Trails break where a particle jumped further than TRAIL_BREAK of the grid.
 */
import * as THREE from 'three/webgpu';
import {
  abs,
  clamp,
  exp,
  float,
  floor,
  fract,
  fwidth,
  instanceIndex,
  uint,
  log,
  min,
  mix,
  positionGeometry,
  select,
  sign,
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
import { quiverRamp, viridis } from './ramps';
import { makeTrailLines } from './trailLines';
import { BACKGROUND } from './viewport';
import { ARROW_CAP, ARROW_DECADES, ARROW_FLOOR, HEIGHT_SOFTNESS } from '../maths/landscapeMaps';
import type { GridGeometry, StatsLayout } from '../sim/field/energyGrid';

/** Energies (in units of T) the 'energy' colour map spreads over above the minimum. */
export const ENERGY_SPAN = 10;
/** Height of the tallest point of the 3D surface, in world units. */
export const SURFACE_HEIGHT = 1.6;
/** Arrows per side. */
export const ARROWS = 24;
/** The surface's rim, as a fraction of its side, over which it fades into the background. */
const RIM = 0.12;

/** 1 inside the grid, falling to 0 over its rim; u in [0, 1]^2 across the grid. */
const rimFade = (u: Vec2): Node =>
  smoothstep(0, RIM, min(min(u.x, float(1).sub(u.x)), min(u.y, float(1).sub(u.y))));

/** What the landscape shows: nothing, E = U / T, or the density. */
export type LandscapeMode = 'off' | 'energy' | 'density';

/** The buffers of an EnergyGrid and its geometry. */
export interface GridBuffers extends GridGeometry {
  energy: GPUBuffer;
  score: GPUBuffer;
  stats: GPUBuffer;
  statsLayout: StatsLayout;
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

/** The grid's stats as nodes. */
interface Stats {
  energyMin: Node;
  energyMax: Node;
  temperature: Node;
  scoreMax: Node;
}

export class Landscape {
  readonly group = new THREE.Group();
  /** Height of the tallest point: SURFACE_HEIGHT in 3D, 0 in 2D. */
  readonly heightScale = uniform(0);
  /** 0: energy, 1: density. */
  private readonly densityMode = uniform(0);
  /** 1: no landscape chosen (the 3D view's surface then drawn plain, for the particles to sit on). */
  private readonly plain = uniform(0);
  /** The 2D heat map's brightness (dimmer than in 3D, so the particles stand out). */
  private readonly brightness = uniform(0.4);
  private readonly trailHead = uniform(0);
  private readonly trailFilled = uniform(0);
  private grid: GridBuffers | null = null;
  private stats: Stats | null = null;
  private energyAt: ((p: Vec2) => Node) | null = null;
  private scoreAt: ((p: Vec2) => Vec2) | null = null;
  private surface: THREE.Mesh | null = null;
  private arrowLines: THREE.LineSegments | null = null;
  private trailLines: THREE.LineSegments | null = null;
  private trails: TrailBuffers | null = null;
  private mode: LandscapeMode = 'off';
  private view: '2d' | '3d' = '2d';
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
    const layout = grid.statsLayout;
    const stats = this.adopt(grid.stats, layout.words, 1, 'float');
    const stat = (word: number) => stats.element(word) as unknown as Node;
    this.stats = {
      energyMin: stat(layout.energy_min),
      energyMax: stat(layout.energy_max),
      temperature: stat(layout.temperature),
      scoreMax: stat(layout.score_max),
    };
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
    if (!trails?.ring || !trails.particles || trails.length < 2 || !this.grid) return;
    const points = this.adopt(trails.ring, trails.particles * trails.length, 2, 'vec2');
    this.trailLines = makeTrailLines(
      (i) => points.element(i) as unknown as Vec2,
      trails.particles,
      trails.length,
      this.grid,
      {
        head: this.trailHead,
        filled: this.trailFilled,
        heightAt: (p) => this.heightAt(p).add(this.heightScale.mul(0.02)),
      },
    );
    this.group.add(this.trailLines);
    this.apply();
  }

  setOptions(view: '2d' | '3d', mode: LandscapeMode, arrows: boolean, trails: boolean): void {
    this.showTrails = trails;
    this.heightScale.value = view === '3d' ? SURFACE_HEIGHT : 0;
    this.brightness.value = view === '3d' ? 0.9 : 0.4;
    this.densityMode.value = mode === 'density' ? 1 : 0;
    this.plain.value = mode === 'off' ? 1 : 0;
    this.mode = mode;
    this.view = view;
    this.arrows = arrows;
    this.apply();
  }

  /** The colour-map coordinate of energy E = U / T, per the landscape's mode. */
  level(e: Node): Node {
    const s = this.stats!;
    const span = min(s.energyMax.sub(s.energyMin), ENERGY_SPAN).max(1e-6);
    const energyLevel = clamp(e.sub(s.energyMin).div(span), 0, 1);
    const densityLevel = exp(min(s.energyMin.sub(e), 0));
    return select(this.densityMode.greaterThan(0.5), densityLevel, energyLevel);
  }

  /**
   * The 3D height, 0 to 1 over the grid, of energy E = U / T: p / p_max for 'density', else
   * surfaceLevel of src/maths/landscapeMaps.ts (strictly increasing, unclamped).
   */
  surfaceLevel(e: Node): Node {
    const s = this.stats!;
    const x = e.sub(s.energyMin).div(HEIGHT_SOFTNESS);
    const range = log(s.energyMax.sub(s.energyMin).max(1e-6).div(HEIGHT_SOFTNESS).add(1));
    const energyLevel = sign(x)
      .mul(log(abs(x).add(1)))
      .div(range);
    const densityLevel = exp(min(s.energyMin.sub(e), 0));
    return select(this.densityMode.greaterThan(0.5), densityLevel, energyLevel);
  }

  /**
   * The z of a particle of energy U (unscaled by T, as the denoisers write it), in the landscape's
   * units; 0 before a grid is set.
   */
  height(u: Node): Node {
    if (!this.stats) return float(0);
    return this.surfaceLevel(u.div(this.stats.temperature)).mul(this.heightScale);
  }

  /** The landscape's height at a point (the surface's own z there). */
  heightAt(p: Vec2): Node {
    if (!this.energyAt) return float(0);
    return this.surfaceLevel(this.energyAt(p)).mul(this.heightScale);
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
    if (this.surface) this.surface.visible = this.mode !== 'off' || this.view === '3d';
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
    material.positionNode = vec3(xy, this.surfaceLevel(energyAt(xy)).mul(this.heightScale));
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
    // Towards the background where nothing lives (high U, low density), so the plateau merges
    // with the canvas around it and the wells glow.
    const glow = shade;
    const ramp = sRGBTransferEOTF(viridis(shade)) as unknown as Vec3;
    const background = new THREE.Color(BACKGROUND);
    const back = vec3(background.r, background.g, background.b);
    const coloured = mix(back, ramp.mul(this.brightness), glow).mul(float(1).sub(lines));
    // With no landscape chosen (3D only): a slate surface just off the background, wells lighter,
    // contours light, for the particles to sit on without hiding them.
    const slate = back.add(vec3(0.012, 0.014, 0.02).mul(shade.mul(1.6).add(0.3)));
    const base = mix(coloured, slate.add(lines.mul(0.05)).mul(this.brightness), this.plain);
    // The rim fades into the background, so the surface's far edge draws no line across the view.
    const colour = mix(back, base, rimFade(uv()));
    material.colorNode = vec4(colour, 1);
    const mesh = new THREE.Mesh(geometry, material);
    mesh.frustumCulled = false;
    mesh.renderOrder = -1;
    return mesh;
  }

  /**
   * A quiver plot: one arrow per cell of an ARROWS x ARROWS lattice, centred on the cell, along
   * the score there; length and colour on arrowLevel's log scale (src/maths/landscapeMaps.ts).
   * In 3D each vertex lies on the surface.
   */
  private makeArrows(grid: GridBuffers): THREE.LineSegments {
    // One arrow as 3 segments in (along, across) units of its length: shaft, then the two barbs.
    const shape = [-0.5, 0, 0.5, 0, 0.5, 0, 0.2, 0.16, 0.5, 0, 0.2, -0.16];
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
    const top = this.stats!.scoreMax.max(1e-30);
    const decades = log(magnitude.max(1e-30).div(top)).div(Math.LN10 * ARROW_DECADES);
    const t = clamp(decades.add(1), 0, 1);
    const len = t
      .mul(1 - ARROW_FLOOR)
      .add(ARROW_FLOOR)
      .mul(ARROW_CAP * step);
    const dir = s.div(magnitude.max(1e-20));
    const perp = vec2(dir.y.negate(), dir.x);
    const offset = dir.mul(positionGeometry.x).add(perp.mul(positionGeometry.y)).mul(len);
    // A non-finite score (a diverged field) draws nothing rather than a line across the view.
    const finite = magnitude.lessThan(3e38);
    const p = centre.add(select(finite, offset, vec2(0, 0)));
    const material = new THREE.LineBasicNodeMaterial();
    material.positionNode = vec3(p, this.heightAt(p).add(this.heightScale.mul(0.01)));
    // Faded at the rim with the surface.
    const fade = rimFade(vec2(i, j).add(0.5).div(ARROWS));
    material.colorNode = vec4(quiverRamp(varying(t)), varying(fade));
    material.transparent = true;
    material.depthTest = false;
    material.depthWrite = false;
    const lines = new THREE.LineSegments(geometry, material);
    lines.count = ARROWS * ARROWS;
    lines.frustumCulled = false;
    lines.renderOrder = 2;
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
