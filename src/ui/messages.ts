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

  /** Notes shown while held (before the sandbox is on screen) start their time on release. */
  private held: (() => void)[] | null = [];

  /** Starts the clocks of the notes shown so far; later notes start theirs at once. */
  release(): void {
    const pending = this.held ?? [];
    this.held = null;
    for (const start of pending) start();
  }

  show(text: string, level: Level = 'info'): void {
    const note = document.createElement('div');
    note.className = `message ${level}`;
    note.textContent = text;
    note.title = 'click to dismiss';
    note.addEventListener('click', () => note.remove());
    this.element.appendChild(note);
    while (this.element.children.length > 4) this.element.firstElementChild?.remove();
    const start = (): void => {
      setTimeout(
        () => note.remove(),
        level === 'error' ? 12_000 : level === 'warning' ? 8000 : 5000,
      );
    };
    if (this.held) this.held.push(start);
    else start();
  }
}
