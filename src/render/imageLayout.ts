/**
 * Where the image grid's panels lie (src/render/imageGrid.ts), in layout units: CSS pixels of
 * the canvas, origin top-left, y down. Pure: no three, no GPU, so pick and tests share it.
 */
/** Pixels per side and channels: 1 (greyscale) or 3 (interleaved RGB), rows top to bottom. */
export interface ImageShape {
  width: number;
  height: number;
  channels: 1 | 3;
}

export type PanelKind = 'x' | 'x0hat' | 'nearest' | 'big-x' | 'big-x0hat' | 'big-nearest' | 'strip';

/** Where a panel lies, in layout units (CSS pixels, origin top-left): cols x rows cells. */
export interface PanelRect {
  kind: PanelKind;
  left: number;
  top: number;
  cols: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
  /** Pixels between images inside a cell (half on each side). */
  gap: number;
}

export interface ImageLayout {
  width: number;
  height: number;
  panels: PanelRect[];
}

const MARGIN = 8;
const PANEL_GAP = 12;

/** The image area of cell `tile` of a panel (inside its gap), in layout units. */
export function cellRect(
  panel: PanelRect,
  tile: number,
): { left: number; top: number; width: number; height: number } {
  const col = tile % panel.cols;
  const row = Math.floor(tile / panel.cols);
  return {
    left: panel.left + col * panel.cellWidth + panel.gap / 2,
    top: panel.top + row * panel.cellHeight + panel.gap / 2,
    width: panel.cellWidth - panel.gap,
    height: panel.cellHeight - panel.gap,
  };
}

/** A thin gap: a tenth of the cell, 1 to 8 pixels, none when cells are tiny. */
const gapFor = (cell: number) => (cell < 4 ? 0 : Math.min(8, Math.max(1, Math.round(cell / 10))));
/** Whole pixels per cell once they are big enough to matter. */
const snap = (cell: number) => (cell >= 4 ? Math.floor(cell) : Math.max(cell, 0.5));

/** Grid panels side by side or stacked, whichever gives larger tiles, centred. */
export function gridLayout(
  width: number,
  height: number,
  n: number,
  shape: ImageShape,
  kinds: PanelKind[],
): PanelRect[] {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const rows = Math.max(1, Math.ceil(n / cols));
  const aspect = shape.height / shape.width;
  const p = kinds.length;
  const fit = (across: number, down: number) =>
    Math.min(
      (width - 2 * MARGIN - (across - 1) * PANEL_GAP) / (across * cols),
      (height - 2 * MARGIN - (down - 1) * PANEL_GAP) / (down * rows * aspect),
    );
  const wide = fit(p, 1) >= fit(1, p);
  const cellWidth = snap(wide ? fit(p, 1) : fit(1, p));
  const cellHeight = cellWidth * aspect;
  const gap = gapFor(cellWidth);
  const panelWidth = cols * cellWidth;
  const panelHeight = rows * cellHeight;
  const totalWidth = wide ? p * panelWidth + (p - 1) * PANEL_GAP : panelWidth;
  const totalHeight = wide ? panelHeight : p * panelHeight + (p - 1) * PANEL_GAP;
  const left = Math.round((width - totalWidth) / 2);
  const top = Math.round((height - totalHeight) / 2);
  return kinds.map((kind, i) => ({
    kind,
    left: wide ? left + i * (panelWidth + PANEL_GAP) : left,
    top: wide ? top : top + i * (panelHeight + PANEL_GAP),
    cols,
    rows,
    cellWidth,
    cellHeight,
    gap,
  }));
}

/** Big images side by side, below them a strip of K cells as wide as they are, centred. */
export function followLayout(
  width: number,
  height: number,
  shape: ImageShape,
  bigs: PanelKind[],
  K: number,
): PanelRect[] {
  const aspect = shape.height / shape.width;
  const b = bigs.length;
  const strip = K > 0 ? 1 : 0;
  // Width: b B + (b - 1) G; height: a B + strip (G + a (b B + (b - 1) G) / K).
  const byWidth = (width - 2 * MARGIN - (b - 1) * PANEL_GAP) / b;
  const spare = height - 2 * MARGIN - strip * (PANEL_GAP + (aspect * (b - 1) * PANEL_GAP) / K);
  const byHeight = spare / (aspect * (1 + (strip * b) / Math.max(K, 1)));
  const big = snap(Math.min(byWidth, byHeight));
  const totalWidth = b * big + (b - 1) * PANEL_GAP;
  const stripCell = K > 0 ? totalWidth / K : 0;
  const totalHeight = aspect * big + strip * (PANEL_GAP + aspect * stripCell);
  const left = Math.round((width - totalWidth) / 2);
  const top = Math.round((height - totalHeight) / 2);
  const rects: PanelRect[] = bigs.map((kind, i) => ({
    kind,
    left: left + i * (big + PANEL_GAP),
    top,
    cols: 1,
    rows: 1,
    cellWidth: big,
    cellHeight: aspect * big,
    gap: 0,
  }));
  if (K > 0) {
    rects.push({
      kind: 'strip',
      left,
      top: top + aspect * big + PANEL_GAP,
      cols: K,
      rows: 1,
      cellWidth: stripCell,
      cellHeight: aspect * stripCell,
      gap: gapFor(stripCell),
    });
  }
  return rects;
}

/** The panel and cell under a layout point, or null outside every panel. */
export function cellAt(
  layout: ImageLayout,
  x: number,
  y: number,
): { panel: PanelRect; tile: number } | null {
  for (const panel of layout.panels) {
    const col = Math.floor((x - panel.left) / panel.cellWidth);
    const row = Math.floor((y - panel.top) / panel.cellHeight);
    if (col >= 0 && col < panel.cols && row >= 0 && row < panel.rows) {
      return { panel, tile: row * panel.cols + col };
    }
  }
  return null;
}
