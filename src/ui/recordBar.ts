/** The recording bar: frames done / total, the time left, and cancel. */
export class RecordBar {
  readonly element: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly label: HTMLElement;
  private started = 0;
  private abort: AbortController | null = null;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'record-bar';
    this.element.hidden = true;
    this.element.innerHTML = `<span class="record-dot"></span><span class="record-label"></span>
      <progress max="1" value="0"></progress><button type="button">Cancel</button>`;
    parent.appendChild(this.element);
    this.bar = this.element.querySelector('progress')!;
    this.label = this.element.querySelector('.record-label')!;
    this.element.querySelector('button')!.addEventListener('click', () => this.abort?.abort());
  }

  /** Shows the bar for one recording; the signal aborts when the user cancels. */
  start(): AbortSignal {
    this.abort = new AbortController();
    this.started = performance.now();
    this.element.hidden = false;
    this.progress(0, 1);
    return this.abort.signal;
  }

  progress(frame: number, frames: number): void {
    this.bar.max = Math.max(1, frames);
    this.bar.value = frame;
    const elapsed = (performance.now() - this.started) / 1000;
    const left = frame > 0 ? (elapsed / frame) * (frames - frame) : NaN;
    const fps = frame > 0 ? frame / elapsed : 0;
    this.label.textContent =
      `Recording ${frame} / ${frames} frames` +
      (Number.isFinite(left)
        ? ` · ${fps.toFixed(1)} frames/s · about ${Math.ceil(left)} s left`
        : '');
  }

  stop(): void {
    this.abort = null;
    this.element.hidden = true;
  }
}
