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

/** Files dropped on the page go to `onFiles`; `target` shows a drop hint meanwhile. */
export function acceptDrops(target: HTMLElement, onFiles: (files: File[]) => void): void {
  window.addEventListener('dragover', (e) => {
    e.preventDefault();
    target.classList.add('dropping');
  });
  window.addEventListener('dragleave', () => target.classList.remove('dropping'));
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    target.classList.remove('dropping');
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length) onFiles(files);
  });
}
