/**
 * Keeps a panel's bottom inside the window: sets its `max-height` to the room between its top
 * and the window's bottom (less a margin), after every render and on every resize, so a panel
 * that grows (a long cart, the limits' running totals) scrolls inside instead of pushing its last
 * buttons out of sight.
 */
import { useLayoutEffect, useRef } from "react";

/** The smallest height the panel is given, however little room there is. */
const MIN_HEIGHT = 320;

export function useFitToWindow<T extends HTMLElement>(margin = 16) {
  const ref = useRef<T>(null);
  useLayoutEffect(() => {
    const fit = () => {
      const el = ref.current;
      if (el === null) return;
      const top = el.getBoundingClientRect().top + window.scrollY;
      el.style.maxHeight = `${Math.max(MIN_HEIGHT, Math.floor(window.innerHeight - top - margin))}px`;
    };
    fit();
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  });
  return ref;
}
