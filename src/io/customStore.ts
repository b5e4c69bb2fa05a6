/**
 * Keeps the user's own points across reloads (a URL can name the 'custom' dataset but not hold
 * 100,000 points): localStorage, as base64 of the float32 array.
 */
const KEY = 'diffusion-sandbox:custom-points';

export function saveCustomPoints(points: Float32Array): boolean {
  try {
    const bytes = new Uint8Array(points.buffer, points.byteOffset, points.byteLength);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    localStorage.setItem(KEY, btoa(binary));
    return true;
  } catch {
    return false;
  }
}

export function loadCustomPoints(): Float32Array | null {
  try {
    const text = localStorage.getItem(KEY);
    if (!text) return null;
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const points = new Float32Array(bytes.buffer);
    return points.length >= 2 && points.every(Number.isFinite) ? points : null;
  } catch {
    return null;
  }
}
