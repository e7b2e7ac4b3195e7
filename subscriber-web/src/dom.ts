/**
 * Tiny DOM builder. Text always goes in as text nodes (never innerHTML), and
 * there is deliberately no way to set a `style` attribute: the page runs
 * under `style-src 'self'`, so styling lives in the CSS file and dynamic
 * values go through classes, data-* attributes or element properties.
 */

export type Child = Node | string | number | null | undefined | false;
export type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "style") throw new Error("inline styles are not allowed (CSP style-src 'self')");
    if (typeof value === "function") {
      if (!key.startsWith("on")) throw new Error(`function for attribute ${key}`);
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(key, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/** Replaces all children of `el`. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** Moves focus to a view's heading so screen readers announce the change. */
export function focusHeading(root: Element): void {
  const heading = root.querySelector<HTMLElement>("h1");
  heading?.focus({ preventScroll: false });
}
