/**
 * Where the image grid's panels lie (src/render/imageGrid.ts), in layout units: CSS pixels of
 * the canvas, origin top-left, y down. Pure: no three, no GPU, so pick and tests share it.
 */
import { PHONE_WIDTH } from './viewport';

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
/** Room above each panel for its label (src/ui/panelLabels.ts: 11 px text, 15 px above). */
export const LABEL_ROOM = 16;
/** Room at the bottom for the lane's caption (in compare mode) and the messages. */
const BOTTOM_ROOM = 34;

/**
 * Room at the top for the HUD (src/ui/hud.ts: about 470 px of 12 px text from 10 px down, 12 px
 * from each side, and on a phone clear of the drawer's button): as many lines as it wraps to.
 */
export function hudRoom(width: number): number {
  const usable = width - 24 - (width < PHONE_WIDTH ? 108 : 0);
  const lines = Math.min(4, Math.max(1, Math.ceil(480 / Math.max(usable, 1))));
  return 10 + 17 * lines + 4;
}

/** The area the panels may fill: below the HUD and a label, above the caption. */
function area(width: number, height: number) {
  const top = hudRoom(width) + LABEL_ROOM;
  return {
    left: MARGIN,
    top,
    width: Math.max(1, width - 2 * MARGIN),
    height: Math.max(1, height - top - BOTTOM_ROOM),
  };
}

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

/**
 * Grid panels in the arrangement that gives the largest images: all side by side, stacked, or
 * in rows of fewer (two over one for three panels), centred in the space below the HUD.
 */
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
  const room = area(width, height);
  // Between rows of panels: the gap and the lower row's labels.
  const rowGap = PANEL_GAP + LABEL_ROOM;
  const fit = (across: number, down: number) =>
    Math.min(
      (room.width - (across - 1) * PANEL_GAP) / (across * cols),
      (room.height - (down - 1) * rowGap) / (down * rows * aspect),
    );
  let across = p;
  for (let a = p - 1; a >= 1; a--) {
    if (fit(a, Math.ceil(p / a)) > fit(across, Math.ceil(p / across))) across = a;
  }
  const down = Math.ceil(p / across);
  const cellWidth = snap(fit(across, down));
  const cellHeight = cellWidth * aspect;
  const gap = gapFor(cellWidth);
  const panelWidth = cols * cellWidth;
  const panelHeight = rows * cellHeight;
  const totalWidth = across * panelWidth + (across - 1) * PANEL_GAP;
  const totalHeight = down * panelHeight + (down - 1) * rowGap;
  const left = Math.round(room.left + (room.width - totalWidth) / 2);
  const top = Math.round(room.top + Math.max(0, (room.height - totalHeight) / 2));
  return kinds.map((kind, i) => {
    const row = Math.floor(i / across);
    // A last row with fewer panels is centred under the others.
    const inRow = row === down - 1 ? p - row * across : across;
    const shift = ((across - inRow) * (panelWidth + PANEL_GAP)) / 2;
    return {
      kind,
      left: Math.round(left + shift + (i % across) * (panelWidth + PANEL_GAP)),
      top: Math.round(top + row * (panelHeight + rowGap)),
      cols,
      rows,
      cellWidth,
      cellHeight,
      gap,
    };
  });
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
  const room = area(width, height);
  // Below the big images, the strip's label: the gap between them is G + LABEL_ROOM.
  const stripGap = PANEL_GAP + LABEL_ROOM;
  // Width: b B + (b - 1) G; height: a B + strip (G' + a (b B + (b - 1) G) / K).
  const byWidth = (room.width - (b - 1) * PANEL_GAP) / b;
  const spare = room.height - strip * (stripGap + (aspect * (b - 1) * PANEL_GAP) / K);
  const byHeight = spare / (aspect * (1 + (strip * b) / Math.max(K, 1)));
  const big = snap(Math.min(byWidth, byHeight));
  const totalWidth = b * big + (b - 1) * PANEL_GAP;
  const stripCell = K > 0 ? totalWidth / K : 0;
  const totalHeight = aspect * big + strip * (stripGap + aspect * stripCell);
  const left = Math.round(room.left + (room.width - totalWidth) / 2);
  const top = Math.round(room.top + Math.max(0, (room.height - totalHeight) / 2));
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
      top: top + aspect * big + stripGap,
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
