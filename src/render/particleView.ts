/**
 * The 2D view: three.js on our device, drawing particles and the dataset as additive soft
 * sprites straight from the simulation's storage buffers (no CPU copy), with pan and zoom.
 */
import * as THREE from 'three/webgpu';
import { float, instanceIndex, smoothstep, storage, uniform, uv, vec3, vec4 } from 'three/tsl';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { adoptBuffer } from './adoptBuffer';
import { VIEW_HEIGHT } from './viewport';

export interface ViewStyle {
  pointSize: number;
  brightness: number;
  showData: boolean;
}

const PARTICLE_COLOR = new THREE.Color('#ff9a4a');
const DATA_COLOR = new THREE.Color('#4aa8ff');

const floatUniform = (value: number) => uniform(value);
type FloatUniform = ReturnType<typeof floatUniform>;

interface Cloud {
  sprite: THREE.Sprite;
  attribute: THREE.StorageInstancedBufferAttribute;
  material: THREE.SpriteNodeMaterial;
}

export class ParticleView {
  readonly renderer: THREE.WebGPURenderer;
  readonly camera: THREE.OrthographicCamera;
  readonly controls: OrbitControls;
  private readonly scene = new THREE.Scene();
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

  private constructor(
    readonly canvas: HTMLCanvasElement,
    renderer: THREE.WebGPURenderer,
  ) {
    this.renderer = renderer;
    this.scene.background = new THREE.Color('#0b0d12');
    this.camera = new THREE.OrthographicCamera(-1, 1, 1, -1, -10, 10);
    this.camera.position.set(0, 0, 5);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableRotate = false;
    this.controls.screenSpacePanning = true;
    this.controls.zoomToCursor = true;
    this.controls.minZoom = 0.02;
    this.controls.maxZoom = 200;
    this.controls.mouseButtons = {
      LEFT: THREE.MOUSE.PAN,
      MIDDLE: THREE.MOUSE.DOLLY,
      RIGHT: THREE.MOUSE.PAN,
    };
    this.controls.touches = { ONE: THREE.TOUCH.PAN, TWO: THREE.TOUCH.DOLLY_PAN };
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
    this.particles = this.replace(
      this.particles,
      buffer,
      n,
      PARTICLE_COLOR,
      this.particleSize,
      this.particleAlpha,
      1,
    );
  }

  /** Draws the dataset's m stored points from `buffer`, faintly, behind the particles. */
  setData(buffer: GPUBuffer, m: number): void {
    this.data = this.replace(this.data, buffer, m, DATA_COLOR, this.dataSize, this.dataAlpha, 0);
    this.data.sprite.visible = this.style.showData;
  }

  setStyle(style: ViewStyle): void {
    this.style = { ...style };
    if (this.data) this.data.sprite.visible = style.showData;
    this.updateUniforms();
  }

  /** Fits the canvas's CSS size; call on resize. */
  resize(): void {
    const width = Math.max(1, this.canvas.clientWidth);
    const height = Math.max(1, this.canvas.clientHeight);
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.setSize(width, height, false);
    const aspect = width / height;
    this.camera.left = (-VIEW_HEIGHT * aspect) / 2;
    this.camera.right = (VIEW_HEIGHT * aspect) / 2;
    this.camera.top = VIEW_HEIGHT / 2;
    this.camera.bottom = -VIEW_HEIGHT / 2;
    this.camera.updateProjectionMatrix();
    this.updateUniforms();
  }

  /** Back to the initial framing. */
  resetView(): void {
    this.controls.reset();
    this.updateUniforms();
  }

  /** The world point under a client (CSS pixel) position. */
  toWorld(clientX: number, clientY: number): [number, number] {
    const rect = this.canvas.getBoundingClientRect();
    const v = new THREE.Vector3(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
      0,
    ).unproject(this.camera);
    return [v.x, v.y];
  }

  render(): void {
    this.updateUniforms();
    this.renderer.render(this.scene, this.camera);
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
    const camera = this.clipCamera;
    const half = VIEW_HEIGHT / 2;
    camera.top = half;
    camera.bottom = -half;
    camera.left = (-half * width) / height;
    camera.right = (half * width) / height;
    camera.position.copy(this.camera.position);
    camera.zoom = this.camera.zoom;
    camera.updateProjectionMatrix();
    this.updateUniforms();
    const live = this.renderer.getCanvasTarget();
    this.renderer.setCanvasTarget(this.clip.target);
    try {
      this.renderer.render(this.scene, camera);
    } finally {
      this.renderer.setCanvasTarget(live);
    }
    return this.clip.canvas;
  }

  dispose(): void {
    this.clip?.target.dispose();
    for (const cloud of [this.particles, this.data]) if (cloud) this.remove(cloud);
    this.controls.dispose();
    void this.renderer.dispose();
  }

  private updateUniforms(): void {
    const height = Math.max(1, this.canvas.clientHeight);
    this.pixel.value = (this.camera.top - this.camera.bottom) / (this.camera.zoom * height);
    this.particleSize.value = this.style.pointSize;
    this.dataSize.value = Math.max(1, this.style.pointSize * 0.6);
    // Additive light per particle falls as the cloud grows, so a million points do not saturate.
    const n = this.particles?.sprite.count ?? 1;
    this.particleAlpha.value = Math.min(1, this.style.brightness * 0.9 * Math.sqrt(4000 / n));
    const m = this.data?.sprite.count ?? 1;
    this.dataAlpha.value = Math.min(1, 0.35 * Math.sqrt(2000 / m));
  }

  private replace(
    old: Cloud | null,
    buffer: GPUBuffer,
    count: number,
    color: THREE.Color,
    size: FloatUniform,
    alpha: FloatUniform,
    order: number,
  ): Cloud {
    if (old) this.remove(old);
    const attribute = new THREE.StorageInstancedBufferAttribute(new Float32Array(2 * count), 2);
    adoptBuffer(this.renderer, attribute, buffer);
    const position = storage(attribute, 'vec2', count).toReadOnly().element(instanceIndex);
    const material = new THREE.SpriteNodeMaterial();
    material.positionNode = vec3(position.x, position.y, float(0));
    material.scaleNode = size.mul(this.pixel);
    // A soft disc: full at the centre, fading to zero at the rim.
    const r = uv().sub(0.5).length().mul(2);
    const falloff = smoothstep(float(1), float(0), r);
    material.colorNode = vec4(vec3(color.r, color.g, color.b).mul(falloff.mul(alpha)), 1);
    material.blending = THREE.AdditiveBlending;
    material.transparent = true;
    material.depthWrite = false;
    material.depthTest = false;
    const sprite = new THREE.Sprite(material);
    sprite.count = count;
    sprite.frustumCulled = false;
    sprite.renderOrder = order;
    this.scene.add(sprite);
    this.updateUniforms();
    return { sprite, attribute, material };
  }

  private remove(cloud: Cloud): void {
    this.scene.remove(cloud.sprite);
    cloud.material.dispose();
    cloud.sprite.geometry.dispose();
  }
}
