/** The URL hash: the settings a link opens (with a warning per key left out), and edits to it. */
import { settingsFromHash } from '../settings/link';
import type { Settings } from '../settings/settings';
import type { App } from './context';

/** The settings a link opens (validated as a whole), with a warning for each key left out. */
export function settingsFromLink(app: App, hash: string): Settings {
  const { settings, unknown, problems } = settingsFromHash(hash);
  for (const key of unknown)
    app.messages.show(`The link has an unknown setting '${key}': ignored.`, 'warning');
  for (const { key, error } of problems)
    app.messages.show(
      `The link's ${key} is not valid (${error}): using ${String(settings[key])}.`,
      'warning',
    );
  return settings;
}

/**
 * A hash edited by hand: the keys the new link changes, over the settings as they are when its
 * turn comes (the page's own hash may lag edits still queued, and the link never reverts them).
 */
export function followHashChanges(app: App): void {
  window.addEventListener('hashchange', (e) => {
    const before = settingsFromHash(new URL(e.oldURL).hash).settings;
    const next = settingsFromLink(app, new URL(e.newURL).hash);
    const patch = Object.fromEntries(
      Object.entries(next).filter(([k, v]) => before[k as keyof Settings] !== v),
    );
    app.sandbox.configure(patch).catch((err: unknown) => app.report(err));
  });
}
