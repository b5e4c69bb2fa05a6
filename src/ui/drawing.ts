/**
 * Drawing points with the mouse: while on, a drag sprays points around the cursor (previewed on
 * an overlay) and each finished stroke is handed over as world coordinates.
 */
import { Rng } from '../maths/rng';

export interface DrawingOptions {
  /** The world point under a client position. */
  toWorld(clientX: number, clientY: number): [number, number];
  /** A finished stroke: x, y interleaved, in world units. */
  commit(points: Float32Array): void;
  /** Points per pointer event and their spread in world units. */
  perEvent?: number;
  spread?: number;
}

export class Drawing {
  private readonly overlay: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private stroke: number[] = [];
  private active = false;
  private enabled = false;
  private strokes = 0;
  private rng = new Rng(0);

  constructor(
    private readonly target: HTMLElement,
    private readonly options: DrawingOptions,
  ) {
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'draw-overlay';
    target.parentElement!.appendChild(this.overlay);
    this.ctx = this.overlay.getContext('2d')!;
    target.addEventListener('pointerdown', this.down);
    target.addEventListener('pointermove', this.move);
    window.addEventListener('pointerup', this.up);
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
    this.target.classList.toggle('drawing', on);
    this.overlay.style.display = on ? 'block' : 'none';
  }

  private readonly down = (e: PointerEvent): void => {
    if (!this.enabled || e.button !== 0) return;
    this.active = true;
    this.stroke = [];
    this.rng = new Rng(++this.strokes, 5);
    const rect = this.target.getBoundingClientRect();
    this.overlay.width = rect.width;
    this.overlay.height = rect.height;
    this.spray(e);
  };

  private readonly move = (e: PointerEvent): void => {
    if (this.active) this.spray(e);
  };

  private readonly up = (): void => {
    if (!this.active) return;
    this.active = false;
    this.ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    if (this.stroke.length) this.options.commit(Float32Array.from(this.stroke));
    this.stroke = [];
  };

  private spray(e: PointerEvent): void {
    const [cx, cy] = this.options.toWorld(e.clientX, e.clientY);
    const [ex] = this.options.toWorld(e.clientX + 10, e.clientY);
    const spread = this.options.spread ?? 0.03;
    const rect = this.target.getBoundingClientRect();
    const pixelsPerWorld = 10 / Math.max(1e-9, ex - cx);
    this.ctx.fillStyle = 'rgba(74, 168, 255, 0.8)';
    for (let i = 0; i < (this.options.perEvent ?? 12); i++) {
      const x = cx + spread * this.rng.normal();
      const y = cy + spread * this.rng.normal();
      this.stroke.push(x, y);
      const px = e.clientX - rect.left + (x - cx) * pixelsPerWorld;
      const py = e.clientY - rect.top - (y - cy) * pixelsPerWorld;
      this.ctx.fillRect(px - 1, py - 1, 2, 2);
    }
  }
}
