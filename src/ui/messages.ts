/** Messages to the user: a stack of notes at the bottom, errors kept longer. */
export type Level = 'info' | 'warning' | 'error';

export class Messages {
  readonly element: HTMLElement;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'messages';
    this.element.setAttribute('role', 'status');
    parent.appendChild(this.element);
  }

  show(text: string, level: Level = 'info'): void {
    const note = document.createElement('div');
    note.className = `message ${level}`;
    note.textContent = text;
    note.title = 'click to dismiss';
    note.addEventListener('click', () => note.remove());
    this.element.appendChild(note);
    while (this.element.children.length > 4) this.element.firstElementChild?.remove();
    setTimeout(() => note.remove(), level === 'error' ? 12_000 : level === 'warning' ? 8000 : 5000);
  }
}
