/**
 * Keeps trained models across reloads in IndexedDB: localStorage holds strings of a few MB, and a
 * 100k-parameter model is already 400 KB of floats (more as base64), bigger ones far more.
 * Storage is a convenience: every failure (no IndexedDB, blocked, quota) reads as "not stored".
 */
const DATABASE = 'diffusion-sandbox';
const STORE = 'models';
const VERSION = 1;

/** Saves the bytes under key; false when they could not be kept. */
export function storeModel(key: string, bytes: ArrayBuffer): Promise<boolean> {
  return withStore('readwrite', (store) => store.put(bytes, key)).then((done) => done !== null);
}

/** The bytes saved under key, or null when there are none or storage is unavailable. */
export async function loadStoredModel(key: string): Promise<ArrayBuffer | null> {
  const result = await withStore('readonly', (store) => store.get(key) as IDBRequest<unknown>);
  return result?.value instanceof ArrayBuffer ? result.value : null;
}

export async function forgetModel(key: string): Promise<void> {
  await withStore('readwrite', (store) => store.delete(key));
}

function openDatabase(): Promise<IDBDatabase | null> {
  return new Promise((resolve) => {
    let request: IDBOpenDBRequest;
    try {
      if (typeof indexedDB === 'undefined') {
        resolve(null);
        return;
      }
      request = indexedDB.open(DATABASE, VERSION);
    } catch {
      // Some private modes throw on open.
      resolve(null);
      return;
    }
    let settled = false;
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the database must not wait on this one.
      db.onversionchange = () => db.close();
      // Opened after a blocked open was given up on: nobody will use it.
      if (settled) {
        db.close();
        return;
      }
      settled = true;
      resolve(db);
    };
    request.onerror = () => {
      settled = true;
      resolve(null);
    };
    request.onblocked = () => {
      settled = true;
      resolve(null);
    };
  });
}

/**
 * Runs one request in its own transaction. Resolves with the request's result once the
 * transaction commits (a quota error surfaces only then, as an abort), or null on any failure.
 */
async function withStore<T>(
  mode: IDBTransactionMode,
  request: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<{ value: T } | null> {
  const db = await openDatabase();
  if (!db) return null;
  return new Promise((resolve) => {
    const finish = (result: { value: T } | null): void => {
      db.close();
      resolve(result);
    };
    try {
      const transaction = db.transaction(STORE, mode);
      const pending = request(transaction.objectStore(STORE));
      transaction.oncomplete = () => finish({ value: pending.result });
      transaction.onabort = () => finish(null);
      transaction.onerror = () => finish(null);
    } catch {
      finish(null);
    }
  });
}
