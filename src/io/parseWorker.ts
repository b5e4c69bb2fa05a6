/**
 * Parses a point file off the main thread, so that a big one (a million rows takes seconds)
 * never stops the page from drawing. Answers { points, labels } (transferred) or { error }.
 */
import { parseLabelledPoints, type ParsedPoints } from './parsePoints';

export type ParseAnswer = ParsedPoints | { error: string };

self.addEventListener('message', (event: MessageEvent<File>) => {
  const file = event.data;
  const answer = (message: ParseAnswer, transfer: Transferable[] = []): void =>
    self.postMessage(message, { transfer });
  file.text().then(
    (text) => {
      try {
        const parsed = parseLabelledPoints(text, file.name);
        const labels = parsed.labels ? [parsed.labels.labels.buffer] : [];
        answer(parsed, [parsed.points.buffer, ...labels]);
      } catch (e) {
        answer({ error: e instanceof Error ? e.message : String(e) });
      }
    },
    (e: unknown) => answer({ error: `${file.name} could not be read (${String(e)})` }),
  );
});
