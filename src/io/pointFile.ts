/**
 * A user's point file as float32 x, y pairs and their labels, if any: refused by its size before it is read, then read
 * and parsed in a worker (parseWorker.ts), so that the page keeps drawing meanwhile.
 */
import { checkFileSize, type ParsedPoints } from './parsePoints';
import type { ParseAnswer } from './parseWorker';

export async function readPointFile(file: File): Promise<ParsedPoints> {
  checkFileSize(file.size, file.name);
  const worker = new Worker(new URL('./parseWorker.ts', import.meta.url), { type: 'module' });
  try {
    const answer = await new Promise<ParseAnswer>((resolve, reject) => {
      worker.addEventListener('message', (e: MessageEvent<ParseAnswer>) => resolve(e.data));
      worker.addEventListener('error', (e) =>
        reject(new Error(`${file.name} could not be parsed (${e.message || 'the parser failed'})`)),
      );
      worker.postMessage(file);
    });
    if ('error' in answer) throw new Error(answer.error);
    return answer;
  } finally {
    worker.terminate();
  }
}
