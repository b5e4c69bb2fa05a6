/**
 * The image grid's layout (src/render/imageLayout.ts) from the space it has: at the canvas sizes
 * the page's layouts give, its panels and their labels stay clear of each other and of the HUD
 * and caption, inside the canvas, and in the arrangement with the largest images.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  followLayout,
  gridLayout,
  hudRoom,
  LABEL_ROOM,
  type PanelKind,
  type PanelRect,
} from '../../src/render/imageLayout';
import { PHONE_WIDTH, WIDE_WIDTH } from '../../src/render/viewport';

const MNIST = { width: 28, height: 28, channels: 1 } as const;
/** Canvas sizes: a phone's whole screen, the medium and wide layouts' views, compare lanes. */
const CANVASES: [number, number][] = [
  [390, 844],
  [479, 600],
  [239, 600],
  [669, 800],
  [829, 900],
  [414, 900],
  [1949, 1440],
  [974, 1440],
];
const KINDS: PanelKind[][] = [['x'], ['x', 'x0hat'], ['x', 'x0hat', 'nearest']];

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}
const box = (r: PanelRect): Box => ({
  left: r.left,
  top: r.top,
  right: r.left + r.cols * r.cellWidth,
  bottom: r.top + r.rows * r.cellHeight,
});
/** The panel with its label's room above it. */
const labelled = (r: PanelRect): Box => ({ ...box(r), top: r.top - LABEL_ROOM });
const overlap = (a: Box, b: Box): boolean =>
  a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

function checkClear(rects: PanelRect[], width: number, height: number): void {
  for (const r of rects) {
    const b = labelled(r);
    expect(b.left, r.kind).toBeGreaterThanOrEqual(0);
    expect(b.right, r.kind).toBeLessThanOrEqual(width);
    // The label sits below the HUD's lines; the panel ends above the lane's caption.
    expect(b.top, r.kind).toBeGreaterThanOrEqual(hudRoom(width));
    expect(b.bottom, r.kind).toBeLessThanOrEqual(height - 30);
  }
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      expect(overlap(labelled(rects[i]!), labelled(rects[j]!)), `${i} ${j}`).toBe(false);
    }
  }
}

describe('image grids', () => {
  for (const [width, height] of CANVASES) {
    for (const kinds of KINDS) {
      test(`${kinds.length} panels of 64 in ${width}x${height}: clear, and the largest images`, () => {
        const rects = gridLayout(width, height, 64, MNIST, kinds);
        checkClear(rects, width, height);
        // No arrangement (panels per row) gives images a whole pixel larger and still fits.
        const cell = rects[0]!.cellWidth;
        const room = { w: width - 16, h: height - hudRoom(width) - LABEL_ROOM - 34 };
        for (let across = 1; across <= kinds.length; across++) {
          const down = Math.ceil(kinds.length / across);
          const larger = Math.floor(cell) + 1;
          const w = across * 8 * larger + (across - 1) * 12;
          const h = down * 8 * larger + (down - 1) * (12 + LABEL_ROOM);
          expect(w <= room.w && h <= room.h, `${across} across fits ${larger} px`).toBe(false);
        }
      });
    }
    test(`a followed image and its filmstrip in ${width}x${height}: clear`, () => {
      checkClear(
        followLayout(width, height, MNIST, ['big-x', 'big-x0hat', 'big-nearest'], 12),
        width,
        height,
      );
    });
  }

  test('the HUD gets more lines as the canvas narrows, and the phone leaves room for its button', () => {
    expect(hudRoom(1200)).toBeLessThan(hudRoom(479));
    expect(hudRoom(479)).toBeLessThan(hudRoom(239));
    expect(hudRoom(PHONE_WIDTH - 40)).toBeGreaterThan(hudRoom(PHONE_WIDTH));
  });
});

test("the page's CSS breaks at the layout's widths", () => {
  const css = readFileSync(new URL('../../src/ui/layout.css', import.meta.url), 'utf8');
  const queries = [...css.matchAll(/@media \((min|max)-width: ([\d.]+)px\)/g)].map(
    (m) => [m[1], Number(m[2])] as const,
  );
  expect(queries.length).toBeGreaterThan(0);
  for (const [kind, px] of queries) {
    if (kind === 'min') expect(px).toBe(WIDE_WIDTH);
    else expect([WIDE_WIDTH - 0.02, PHONE_WIDTH - 0.02]).toContain(px);
  }
});
