/**
 * The particle view: three.js on our device, drawing particles and the dataset as additive soft
 * sprites straight from the simulation's storage buffers (no CPU copy). In 2D: pan and zoom, with
 * the landscape as a heat map behind the particles. In 3D: an orbit camera (rotate, zoom, pan)
 * over the landscape as a surface, the particles riding on it at the height of their energy.
 *
 * For the sandbox, besides setParticles / setData / setStyle / resize / render / renderOffscreen:
 *   view.setPhysics({ view, landscape, arrows, trails, trailParticles }); // any time, cheap
 *   view.setGrid(energyGrid);       // once: an EnergyGrid (src/sim/field/energyGrid.ts), read live
 *   view.setEnergy(sim.energy);     // after each setParticles: U per particle (array<f32>)
 *   view.setTrails(trails);         // after each Trails.setup (null: none)
 * Switching 2D / 3D only changes the camera and heights: the run and its buffers are untouched.
 * For image datasets, view.setImages(grid) draws an ImageGrid (src/render/imageGrid.ts) instead.
 */
import * as THREE from 'three/webgpu';
import { uniform } from 'three/tsl';
import type { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { adoptBuffer } from './adoptBuffer';
import { FOV_3D, linkCameras, makeCameras, type Cameras } from './cameras';
import { makeCloud, type Cloud } from './sprites';
import type { ImageGrid } from './imageGrid';
import { Landscape, type GridBuffers, type LandscapeMode, type TrailBuffers } from './landscape';
import { BACKGROUND, fitFov, fitFrustum, VIEW_HEIGHT } from './viewport';

/** The physics view's settings (src/settings/settings.ts). trails = 0: no trails drawn. */
export interface PhysicsView {
  view: '2d' | '3d';
  landscape: LandscapeMode;
  arrows: boolean;
  trails: number;
  trailParticles: number;
}

export interface ViewStyle {
  pointSize: number;
  brightness: number;
  showData: boolean;
}

const PARTICLE_COLOR = new THREE.Color('#ff9a4a');
const DATA_COLOR = new THREE.Color('#4aa8ff');

const floatUniform = (value: number) => uniform(value);

export class ParticleView {
  readonly renderer: THREE.WebGPURenderer;
  readonly camera: THREE.OrthographicCamera;
  readonly camera3d: THREE.PerspectiveCamera;
  private readonly controls2d: OrbitControls;
  private readonly controls3d: OrbitControls;
  private readonly cameras: Cameras;
  /** Undoes shareCamera (null: not shared). */
  private unshare: (() => void) | null = null;
  private readonly scene = new THREE.Scene();
  private readonly landscape: Landscape;
  private physics: PhysicsView = {
    view: '2d',
    landscape: 'off',
    arrows: false,
    trails: 0,
    trailParticles: 0,
  };
  /** Energy per particle (array<f32>, n of them), for their heights in 3D. */
  private energy: { buffer: GPUBuffer; attribute: THREE.StorageInstancedBufferAttribute } | null =
    null;
  private particles: Cloud | null = null;
  private data: Cloud | null = null;
  /** World units per CSS pixel, kept current on zoom and resize. */
  private readonly pixel = floatUniform(0.01);
  private readonly particleSize = floatUniform(3);
  private readonly dataSize = floatUniform(2);
  private readonly particleAlpha = floatUniform(0.5);
  private readonly dataAlpha = floatUniform(0.15);
  private style: ViewStyle = { pointSize: 3, brightness: 1, showData: true };
  /** Off-screen drawing for clips and snapshots: its canvas, canvas target and camera. */
  private clip: { canvas: HTMLCanvasElement; target: THREE.CanvasTarget } | null = null;
  private readonly clipCamera = new THREE.OrthographicCamera(-1, 1, 1, -1, -10, 10);
  private readonly clipCamera3d = new THREE.PerspectiveCamera(FOV_3D, 1, 0.05, 100);
  /** While set, drawn instead of the particles; the controls' state from before it. */
  private images: { grid: ImageGrid; controls: boolean } | null = null;

  private constructor(
    readonly canvas: HTMLCanvasElement,
    renderer: THREE.WebGPURenderer,
  ) {
    this.renderer = renderer;
    this.scene.background = new THREE.Color(BACKGROUND);
    const views = (this.cameras = makeCameras(canvas));
    this.camera = views.camera;
    this.controls2d = views.controls2d;
    this.camera3d = views.camera3d;
    this.controls3d = views.controls3d;
    this.landscape = new Landscape(renderer);
    this.scene.add(this.landscape.group);
  }

  /** The active view's camera controls (the sandbox turns them off while drawing points). */
  get controls(): OrbitControls {
    return this.physics.view === '3d' ? this.controls3d : this.controls2d;
  }

  /** The active view's camera. */
  get activeCamera(): THREE.Camera {
    return this.physics.view === '3d' ? this.camera3d : this.camera;
  }

  /** Sets the physics view: 2D or 3D, landscape, arrows, trails. Cheap; call on any change. */
  setPhysics(physics: Readonly<PhysicsView>): void {
    const before = this.controls;
    this.physics = { ...physics };
    const after = this.controls;
    if (after !== before) {
      after.enabled = before.enabled;
      before.enabled = false;
    }
    this.landscape.setOptions(
      physics.view,
      physics.landscape,
      physics.arrows,
      physics.trails > 0 && physics.trailParticles > 0,
    );
    this.updateUniforms();
  }

  /** Draws the landscape, arrows and heights from an EnergyGrid's buffers (read live). */
  setGrid(grid: GridBuffers): void {
    this.landscape.setGrid(grid);
    this.rebuildClouds();
  }

  /**
   * The particles' energies U (array<f32>, one per particle, as the denoisers write them): their
   * heights in 3D. Call after setParticles. Without it, particles take the landscape's height at
   * their position.
   */
  setEnergy(buffer: GPUBuffer | null): void {
    const n = this.particles?.sprite.count ?? 0;
    if (!buffer || !n) {
      this.energy = null;
    } else {
      const attribute = new THREE.StorageInstancedBufferAttribute(new Float32Array(n), 1);
      adoptBuffer(this.renderer, attribute, buffer);
      this.energy = { buffer, attribute };
    }
    this.rebuildClouds();
  }

  /** Draws the trails of a Trails ring (src/sim/field/trails.ts); null: none. */
  setTrails(trails: TrailBuffers | null): void {
    this.landscape.setTrails(trails);
  }

  /** A view on our device: three must not create its own, or our buffers would not be its. */
  static async create(canvas: HTMLCanvasElement, device: GPUDevice): Promise<ParticleView> {
    const renderer = new THREE.WebGPURenderer({ canvas, device, antialias: false });
    await renderer.init();
    if (!(renderer.backend as { isWebGPUBackend?: boolean }).isWebGPUBackend) {
      throw new Error('three.js fell back to WebGL: the sandbox needs its WebGPU backend');
    }
    const view = new ParticleView(canvas, renderer);
    view.resize();
    return view;
  }

  /** Draws n particles from `buffer` (vec2 per particle, written by the kernels). */
  setParticles(buffer: GPUBuffer, n: number): void {
    // The energies belong to the old particles: setEnergy comes after.
    this.energy = null;
    this.particles = this.cloud(this.particles, buffer, n, 'particles');
  }

  /** Draws the dataset's m stored points from `buffer`, faintly, behind the particles. */
  setData(buffer: GPUBuffer, m: number): void {
    this.data = this.cloud(this.data, buffer, m, 'data');
    this.data.sprite.visible = this.style.showData;
  }

  setStyle(style: ViewStyle): void {
    this.style = { ...style };
    if (this.data) this.data.sprite.visible = style.showData;
    this.updateUniforms();
  }

  /**
   * Draws `grid` (its scene and camera) instead of the particles in render and renderOffscreen,
   * with the pan / zoom controls off; null: back to the particles, controls as they were.
   */
  setImages(grid: ImageGrid | null): void {
    if (grid === this.images?.grid) return;
    const controls = this.images ? this.images.controls : this.controls.enabled;
    this.images = grid ? { grid, controls } : null;
    this.controls.enabled = grid ? false : controls;
    grid?.resize(Math.max(1, this.canvas.clientWidth), Math.max(1, this.canvas.clientHeight));
  }

  /** Fits the canvas's CSS size; call on resize. */
  resize(): void {
    const width = Math.max(1, this.canvas.clientWidth);
    const height = Math.max(1, this.canvas.clientHeight);
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.setSize(width, height, false);
    const aspect = width / height;
    Object.assign(this.camera, fitFrustum(aspect));
    this.camera.updateProjectionMatrix();
    this.camera3d.aspect = aspect;
    this.camera3d.fov = fitFov(FOV_3D, aspect);
    this.camera3d.updateProjectionMatrix();
    this.images?.grid.resize(width, height);
    this.updateUniforms();
  }

  /** Back to the initial framing (the views sharing its camera with it too). */
  resetView(): void {
    this.controls2d.reset();
    this.controls3d.reset();
    this.updateUniforms();
  }

  /** One camera for this view and `other` (compare lanes): pan, zoom, orbit in either move both. */
  shareCamera(other: ParticleView): void {
    this.unshare?.();
    other.unshare?.();
    const unlink = linkCameras(this.cameras, other.cameras);
    this.unshare = other.unshare = () => {
      unlink();
      this.unshare = other.unshare = null;
    };
  }

  /** The world point under a client (CSS pixel) position. */
  toWorld(clientX: number, clientY: number): [number, number] {
    const rect = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
    );
    if (this.physics.view === '3d') {
      // Where the ray under the pointer meets the plane z = 0.
      const ray = new THREE.Raycaster();
      ray.setFromCamera(ndc, this.camera3d);
      const hit = new THREE.Vector3();
      const plane = new THREE.Plane(new THREE.Vector3(0, 0, 1), 0);
      if (ray.ray.intersectPlane(plane, hit)) return [hit.x, hit.y];
    }
    const v = new THREE.Vector3(ndc.x, ndc.y, 0).unproject(this.camera);
    return [v.x, v.y];
  }

  render(): void {
    if (this.images) {
      this.renderer.render(this.images.grid.scene, this.images.grid.camera);
      return;
    }
    this.updateUniforms();
    this.landscape.update();
    this.renderer.render(this.scene, this.activeCamera);
  }

  /**
   * Draws the current view into an off-screen canvas of width x height pixels, whatever the
   * window's size: the same centre, zoom and sprite sizes in world units as on screen, the
   * clip's aspect. The canvas can be read (drawImage, VideoFrame) in the same task.
   */
  renderOffscreen(width: number, height: number): HTMLCanvasElement {
    if (this.clip?.canvas.width !== width || this.clip.canvas.height !== height) {
      this.clip?.target.dispose();
      const canvas = document.createElement('canvas');
      const target = new THREE.CanvasTarget(canvas);
      target.setPixelRatio(1);
      target.setSize(width, height, false);
      this.clip = { canvas, target };
    }
    if (this.images) return this.renderImages(this.images.grid, width, height, this.clip);
    let camera: THREE.Camera;
    if (this.physics.view === '3d') {
      const c = this.clipCamera3d;
      c.up.copy(this.camera3d.up);
      c.position.copy(this.camera3d.position);
      c.quaternion.copy(this.camera3d.quaternion);
      c.aspect = width / height;
      c.updateProjectionMatrix();
      camera = c;
    } else {
      const c = this.clipCamera;
      const half = VIEW_HEIGHT / 2;
      c.top = half;
      c.bottom = -half;
      c.left = (-half * width) / height;
      c.right = (half * width) / height;
      c.position.copy(this.camera.position);
      c.zoom = this.camera.zoom;
      c.updateProjectionMatrix();
      camera = c;
    }
    this.updateUniforms();
    this.landscape.update();
    const live = this.renderer.getCanvasTarget();
    this.renderer.setCanvasTarget(this.clip.target);
    try {
      this.renderer.render(this.scene, camera);
    } finally {
      this.renderer.setCanvasTarget(live);
    }
    return this.clip.canvas;
  }

  /** The image grid laid out for the clip's size, then back to the canvas's. */
  private renderImages(
    grid: ImageGrid,
    width: number,
    height: number,
    clip: { canvas: HTMLCanvasElement; target: THREE.CanvasTarget },
  ): HTMLCanvasElement {
    const live = this.renderer.getCanvasTarget();
    grid.resize(width, height);
    this.renderer.setCanvasTarget(clip.target);
    try {
      this.renderer.render(grid.scene, grid.camera);
    } finally {
      this.renderer.setCanvasTarget(live);
      grid.resize(Math.max(1, this.canvas.clientWidth), Math.max(1, this.canvas.clientHeight));
    }
    return clip.canvas;
  }

  dispose(): void {
    this.unshare?.();
    this.clip?.target.dispose();
    for (const cloud of [this.particles, this.data]) if (cloud) this.remove(cloud);
    this.landscape.dispose();
    this.controls2d.dispose();
    this.controls3d.dispose();
    void this.renderer.dispose();
  }

  private updateUniforms(): void {
    const height = Math.max(1, this.canvas.clientHeight);
    if (this.physics.view === '3d') {
      // World units per pixel at the orbit target's distance.
      const distance = this.camera3d.position.distanceTo(this.controls3d.target);
      const fov = THREE.MathUtils.degToRad(this.camera3d.fov);
      this.pixel.value = (2 * distance * Math.tan(fov / 2)) / height;
    } else {
      this.pixel.value = (this.camera.top - this.camera.bottom) / (this.camera.zoom * height);
    }
    this.particleSize.value = this.style.pointSize;
    this.dataSize.value = Math.max(1, this.style.pointSize * 0.6);
    // Additive light per particle falls as the cloud grows, so a million points do not saturate.
    const n = this.particles?.sprite.count ?? 1;
    this.particleAlpha.value = Math.min(1, this.style.brightness * 0.9 * Math.sqrt(4000 / n));
    const m = this.data?.sprite.count ?? 1;
    this.dataAlpha.value = Math.min(1, 0.35 * Math.sqrt(2000 / m));
  }

  /** A new cloud of the particles (drawn on top, at their energies' heights) or the data. */
  private cloud(
    old: Cloud | null,
    buffer: GPUBuffer,
    count: number,
    what: 'particles' | 'data',
  ): Cloud {
    if (old) this.remove(old);
    const particles = what === 'particles';
    const cloud = makeCloud(this.renderer, this.landscape, buffer, count, {
      color: particles ? PARTICLE_COLOR : DATA_COLOR,
      size: (particles ? this.particleSize : this.dataSize).mul(this.pixel),
      alpha: particles ? this.particleAlpha : this.dataAlpha,
      order: particles ? 1 : 0,
      energy: particles ? (this.energy?.attribute ?? null) : null,
    });
    this.scene.add(cloud.sprite);
    this.updateUniforms();
    return cloud;
  }

  /** Remakes the clouds' materials after their heights' sources changed. */
  private rebuildClouds(): void {
    const p = this.particles;
    const d = this.data;
    if (p) this.particles = this.cloud(p, p.buffer, p.sprite.count, 'particles');
    if (d) {
      this.data = this.cloud(d, d.buffer, d.sprite.count, 'data');
      this.data.sprite.visible = this.style.showData;
    }
  }

  private remove(cloud: Cloud): void {
    this.scene.remove(cloud.sprite);
    cloud.material.dispose();
    cloud.sprite.geometry.dispose();
  }
}
