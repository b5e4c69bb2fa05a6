/**
 * Parses a point file off the main thread, so that a big one (a million rows takes seconds)
 * never stops the page from drawing. Answers { points } (transferred) or { error }.
 */
import { parsePoints } from './parsePoints';

export type ParseAnswer = { points: Float32Array } | { error: string };

self.addEventListener('message', (event: MessageEvent<File>) => {
  const file = event.data;
  const answer = (message: ParseAnswer, transfer: Transferable[] = []): void =>
    self.postMessage(message, { transfer });
  file.text().then(
    (text) => {
      try {
        const points = parsePoints(text, file.name);
        answer({ points }, [points.buffer]);
      } catch (e) {
        answer({ error: e instanceof Error ? e.message : String(e) });
      }
    },
    (e: unknown) => answer({ error: `${file.name} could not be read (${String(e)})` }),
  );
});
