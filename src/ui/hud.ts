/** The one-line heads-up display: t, step / steps, NFE, particles, fps. */
export interface HudState {
  t: number;
  step: number;
  steps: number;
  nfe: number;
  n: number;
  fps: number;
  mode: string;
  /** What n counts: particles, or images in an image dataset. */
  unit?: 'particles' | 'images';
}

/** One line, in parts that wrap as wholes on a narrow screen (no break inside a part). */
export function hudText(s: HudState): string {
  const fmt = (v: number): string => v.toLocaleString('en');
  const parts = [
    s.mode,
    `t ${s.t.toFixed(3)}`,
    `step ${fmt(s.step)} / ${fmt(s.steps)}`,
    `NFE ${fmt(s.nfe)}`,
    `${fmt(s.n)} ${s.unit ?? 'particles'}`,
    `${Math.round(s.fps)} fps`,
  ];
  return parts.map((part) => part.replaceAll(' ', '\u00a0')).join('   ');
}

export class Hud {
  readonly element: HTMLElement;
  private last = '';

  constructor(parent: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'hud';
    this.element.setAttribute('aria-live', 'off');
    parent.appendChild(this.element);
  }

  update(state: HudState): void {
    const text = hudText(state);
    if (text !== this.last) {
      this.element.textContent = text;
      this.last = text;
    }
  }
}
