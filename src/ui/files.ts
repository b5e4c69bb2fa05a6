/** Getting a user's file: a file chooser, or dropping it anywhere on the page. */

/** Opens the browser's file chooser for point files. */
export function chooseFile(accept: string, onFile: (file: File) => void): void {
  const input = document.createElement('input');
  input.type = 'file';
  input.accept = accept;
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) onFile(file);
  });
  input.click();
}

/** Files dropped on the page go to `onFile`; `target` shows a drop hint meanwhile. */
export function acceptDrops(target: HTMLElement, onFile: (file: File) => void): void {
  window.addEventListener('dragover', (e) => {
    e.preventDefault();
    target.classList.add('dropping');
  });
  window.addEventListener('dragleave', () => target.classList.remove('dropping'));
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    target.classList.remove('dropping');
    const file = e.dataTransfer?.files[0];
    if (file) onFile(file);
  });
}
