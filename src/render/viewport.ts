/** World units visible vertically at zoom 1: the datasets live within about +-1.5. */
export const VIEW_HEIGHT = 4.2;
