/**
 * The account page (`#/account`): who is signed in and how, the password
 * (password_form.ts), and the account's passkeys — add one (the browser's passkey prompt), see when each
 * was added and last used, remove one after a confirmation. Removing a
 * passkey also ends every session signed in with it (the server revokes
 * them: it may be a lost authenticator), this one included when it was.
 * @module
 */
import type { ApiClient, PasskeyInfo } from "./api.ts";
import { h, replaceChildren } from "./dom.ts";
import { camerasButton, topBar } from "./topbar.ts";
import { passkeyErrorMessage, type Passkeys } from "./passkeys.ts";
import { absoluteTime } from "./time.ts";
import { passwordSection } from "./password_form.ts";

/** "Added Dec 1, 10:32 · last used never · internal" for one passkey. Pure. */
export function passkeySummary(p: PasskeyInfo, nowMs: number, locale?: string): string {
  const at = (ms: number | null) => (ms === null ? "never" : absoluteTime(ms, nowMs, locale));
  const via = p.transports.length ? ` · ${p.transports.join(", ")}` : "";
  return `Added ${at(p.createdAt)} · last used ${at(p.lastUsedAt)}${via}`;
}

/** The account view. */
export class AccountView {
  readonly root: HTMLElement;
  readonly #api: ApiClient;
  readonly #passkeys: Passkeys;
  readonly #list = h("ul", { class: "passkey-list", "data-testid": "passkey-list" });
  readonly #status = h("p", {
    class: "live-status",
    "aria-live": "polite",
    "data-testid": "account-status",
  });
  readonly #add: HTMLButtonElement;

  constructor(
    api: ApiClient,
    passkeys: Passkeys,
    handlers: { onBack: () => void; onLogout: () => void },
  ) {
    this.#api = api;
    this.#passkeys = passkeys;
    const how = api.amr.includes("hwk") ? "a passkey" : "a password";
    this.#add = h("button", {
      type: "button",
      class: "btn btn-primary",
      "data-testid": "passkey-add",
      onclick: () => void this.#addPasskey(),
    }, "Add a passkey");
    const supported = passkeys.supported();
    this.#add.disabled = !supported;
    this.root = h(
      "div",
      { class: "screen" },
      topBar(handlers.onLogout, camerasButton(handlers.onBack)),
      h(
        "main",
        { class: "view view-account", "aria-labelledby": "account-title" },
        h("h1", { id: "account-title", tabindex: -1 }, "Account"),
        h(
          "p",
          { class: "subtitle", "data-testid": "account-who" },
          `Signed in as ${api.username} with ${how}.`,
        ),
        h(
          "section",
          { "aria-labelledby": "passkeys-title" },
          h("h2", { id: "passkeys-title" }, "Passkeys"),
          h(
            "p",
            { class: "muted" },
            "A passkey signs you in with this device's screen lock or a security key instead of " +
              "a password, and cannot be phished: it only answers this site.",
          ),
          supported ? null : h(
            "p",
            { class: "error", role: "alert", "data-testid": "passkeys-unsupported" },
            "This browser cannot use passkeys.",
          ),
          this.#list,
          this.#add,
          this.#status,
        ),
        passwordSection(api),
      ),
    );
  }

  /** Reads the passkey list. */
  async load(): Promise<void> {
    try {
      this.#paint(await this.#api.passkeys());
    } catch (e) {
      this.#status.textContent = `Could not load your passkeys (${
        e instanceof Error ? e.message : e
      }).`;
    }
  }

  #paint(list: PasskeyInfo[]): void {
    this.#list.dataset.count = String(list.length);
    if (list.length === 0) {
      replaceChildren(
        this.#list,
        h("li", { class: "muted", "data-testid": "passkey-none" }, "No passkeys yet."),
      );
      return;
    }
    replaceChildren(
      this.#list,
      ...list.map((p, i) =>
        h(
          "li",
          { class: "passkey-row", "data-testid": "passkey-row" },
          h("span", {}, `Passkey ${i + 1}`),
          h("span", { class: "muted" }, passkeySummary(p, Date.now())),
          h("button", {
            type: "button",
            class: "btn btn-quiet",
            "data-testid": "passkey-remove",
            "aria-label": `Remove passkey ${i + 1}`,
            onclick: () => void this.#remove(p, i + 1),
          }, "Remove"),
        )
      ),
    );
  }

  async #addPasskey(): Promise<void> {
    this.#add.disabled = true;
    this.#status.textContent = "Follow your browser's passkey prompt…";
    try {
      await this.#api.addPasskey(this.#passkeys.create);
      await this.load();
      this.#status.textContent = "Passkey added. You can sign in with it now.";
    } catch (e) {
      this.#status.textContent = passkeyErrorMessage(e, "create");
    } finally {
      this.#add.disabled = false;
    }
  }

  async #remove(p: PasskeyInfo, n: number): Promise<void> {
    const ask = `Remove passkey ${n}? It can no longer sign in, and the sessions signed in ` +
      "with it end (this one too, if it was).";
    if (!confirm(ask)) return;
    try {
      await this.#api.removePasskey(p.id);
      await this.load();
      this.#status.textContent = `Passkey ${n} removed.`;
    } catch (e) {
      this.#status.textContent = e instanceof Error ? e.message : String(e);
    }
  }
}
