/**
 * What the view frames (src/render/viewport.ts): the 2D camera fits the data's square whole in
 * any aspect, the 3D camera keeps its horizontal field in narrow canvases; and the caption's note
 * (src/settings/runSpec.ts offScreenNote) while a variance-exploding run's noise hides most
 * particles.
 */
import { describe, expect, test } from 'vitest';
import { fitFov, fitFrustum, VIEW_HEIGHT } from '../../src/render/viewport';
import { offScreenNote } from '../../src/settings/runSpec';
import { DEFAULTS, type Settings } from '../../src/settings/settings';
import { levelAt } from '../../src/maths/schedules';

describe('fitFrustum', () => {
  test.each([
    ['a phone, 390 x 844', 390 / 844],
    ['a compare lane', 0.45],
    ['square', 1],
    ['16:9', 16 / 9],
  ])('%s: the square of side VIEW_HEIGHT shows whole, its short side spans the canvas', (_, a) => {
    const f = fitFrustum(a);
    const width = f.right - f.left;
    const height = f.top - f.bottom;
    // Centred, the canvas's own aspect (no stretch).
    expect(f.left).toBeCloseTo(-f.right, 12);
    expect(f.bottom).toBeCloseTo(-f.top, 12);
    expect(width / height).toBeCloseTo(a, 12);
    // Fits: neither side of the box is shorter than the square, and the shorter one equals it.
    expect(Math.min(width, height)).toBeCloseTo(VIEW_HEIGHT, 12);
  });

  test('at 16:9 the box is the old one: height VIEW_HEIGHT (clips frame as before)', () => {
    const f = fitFrustum(16 / 9);
    expect(f.top).toBe(VIEW_HEIGHT / 2);
    expect(f.right).toBeCloseTo(((VIEW_HEIGHT / 2) * 16) / 9, 12);
  });

  test('in a tall canvas it is the width that is VIEW_HEIGHT (the old rule cropped it)', () => {
    const f = fitFrustum(390 / 844);
    expect(f.right - f.left).toBeCloseTo(VIEW_HEIGHT, 12);
    expect(f.top - f.bottom).toBeCloseTo((VIEW_HEIGHT * 844) / 390, 12);
  });
});

describe('fitFov', () => {
  const tanHalf = (deg: number): number => Math.tan((deg * Math.PI) / 360);
  test('unchanged in a canvas at least as wide as tall', () => {
    expect(fitFov(45, 1)).toBe(45);
    expect(fitFov(45, 16 / 9)).toBe(45);
  });

  test.each([0.25, 390 / 844, 0.8])(
    'aspect %f: the horizontal field is that of a square canvas',
    (a) => {
      const fov = fitFov(45, a);
      expect(fov).toBeGreaterThan(45);
      // Horizontal half-field: tan = aspect * tan(vertical half-field).
      expect(a * tanHalf(fov)).toBeCloseTo(tanHalf(45), 12);
    },
  );
});

describe('offScreenNote', () => {
  const half = VIEW_HEIGHT / 2;
  const karras: Settings = { ...DEFAULTS, schedule: 'karras', sigmaMax: 10 };

  test('says so at t = 1 of karras with sigma_max 10, and when they come back', () => {
    const note = offScreenNote(karras, 1, half);
    const match = /^σ 10: most particles off screen until t ≈ (0\.\d\d)$/.exec(note);
    expect(match, note).not.toBeNull();
    const back = Number(match![1]);
    // At that t, half of N(0, sigma^2) in 2D lies in the square: sigma = half / z with
    // (2 Phi(z) - 1)^2 = 1/2, z = Phi^-1((1 + sqrt(1/2)) / 2) = 1.0518 (tables).
    const sigma = levelAt('karras', karras, back).sigma;
    expect(sigma).toBeGreaterThan((half / 1.0518) * 0.9);
    expect(sigma).toBeLessThan((half / 1.0518) * 1.1);
    // Once there, the note is gone.
    expect(offScreenNote(karras, back - 0.01, half)).toBe('');
    expect(offScreenNote(karras, 0, half)).toBe('');
  });

  test('never for a variance-preserving schedule (sigma <= 1) nor a small sigma_max', () => {
    for (const schedule of ['linear', 'cosine', 'sigmoid'] as const)
      expect(offScreenNote({ ...DEFAULTS, schedule }, 1, half)).toBe('');
    expect(offScreenNote({ ...karras, sigmaMax: 1.5 }, 1, half)).toBe('');
  });
});
