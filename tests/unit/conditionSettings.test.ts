/**
 * The class and guidance settings (src/settings/validate.ts conditionProblem): what they accept,
 * the messages for what they refuse (the last good settings kept), their URL round trip, and the
 * run they make (src/settings/runSpec.ts).
 */
import { describe, expect, test } from 'vitest';
import { decodeHash, encodeHash } from '../../src/settings/hash';
import { runSpec } from '../../src/settings/runSpec';
import { DEFAULTS } from '../../src/settings/settings';
import { applyPatch } from '../../src/settings/validate';

const error = (patch: Record<string, unknown>, base = DEFAULTS): string => {
  const r = applyPatch(base, patch);
  return r.ok ? 'accepted' : r.error;
};

describe('class, guidance and guidanceInterval', () => {
  test('a class of the dataset, w and an interval are accepted and make a conditioned run', () => {
    const r = applyPatch(DEFAULTS, { class: 7, guidance: 3, guidanceInterval: '0.2,0.8' });
    expect(r.ok && r.settings.class).toBe(7);
    const spec = runSpec(r.ok ? r.settings : DEFAULTS);
    expect(spec.condition).toEqual({ label: 7, guidance: 3, interval: [0.2, 0.8] });
    expect(runSpec(DEFAULTS).condition).toBeUndefined();
  });

  test('out of range for the dataset: a message naming the classes', () => {
    expect(error({ class: 8 })).toBe(
      'class 8 is out of range for gaussians8: it has 8 classes, 0 to 7 (or -1 for all)',
    );
    expect(error({ dataset: 'moons', class: 2 })).toContain('it has 2 classes, 0 to 1');
    expect(error({ dataset: 'swissroll', class: 0 })).toBe(
      'class must be -1 (all): swissroll has no class labels, not class 0',
    );
    expect(error({ class: -2 })).toContain('class');
    expect(error({ class: 1.5 })).toContain('class');
    expect(error({ class: 2, denoiser: 'gaussian' })).toContain('takes no class');
  });

  test('images: MNIST takes digits 0-9 and shapes its six kinds; colour and your images have none', () => {
    for (const [dataset, classes] of [
      ['mnist', 10],
      ['shapes', 6],
    ] as const) {
      for (const denoiser of ['exact', 'empirical', 'smoothed'] as const)
        expect(error({ dataset, n: 8, denoiser, class: classes - 1 })).toBe('accepted');
      expect(error({ dataset, n: 8, class: classes })).toBe(
        `class ${classes} is out of range for ${dataset}: it has ${classes} classes, 0 to ${classes - 1} (or -1 for all)`,
      );
      expect(error({ dataset, n: 8, denoiser: 'gaussian', class: 0 })).toContain(
        'the gaussian denoiser takes no class',
      );
      expect(error({ dataset, n: 8, denoiser: 'learned', class: 0 })).toContain(
        'the learned U-Net has no class input (labelDropout 1',
      );
      expect(error({ dataset, n: 8, denoiser: 'learned', class: 0, labelDropout: 0.1 })).toBe(
        'accepted',
      );
    }
    for (const dataset of ['colour', 'images'] as const)
      expect(error({ dataset, n: 8, class: 0 })).toBe(
        `class must be -1 (all): ${dataset} has no class labels (of the images, mnist and shapes have), not class 0`,
      );
    const r = applyPatch(DEFAULTS, { dataset: 'mnist', n: 8, class: 7, guidance: 2 });
    expect(r.ok && runSpec(r.settings).condition).toEqual({
      label: 7,
      guidance: 2,
      interval: [0, 1],
    });
  });

  test('the learned 2D network takes a class once labelDropout < 1 makes it class-conditional', () => {
    expect(error({ class: 3, denoiser: 'learned' })).toBe(
      'the learned network has no class input (labelDropout 1: every label dropped): set labelDropout below 1, e.g. 0.1, to train it class-conditional, or pick class -1 (all)',
    );
    const r = applyPatch(DEFAULTS, {
      class: 3,
      guidance: 2,
      denoiser: 'learned',
      labelDropout: 0.2,
    });
    expect(r.ok && runSpec(r.settings).condition).toEqual({
      label: 3,
      guidance: 2,
      interval: [0, 1],
    });
    for (const bad of [-0.1, 1.5, NaN])
      expect(error({ labelDropout: bad })).toContain('labelDropout');
  });

  test("the issue's names: target is modelTarget, in patches and links", () => {
    const r = applyPatch(DEFAULTS, { target: 'velocity', schedule: 'rectified' });
    expect(r.ok && [r.settings.modelTarget, r.changed]).toEqual([
      'velocity',
      ['modelTarget', 'schedule'],
    ]);
    expect(error({ target: 'flow' })).toContain('modelTarget');
    expect(decodeHash('#target=x0&class=2').patch).toEqual({ modelTarget: 'x0', class: 2 });
    expect(error({ targetx: 'v' })).toBe("unknown setting 'targetx'");
  });

  test('a dataset switch drops a class the new data has not, unless the patch names it', () => {
    const on25 = applyPatch(DEFAULTS, { dataset: 'gaussians25', class: 20 });
    if (!on25.ok) throw new Error(on25.error);
    const moons = applyPatch(on25.settings, { dataset: 'moons' });
    expect(moons.ok && moons.settings.class).toBe(-1);
    expect(moons.ok && moons.changed).toContain('class');
    const kept = applyPatch(on25.settings, { dataset: 'gaussians8' });
    expect(kept.ok && kept.settings.class).toBe(-1);
    expect(applyPatch(on25.settings, { dataset: 'rings' }).ok).toBe(true);
  });

  test('guidanceInterval is two numbers 0 <= lo <= hi <= 1', () => {
    for (const bad of ['0.5', '0.8,0.2', '-0.1,0.5', '0,1.5', 'a,b', '0,', ''])
      expect(error({ guidanceInterval: bad })).toContain('guidanceInterval must be');
    expect(error({ guidanceInterval: ' 0.25 , 0.75 ' })).toBe('accepted');
    expect(error({ guidance: 21 })).toContain('guidance');
  });

  test('the URL hash round-trips the three keys', () => {
    const r = applyPatch(DEFAULTS, {
      dataset: 'rings',
      class: 2,
      guidance: 2.5,
      guidanceInterval: '0.1,0.9',
    });
    if (!r.ok) throw new Error(r.error);
    const hash = encodeHash(r.settings);
    expect(hash).toContain('class=2');
    const back = applyPatch(DEFAULTS, decodeHash(hash).patch);
    expect(back.ok && back.settings).toEqual(r.settings);
  });
});
