/**
 * The page's layout: the views, and a side column that holds the control panel and a dock of
 * charts and panels (schedule, observables, marginals, clones, memorisation, sweep). Where they
 * go at each size is CSS alone (src/ui/layout.css, one grid with three breakpoints):
 *   wide (at least WIDE px): views | dock | controls, side by side;
 *   medium: views | one column with a Controls / Charts tab bar;
 *   phone (below PHONE px): the views fill the screen, the column is a drawer.
 * This module only keeps the state CSS reads: the side's open tab and whether the drawer is open.
 */

import { PHONE_WIDTH, WIDE_WIDTH } from '../render/viewport';
import './layout.css';

/** Breakpoints in CSS pixels; src/ui/layout.css's media queries use the same numbers. */
export const WIDE = WIDE_WIDTH;
export const PHONE = PHONE_WIDTH;
/** The dock's inner width for charts: its 320 px column less padding and a thin scroll bar. */
export const CHART_WIDTH = 280;

export type SideTab = 'controls' | 'charts';

export class Layout {
  private readonly toggle: HTMLButtonElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly side: HTMLElement,
    private readonly dock: HTMLElement,
    views: HTMLElement,
  ) {
    for (const tab of side.querySelectorAll<HTMLButtonElement>('.side-tabs [data-tab]')) {
      tab.addEventListener('click', () => this.show(tab.dataset.tab as SideTab));
    }
    this.toggle = document.createElement('button');
    this.toggle.type = 'button';
    this.toggle.className = 'drawer-toggle';
    this.toggle.setAttribute('aria-controls', side.id);
    this.toggle.addEventListener('click', () => this.setDrawer(!this.drawerOpen));
    views.append(this.toggle);
    this.show('controls');
    this.setDrawer(false);
  }

  get tab(): SideTab {
    return this.side.dataset.tab === 'charts' ? 'charts' : 'controls';
  }

  get drawerOpen(): boolean {
    return this.root.classList.contains('drawer-open');
  }

  /** Shows a tab of the side column (the layouts without tabs show both anyway). */
  show(tab: SideTab): void {
    this.side.dataset.tab = tab;
    for (const button of this.side.querySelectorAll<HTMLElement>('.side-tabs [data-tab]')) {
      button.setAttribute('aria-selected', String(button.dataset.tab === tab));
    }
  }

  /** Opens or closes the drawer that holds the side column on a phone. */
  setDrawer(open: boolean): void {
    this.root.classList.toggle('drawer-open', open);
    this.toggle.textContent = open ? '✕ Close' : '☰ Controls';
    this.toggle.setAttribute('aria-expanded', String(open));
  }

  /** Brings a panel of the side column into view: its tab, the drawer on a phone, scrolled to. */
  reveal(element: HTMLElement): void {
    this.show(this.dock.contains(element) ? 'charts' : 'controls');
    if (window.innerWidth < PHONE) this.setDrawer(true);
    element.scrollIntoView({ block: 'nearest' });
  }
}
