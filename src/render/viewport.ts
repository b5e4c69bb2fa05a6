/** World units visible vertically at zoom 1: the datasets live within about +-1.5. */
export const VIEW_HEIGHT = 4.2;

/**
 * The page's breakpoints in CSS pixels (src/ui/layout.ts, src/ui/layout.css): from WIDE_WIDTH
 * the dock and the controls stand side by side; below PHONE_WIDTH the views fill the screen.
 */
export const WIDE_WIDTH = 1220;
export const PHONE_WIDTH = 640;

/** The canvas's background colour (the surface's rim fades into it). */
export const BACKGROUND = '#0b0d12';
