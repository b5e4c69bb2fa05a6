/**
 * Presets in the panel: the classics and the user's own, saved in local storage or as JSON
 * files. Choosing one applies its patch through `configure`, like any other change.
 */
import type GUI from 'lil-gui';
import type { Controller } from 'lil-gui';
import {
  loadUserPresets,
  parsePresetFile,
  PRESETS,
  presetFile,
  presetOf,
  saveUserPresets,
  type Preset,
} from '../settings/presets';
import type { Settings } from '../settings/settings';

export interface PresetActions {
  settings(): Settings;
  configure(patch: Partial<Settings>): Promise<void>;
  report(error: unknown): void;
  message(text: string): void;
}

const CHOOSE = '(choose a preset)';

export function buildPresetsFolder(gui: GUI, actions: PresetActions): void {
  const folder = gui.addFolder('Presets');
  const state = { preset: CHOOSE };
  let user = loadUserPresets(globalThis.localStorage);
  const all = (): Preset[] => [...PRESETS, ...user];
  const names = (): string[] => [CHOOSE, ...all().map((p) => p.name)];
  const select: Controller = folder
    .add(state, 'preset', names())
    .name('preset')
    .onChange((name: string) => {
      const preset = all().find((p) => p.name === name);
      if (!preset) return;
      actions
        .configure(preset.patch)
        .then(() => actions.message(`Preset: ${name}`))
        .catch((e: unknown) => actions.report(e));
    });
  const refresh = (): void => {
    select.options(names());
    select.updateDisplay();
  };
  folder
    .add(
      {
        save: () => {
          const name = prompt('Name of the preset', 'My preset')?.trim();
          if (!name) return;
          const settings = actions.settings();
          user = [...user.filter((p) => p.name !== name), { name, patch: presetOf(settings) }];
          saveUserPresets(globalThis.localStorage, user);
          state.preset = name;
          refresh();
          actions.message(`Saved the preset "${name}" in this browser.`);
        },
      },
      'save',
    )
    .name('Save current as…');
  folder
    .add(
      {
        remove: () => {
          if (!user.some((p) => p.name === state.preset)) {
            actions.report(new Error('only your own presets can be deleted'));
            return;
          }
          user = user.filter((p) => p.name !== state.preset);
          saveUserPresets(globalThis.localStorage, user);
          state.preset = CHOOSE;
          refresh();
        },
      },
      'remove',
    )
    .name('Delete chosen');
  folder
    .add(
      {
        exportFile: () => {
          const name = state.preset === CHOOSE ? 'diffusion-sandbox' : state.preset;
          const blob = new Blob([presetFile(name, actions.settings())], {
            type: 'application/json',
          });
          download(blob, `${name.replace(/[^\w.-]+/g, '_')}.json`);
        },
      },
      'exportFile',
    )
    .name('Export JSON');
  folder
    .add(
      {
        importFile: () => {
          const input = document.createElement('input');
          input.type = 'file';
          input.accept = '.json,application/json';
          input.addEventListener('change', () => {
            const file = input.files?.[0];
            if (!file) return;
            void file
              .text()
              .then(async (text) => {
                const preset = parsePresetFile(text, file.name);
                await actions.configure(preset.patch);
                user = [...user.filter((p) => p.name !== preset.name), preset];
                saveUserPresets(globalThis.localStorage, user);
                state.preset = preset.name;
                refresh();
                actions.message(`Loaded the preset "${preset.name}".`);
              })
              .catch((e: unknown) => actions.report(e));
          });
          input.click();
        },
      },
      'importFile',
    )
    .name('Import JSON…');
}

export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
