/**
 * Number fields that pass on what was typed. lil-gui snaps typed text to the slider's step and
 * clamps it to its range, so steps = 0 became 1 without a word, where the API refuses 0 with a
 * message. Here the value typed goes on as typed, to be checked by the settings' own schema
 * (valueProblem), which refuses it with the API's message or accepts it.
 */
import { NumberController, type Controller } from 'lil-gui';

/** Text typed into a number field, as the API would be given it: a number, or the text itself. */
export function typedValue(text: string): number | string {
  const trimmed = text.trim();
  const value = Number(trimmed);
  return trimmed === '' || Number.isNaN(value) ? text : value;
}

/**
 * Calls `send` with each finished edit of controller `c`: what was typed into its text field
 * (on Enter or blur), or else the value it holds (a slider drag, the arrow keys, the wheel).
 */
export function onNumberEdit(c: Controller, send: (value: unknown) => void): void {
  const input = c instanceof NumberController ? c.$input : null;
  if (!(input instanceof HTMLInputElement)) {
    c.onFinishChange(send);
    return;
  }
  // The text typed and the value lil-gui made of it (this listener runs after lil-gui's).
  let typed: { text: string; held: unknown } | null = null;
  input.addEventListener('input', () => {
    typed = { text: input.value, held: c.getValue() };
  });
  c.onFinishChange((value: unknown) => {
    if (typed === null) send(value);
  });
  // After lil-gui's own blur listener, which has shown its clamped value by now.
  input.addEventListener('blur', () => {
    const last = typed;
    typed = null;
    if (last === null) return;
    // Arrow keys or a drag after the typing: the value they set is the edit.
    send(c.getValue() === last.held ? typedValue(last.text) : c.getValue());
  });
}
