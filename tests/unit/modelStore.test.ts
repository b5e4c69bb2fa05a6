/**
 * The model store (src/io/modelStore.ts) where IndexedDB is missing or fails to open: storing
 * reports false and loading finds nothing, never a throw. (Node has no IndexedDB; the store
 * itself runs only in the browser.)
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { forgetModel, loadStoredModel, storeModel } from '../../src/io/modelStore';

afterEach(() => {
  vi.unstubAllGlobals();
});

/** An IDBFactory whose open fires one event: 'blocked' or 'error'. */
function openFiring(event: 'onblocked' | 'onerror') {
  return {
    open() {
      const request: Record<string, (() => void) | null> = { [event]: null };
      setTimeout(() => request[event]?.());
      return request;
    },
  };
}

describe.each([
  ['no IndexedDB', undefined],
  [
    'an open that throws',
    {
      open() {
        throw new DOMException('private mode', 'InvalidStateError');
      },
    },
  ],
  ['a blocked open', openFiring('onblocked')],
  ['an open that fails', openFiring('onerror')],
])('with %s', (_, factory) => {
  test('storeModel resolves false, loadStoredModel null, forgetModel quietly', async () => {
    vi.stubGlobal('indexedDB', factory);
    await expect(storeModel('m', new ArrayBuffer(16))).resolves.toBe(false);
    await expect(loadStoredModel('m')).resolves.toBeNull();
    await expect(forgetModel('m')).resolves.toBeUndefined();
  });
});
