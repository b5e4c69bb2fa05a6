/**
 * Labels over the image grid's panels (x_t, x0_hat, nearest, the followed image and its
 * filmstrip), placed from the grid's own layout in CSS pixels; redrawn only when it changes.
 */
export interface PanelLabel {
  kind: string;
  left: number;
  top: number;
  /** The panel's width (cols x cellWidth): a label no wider, cut with an ellipsis. */
  cols?: number;
  cellWidth?: number;
}

const NAMES: Readonly<Record<string, string>> = {
  x: 'x_t: the batch',
  x0hat: 'x0_hat: where each is heading',
  nearest: 'nearest training image (orange: memorised)',
  'big-x': 'followed image',
  'big-x0hat': 'its x0_hat',
  'big-nearest': 'its nearest training image',
  strip: 'its trajectory, oldest to newest',
};

export class PanelLabels {
  private readonly element: HTMLElement;
  private last = '';

  constructor(parent: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'panel-labels';
    parent.append(this.element);
  }

  /** Shows these labels (none: null or empty). */
  update(labels: readonly PanelLabel[] | null): void {
    const key = JSON.stringify(labels ?? []);
    if (key === this.last) return;
    this.last = key;
    this.element.replaceChildren(
      ...(labels ?? []).map((l) => {
        const span = document.createElement('span');
        span.textContent = NAMES[l.kind] ?? l.kind;
        span.title = span.textContent;
        span.style.left = `${l.left}px`;
        if (l.cols && l.cellWidth) span.style.maxWidth = `${l.cols * l.cellWidth}px`;
        span.style.top = `${Math.max(0, l.top - 15)}px`;
        return span;
      }),
    );
  }
}
