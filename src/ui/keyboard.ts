/** Keyboard: space play / pause, right arrow one step, R reset, S snapshot. Ignored while typing. */
export interface KeyActions {
  snapshot(): void;
  togglePlay(): void;
  step(): void;
  reset(): void;
}

export function bindKeys(target: Window, actions: KeyActions): () => void {
  const onKey = (e: KeyboardEvent): void => {
    const el = e.target as HTMLElement | null;
    if (el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA'))
      return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === ' ') actions.togglePlay();
    else if (e.key === 'ArrowRight') actions.step();
    else if (e.key === 'r' || e.key === 'R') actions.reset();
    else if (e.key === 's' || e.key === 'S') actions.snapshot();
    else return;
    e.preventDefault();
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}
