/**
 * Batches of small images drawn by three.js straight from the GPU buffers the kernels write
 * (adopted as storage attributes, never read back): the batch x as a near-square grid of tiles,
 * optionally beside it the denoiser's x0_hat and each sample's nearest training image (framed
 * when memorised). Following one image shows it large, with its x0_hat (and nearest) beside it
 * and below them its trajectory, oldest to newest, from a Filmstrip ring (src/sim/run/filmstrip.ts).
 *
 * Each panel is one quad whose fragment shader finds its cell from the uv, the image from the
 * cell and the image's pixel by nearest neighbour (crisp at any scale). Layout is in CSS pixels,
 * origin top-left, recomputed on resize / setPanels / follow (never per frame). ParticleView
 * draws `scene` with `camera` while set with setImages.
 *
 * Clicks: `grid.follow(grid.pick(x, y, rect))` does both: on the grid a tile follows its image;
 * while following, the big images keep it and anywhere else (strip, gaps) returns to the grid.
 */
import * as THREE from 'three/webgpu';
import {
  clamp,
  float,
  floor,
  min,
  select,
  sRGBTransferEOTF,
  storage,
  uint,
  uintBitsToFloat,
  uniform,
  uv,
  vec2,
  vec3,
  vec4,
} from 'three/tsl';
import { adoptBuffer } from './adoptBuffer';
import {
  cellAt,
  followLayout,
  gridLayout,
  type ImageLayout,
  type ImageShape,
  type PanelKind,
  type PanelRect,
} from './imageLayout';

export type { ImageLayout, ImageShape, PanelKind, PanelRect } from './imageLayout';

/** A Filmstrip's buffers (src/sim/run/filmstrip.ts): K x d f32 ring, (head, frames) as 2 u32. */
export interface FilmstripBuffers {
  ring: GPUBuffer | null;
  state: GPUBuffer | null;
  length: number;
}

/** The buffers drawn, all read live: n x d f32 batches, m x d f32 data, n x 16-byte nearest. */
export interface ImageBuffers {
  x: GPUBuffer;
  x0hat: GPUBuffer;
  /** Training images; null: no nearest panel. */
  data: GPUBuffer | null;
  /** struct { d1: f32, d2: f32, index: u32, pad: u32 } per batch image (squared distances). */
  nearest: GPUBuffer | null;
  n: number;
  m: number;
  shape: ImageShape;
  filmstrip?: FilmstripBuffers | null;
}

/** The optional grid panels (x is always shown). */
export interface ImagePanels {
  x0hat: boolean;
  nearest: boolean;
}

/** Memorised when d1 / d2 < 1/9 in squared distance (ratio 1/3 in distance). */
export const MEMORISED_RATIO = 1 / 9;
const BACKGROUND = new THREE.Color('#0b0d12');
const MEMORISED = new THREE.Color('#ff5a36');

type F = THREE.Node<'float'>;
type U = THREE.Node<'uint'>;
type B = THREE.Node<'bool'>;
type V3 = THREE.Node<'vec3'>;
/** min on u32 (WGSL has it; three's typings only declare it for floats). */
const umin = min as unknown as (a: U, b: U) => U;

interface Panel {
  kind: PanelKind;
  mesh: THREE.Mesh;
  material: THREE.MeshBasicNodeMaterial;
  grid: THREE.UniformNode<'vec2', THREE.Vector2>;
  gap: THREE.UniformNode<'vec2', THREE.Vector2>;
}

/** What a panel draws: which image (and from which source) in each tile. */
interface PanelSource {
  /** Tiles holding an image (the rest show the background). */
  count: U;
  /** The image of a tile < count, and its source. */
  image: (tile: U) => { pixels: (i: U) => F; index: U };
  /** Frame the tile (in its gap) as memorised. */
  framed?: (tile: U) => B;
}

export class ImageGrid {
  readonly scene = new THREE.Scene();
  readonly camera = new THREE.OrthographicCamera(0, 1, 0, -1, 0, 2);
  /** Where every visible panel lies, for pick and for tests; current after resize. */
  layout: ImageLayout = { width: 1, height: 1, panels: [] };
  private readonly geometry = new THREE.PlaneGeometry(1, 1);
  private readonly followed = uniform(0);
  private panels: Panel[] = [];
  private buffers: ImageBuffers | null = null;
  private show: ImagePanels = { x0hat: false, nearest: false };
  private index: number | null = null;

  constructor(private readonly renderer: THREE.WebGPURenderer) {
    this.scene.background = BACKGROUND;
    this.camera.position.z = 1;
  }

  /** The followed image, or null on the grid. */
  get following(): number | null {
    return this.index;
  }

  /** Draws these buffers; call again when buffers, shape, n or the filmstrip change. */
  setBuffers(buffers: ImageBuffers): void {
    this.disposePanels();
    this.buffers = buffers;
    const { n, m, shape } = buffers;
    if (this.index !== null && this.index >= n) this.index = null;
    if (n <= 0) return this.relayout();
    const d = shape.width * shape.height * shape.channels;
    const floats = (buffer: GPUBuffer, images: number) => {
      const node = this.adopt(buffer, new Float32Array(1), 1, 'float', images * d);
      return (i: U) => node.element(i) as unknown as F;
    };
    const batch = (pixels: (i: U) => F) => (tile: U) => ({ pixels, index: tile });
    const followed = (pixels: (i: U) => F) => () => ({
      pixels,
      index: umin(uint(this.followed), uint(n - 1)),
    });
    const x = floats(buffers.x, n);
    const x0hat = floats(buffers.x0hat, n);
    const all = uint(n);
    this.add('x', { count: all, image: batch(x) });
    this.add('x0hat', { count: all, image: batch(x0hat) });
    this.add('big-x', { count: uint(1), image: followed(x) });
    this.add('big-x0hat', { count: uint(1), image: followed(x0hat) });
    if (buffers.data && buffers.nearest && m > 0) {
      const data = floats(buffers.data, m);
      const nearest = this.adopt(buffers.nearest, new Uint32Array(4), 4, 'uvec4', n);
      const entry = (i: U) => nearest.element(i) as unknown as THREE.Node<'uvec4'>;
      // Before the first measurement the index may be garbage: clamp it into the data.
      const image = (tile: U) => ({ pixels: data, index: umin(entry(tile).z, uint(m - 1)) });
      const framed = (tile: U) => {
        const e = entry(tile);
        const d1 = uintBitsToFloat(e.x) as unknown as F;
        const d2 = uintBitsToFloat(e.y) as unknown as F;
        return d1.lessThan(d2.mul(MEMORISED_RATIO)) as unknown as B;
      };
      this.add('nearest', { count: all, image, framed });
      const one = () => umin(uint(this.followed), uint(n - 1));
      this.add('big-nearest', {
        count: uint(1),
        image: () => image(one()),
        framed: () => framed(one()),
      });
    }
    const strip = buffers.filmstrip;
    if (strip?.ring && strip.state && strip.length > 0) {
      const K = strip.length;
      const ring = floats(strip.ring, K);
      const state = this.adopt(strip.state, new Uint32Array(2), 1, 'uint', 2);
      const head = state.element(0) as unknown as U;
      const frames = umin(state.element(1), uint(K));
      // Oldest to newest: tile t shows slot (head + 1 - frames + t) mod K.
      const slot = (tile: U) =>
        head
          .add(uint(K + 1))
          .sub(frames)
          .add(tile)
          .mod(uint(K)) as U;
      this.add('strip', { count: frames, image: (tile) => ({ pixels: ring, index: slot(tile) }) });
    }
    this.relayout();
  }

  /** Which optional panels the grid shows beside x. */
  setPanels(panels: ImagePanels): void {
    this.show = { ...panels };
    this.relayout();
  }

  /** Follows image `index` large, with its filmstrip; null: back to the grid. */
  follow(index: number | null): void {
    const n = this.buffers?.n ?? 0;
    this.index = index !== null && index >= 0 && index < n ? Math.floor(index) : null;
    this.followed.value = this.index ?? 0;
    this.relayout();
  }

  /**
   * The image under a client point (rect: the canvas's client rect): on the grid, the tile's
   * image in any panel; while following, the followed image on the big views, else null.
   */
  pick(clientX: number, clientY: number, rect: DOMRectReadOnly): number | null {
    const x = ((clientX - rect.left) * this.layout.width) / rect.width;
    const y = ((clientY - rect.top) * this.layout.height) / rect.height;
    const hit = cellAt(this.layout, x, y);
    if (!hit) return null;
    if (this.index !== null) return hit.panel.kind === 'strip' ? null : this.index;
    return hit.tile < (this.buffers?.n ?? 0) ? hit.tile : null;
  }

  /** Lays the panels out for a canvas of width x height CSS pixels. */
  resize(width: number, height: number): void {
    this.layout = { ...this.layout, width: Math.max(1, width), height: Math.max(1, height) };
    this.camera.right = this.layout.width;
    this.camera.bottom = -this.layout.height;
    this.camera.updateProjectionMatrix();
    this.relayout();
  }

  /** Frees the materials; the adopted buffers stay the caller's (disposing them would not). */
  dispose(): void {
    this.disposePanels();
    this.geometry.dispose();
  }

  private relayout(): void {
    const { width, height } = this.layout;
    const b = this.buffers;
    const has = (kind: PanelKind) => this.panels.some((p) => p.kind === kind);
    let rects: PanelRect[] = [];
    if (b && b.n > 0 && this.index === null) {
      const kinds: PanelKind[] = ['x'];
      if (this.show.x0hat) kinds.push('x0hat');
      if (this.show.nearest && has('nearest')) kinds.push('nearest');
      rects = gridLayout(width, height, b.n, b.shape, kinds);
    } else if (b && b.n > 0) {
      const bigs: PanelKind[] = ['big-x', 'big-x0hat'];
      if (this.show.nearest && has('big-nearest')) bigs.push('big-nearest');
      const K = has('strip') ? (b.filmstrip?.length ?? 0) : 0;
      rects = followLayout(width, height, b.shape, bigs, K);
    }
    this.layout = { width, height, panels: rects };
    for (const panel of this.panels) {
      const r = rects.find((rect) => rect.kind === panel.kind);
      panel.mesh.visible = r !== undefined;
      if (!r) continue;
      const w = r.cols * r.cellWidth;
      const h = r.rows * r.cellHeight;
      panel.mesh.scale.set(w, h, 1);
      panel.mesh.position.set(r.left + w / 2, -(r.top + h / 2), 0);
      panel.grid.value.set(r.cols, r.rows);
      panel.gap.value.set(r.gap / r.cellWidth, r.gap / r.cellHeight);
    }
  }

  private add(kind: PanelKind, source: PanelSource): void {
    const { width, height, channels } = this.buffers!.shape;
    const d = width * height * channels;
    const grid = uniform(new THREE.Vector2(1, 1));
    const gap = uniform(new THREE.Vector2(0, 0));
    // Cell coordinates from the top-left; f: where in its cell, q: where in its image.
    const g = vec2(uv().x, float(1).sub(uv().y)).mul(grid);
    const cell = min(floor(g), grid.sub(1));
    const f = g.sub(cell);
    const q = f.sub(gap.mul(0.5)).div(vec2(1, 1).sub(gap));
    const inside = q.x
      .greaterThanEqual(0)
      .and(q.x.lessThan(1))
      .and(q.y.greaterThanEqual(0))
      .and(q.y.lessThan(1));
    const tile = uint(cell.y).mul(uint(grid.x)).add(uint(cell.x));
    const valid = tile.lessThan(source.count);
    const shown = umin(tile, source.count.sub(1));
    const { pixels, index } = source.image(shown);
    const qc = clamp(q, 0, 1);
    const px = umin(uint(floor(qc.x.mul(width))), uint(width - 1));
    const py = umin(uint(floor(qc.y.mul(height))), uint(height - 1));
    const base = index.mul(d).add(py.mul(width).add(px).mul(channels)) as U;
    // Display p = (v + 1) / 2 in [0, 1], read as sRGB (so the canvas shows exactly p).
    const shade = (c: number) => clamp(pixels(base.add(c)).add(1).mul(0.5), 0, 1);
    const srgb = channels === 1 ? vec3(shade(0)) : vec3(shade(0), shade(1), shade(2));
    const colour = sRGBTransferEOTF(srgb) as unknown as V3;
    const back = vec3(BACKGROUND.r, BACKGROUND.g, BACKGROUND.b);
    const rim = source.framed
      ? select(source.framed(shown), vec3(MEMORISED.r, MEMORISED.g, MEMORISED.b), back)
      : back;
    const material = new THREE.MeshBasicNodeMaterial();
    material.colorNode = vec4(select(valid, select(inside, colour, rim), back), 1);
    material.depthTest = false;
    material.depthWrite = false;
    const mesh = new THREE.Mesh(this.geometry, material);
    mesh.frustumCulled = false;
    mesh.visible = false;
    this.scene.add(mesh);
    this.panels.push({ kind, mesh, material, grid, gap });
  }

  /**
   * A storage node on our buffer. The placeholder array is never uploaded (three only writes an
   * attribute's array when it creates the buffer), so it need not match the buffer's size.
   */
  private adopt<T extends 'float' | 'uint' | 'uvec4'>(
    buffer: GPUBuffer,
    placeholder: Float32Array | Uint32Array,
    itemSize: number,
    type: T,
    count: number,
  ) {
    const attribute = new THREE.StorageBufferAttribute(placeholder, itemSize);
    adoptBuffer(this.renderer, attribute, buffer);
    return storage(attribute, type, count).toReadOnly();
  }

  private disposePanels(): void {
    for (const p of this.panels) {
      this.scene.remove(p.mesh);
      p.material.dispose();
    }
    this.panels = [];
  }
}
