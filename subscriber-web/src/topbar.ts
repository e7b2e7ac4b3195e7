/**
 * The bar on top of every signed-in page: the name, the page links and
 * "Sign out". Controllers may add links later to `.topbar-links`.
 * @module
 */
import { type Child, h } from "./dom.ts";

/** The top bar with `links` (buttons or anchors from {@link pageLink}). */
export function topBar(onLogout: () => void, ...links: Child[]): HTMLElement {
  return h(
    "header",
    { class: "topbar" },
    h("span", { class: "brand", "aria-hidden": "true" }, "vigil"),
    h("nav", { class: "topbar-links", "aria-label": "Pages" }, ...links),
    h("button", {
      type: "button",
      class: "btn btn-quiet",
      "data-testid": "logout",
      onclick: onLogout,
    }, "Sign out"),
  );
}

/** A link to another page of the app (`#/…`). */
export function pageLink(href: string, text: string, testid: string): HTMLAnchorElement {
  return h("a", { href, class: "btn btn-quiet", "data-testid": testid }, text);
}

/** "Cameras": back to the camera list. */
export function camerasButton(onBack: () => void): HTMLButtonElement {
  return h("button", { type: "button", class: "btn btn-quiet", onclick: onBack }, "Cameras");
}
