/**
 * Keeps the user's own points across reloads (a URL can name the 'custom' dataset but not hold
 * 100,000 points): localStorage, as base64 of the float32 array, and their class labels, if any,
 * as base64 of the bytes beside their names.
 */
import type { ClassLabels } from '../maths/datasets';

const KEY = 'diffusion-sandbox:custom-points';
const LABELS_KEY = 'diffusion-sandbox:custom-labels';

function toBase64(view: ArrayBufferView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function saveCustomPoints(points: Float32Array, labels: ClassLabels | null = null): boolean {
  try {
    localStorage.setItem(KEY, toBase64(points));
    if (labels) {
      const bytes = labels.labels.subarray(0, points.length / 2);
      localStorage.setItem(
        LABELS_KEY,
        JSON.stringify({ names: labels.names, labels: toBase64(bytes) }),
      );
    } else localStorage.removeItem(LABELS_KEY);
    return true;
  } catch {
    return false;
  }
}

/** The points kept, and their labels when they were kept whole (one per point, each in range). */
export function loadCustomPoints(): { points: Float32Array; labels: ClassLabels | null } | null {
  try {
    const text = localStorage.getItem(KEY);
    if (!text) return null;
    const points = new Float32Array(fromBase64(text).buffer);
    if (points.length < 2 || !points.every(Number.isFinite)) return null;
    return { points, labels: loadLabels(points.length / 2) };
  } catch {
    return null;
  }
}

function loadLabels(count: number): ClassLabels | null {
  try {
    const stored = JSON.parse(localStorage.getItem(LABELS_KEY) ?? 'null') as unknown;
    if (typeof stored !== 'object' || stored === null) return null;
    const { names, labels } = stored as { names?: unknown; labels?: unknown };
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return null;
    if (typeof labels !== 'string') return null;
    const bytes = fromBase64(labels);
    const whole = bytes.length === count && bytes.every((l) => l < names.length);
    return whole ? { labels: bytes, names } : null;
  } catch {
    return null;
  }
}
