// A phone-sized screen, where the open chat replaces the list (see styles.css).
export const NARROW_SCREEN = window.matchMedia('(max-width: 760px)');
