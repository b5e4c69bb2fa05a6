/** A line of text at the top of a lil-gui folder: what its controls cannot do here, and why. */
import type GUI from 'lil-gui';

export function folderNote(folder: GUI, text: string): HTMLElement {
  const note = document.createElement('div');
  note.className = 'gui-note';
  note.textContent = text;
  note.hidden = true;
  folder.$children.prepend(note);
  return note;
}
