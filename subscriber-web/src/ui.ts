/**
 * Views: login form, camera list, player. They only build and update DOM;
 * the controller (main.ts) owns the logic. Stable `data-testid`s for e2e.
 */

import type { Camera } from "./api.ts";
import { append, h, replaceChildren } from "./dom.ts";
import { LiveGraph } from "./graph.ts";
import type { PlayerState } from "./player.ts";
import { formatStat, type ViewerStats } from "./stats.ts";
import { sinceLabel } from "./time.ts";
import { topBar } from "./topbar.ts";

// ---------------------------------------------------------------------------

export class LoginView {
  readonly root: HTMLElement;
  readonly #form: HTMLFormElement;
  readonly #username: HTMLInputElement;
  readonly #password: HTMLInputElement;
  readonly #submit: HTMLButtonElement;
  readonly #error: HTMLElement;
  readonly #passkey: HTMLButtonElement | null;

  /**
   * `onPasskey` (when passkeys work in this browser) adds a "Sign in with a
   * passkey" button; it gets the username field's value, or null when empty
   * (then the authenticator offers the accounts it holds for this site).
   */
  constructor(
    onSubmit: (username: string, password: string) => Promise<void>,
    notice = "",
    onPasskey?: (username: string | null) => Promise<void>,
  ) {
    this.#username = h("input", {
      id: "username",
      name: "username",
      type: "text",
      autocomplete: "username",
      autocapitalize: "none",
      spellcheck: "false",
      required: true,
      maxlength: 128,
      "data-testid": "username",
    });
    this.#password = h("input", {
      id: "password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
      maxlength: 1024,
      "data-testid": "password",
    });
    this.#submit = h("button", {
      type: "submit",
      class: "btn btn-primary",
      "data-testid": "login-submit",
    }, "Sign in");
    this.#error = h("p", {
      id: "login-error",
      class: "form-error",
      "data-testid": "login-error",
      "aria-live": "assertive",
      "aria-atomic": "true",
    }, notice);
    this.#form = h(
      "form",
      {
        class: "login-form",
        method: "post",
        action: "#",
        "data-testid": "login-form",
        "aria-describedby": "login-error",
        novalidate: true,
      },
      h("label", { for: "username" }, "Username"),
      this.#username,
      h("label", { for: "password" }, "Password"),
      this.#password,
      this.#error,
      this.#submit,
    );
    this.#form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const username = this.#username.value.trim();
      const password = this.#password.value;
      if (!username || !password) {
        this.setError(!username ? "Enter your username." : "Enter your password.");
        (!username ? this.#username : this.#password).focus();
        return;
      }
      this.setBusy(true);
      this.setError("");
      try {
        await onSubmit(username, password);
      } catch (e) {
        this.setError(e instanceof Error ? e.message : String(e));
        this.#password.value = "";
        this.#password.focus();
      } finally {
        this.setBusy(false);
      }
    });
    const passkey = onPasskey
      ? h("button", {
        type: "button",
        class: "btn btn-secondary login-passkey",
        "data-testid": "login-passkey",
        onclick: async () => {
          this.setBusy(true);
          this.setError("");
          try {
            await onPasskey(this.#username.value.trim() || null);
          } catch (e) {
            this.setError(e instanceof Error ? e.message : String(e));
          } finally {
            this.setBusy(false);
          }
        },
      }, "Sign in with a passkey")
      : null;
    this.#passkey = passkey;
    this.root = h(
      "main",
      { class: "view view-login", "aria-labelledby": "login-title" },
      h("h1", { id: "login-title", tabindex: -1 }, "vigil"),
      h("p", { class: "subtitle" }, "Sign in to watch your cameras."),
      this.#form,
      passkey ? h("div", { class: "login-alt" }, h("span", {}, "or"), passkey) : null,
    );
  }

  focus(): void {
    this.#username.focus();
  }

  setError(message: string): void {
    this.#error.textContent = message;
    this.#username.setAttribute("aria-invalid", message ? "true" : "false");
    this.#password.setAttribute("aria-invalid", message ? "true" : "false");
  }

  setBusy(busy: boolean): void {
    this.#submit.disabled = busy;
    if (this.#passkey) this.#passkey.disabled = busy;
    this.#submit.textContent = busy ? "Signing in…" : "Sign in";
    this.#form.setAttribute("aria-busy", String(busy));
  }
}

// ---------------------------------------------------------------------------

export class CameraListView {
  readonly root: HTMLElement;
  readonly #list: HTMLUListElement;
  readonly #status: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #entries = new Map<
    string,
    { li: HTMLLIElement; badge: HTMLElement; since: HTMLElement; snapshot: HTMLImageElement }
  >();
  #cameras = new Map<string, Camera>();
  /** The latest snapshot (object URL) of each camera, re-applied when the list is rebuilt. */
  readonly #snapshots = new Map<string, string>();

  constructor(onLogout: () => void) {
    this.#list = h("ul", {
      class: "camera-list",
      "data-testid": "camera-list",
      "aria-labelledby": "cameras-title",
    });
    this.#status = h("p", {
      class: "live-status",
      "aria-live": "polite",
      "data-testid": "presence-status",
    });
    this.#empty = h(
      "p",
      { class: "empty", hidden: true },
      "No cameras yet. Ask the operator to register one.",
    );
    this.root = h(
      "div",
      { class: "screen" },
      topBar(onLogout),
      h(
        "main",
        { class: "view view-cameras", "aria-labelledby": "cameras-title" },
        h("h1", { id: "cameras-title", tabindex: -1 }, "Cameras"),
        this.#status,
        this.#list,
        this.#empty,
      ),
    );
  }

  setCameras(cameras: readonly Camera[]): void {
    this.#cameras = new Map(cameras.map((c) => [c.id, c]));
    this.#entries.clear();
    const sorted = [...cameras].sort((a, b) =>
      a.label.localeCompare(b.label) || a.id.localeCompare(b.id)
    );
    replaceChildren(this.#list, ...sorted.map((c) => this.#entry(c)));
    this.#empty.hidden = cameras.length > 0;
    for (const [id, url] of this.#snapshots) this.setSnapshot(id, url);
  }

  /** Applies a presence change; returns false for an unknown camera. */
  update(id: string, online: boolean, since: number | null): boolean {
    const cam = this.#cameras.get(id);
    const entry = this.#entries.get(id);
    if (!cam || !entry) return false;
    cam.online = online;
    cam.since = since;
    this.#paint(cam, entry);
    return true;
  }

  /** Refreshes the relative "since" texts. */
  tick(): void {
    for (const [id, entry] of this.#entries) {
      const cam = this.#cameras.get(id);
      if (cam) entry.since.textContent = sinceLabel(cam.online, cam.since, Date.now());
    }
  }

  /** Puts keyboard focus on a camera's entry (when coming back from it). */
  focusCamera(id: string): boolean {
    const link = this.#entries.get(id)?.li.querySelector<HTMLElement>("a");
    link?.focus();
    return !!link;
  }

  setStatus(text: string): void {
    this.#status.textContent = text;
  }

  /** Shows a camera's snapshot (an object URL the caller owns). */
  setSnapshot(id: string, url: string): void {
    // Kept: a re-read camera list (the presence stream reconnecting) rebuilds the entries.
    this.#snapshots.set(id, url);
    const img = this.#entries.get(id)?.snapshot;
    if (!img) return;
    img.src = url;
    img.hidden = false;
  }

  #entry(cam: Camera): HTMLLIElement {
    const badge = h("span", { class: "badge" });
    const since = h("span", { class: "since" });
    const snapshot = h("img", {
      class: "snapshot",
      alt: "",
      hidden: true,
      "data-testid": `snapshot-${cam.id}`,
    });
    const li = h(
      "li",
      { class: "camera", "data-testid": `camera-${cam.id}` },
      h(
        "a",
        { class: "camera-link", href: `#/camera/${encodeURIComponent(cam.id)}` },
        snapshot,
        h("span", { class: "camera-label" }, cam.label),
        badge,
        since,
        h("span", { class: "camera-id" }, cam.id),
      ),
    );
    const entry = { li, badge, since, snapshot };
    this.#entries.set(cam.id, entry);
    this.#paint(cam, entry);
    return li;
  }

  #paint(cam: Camera, entry: { li: HTMLLIElement; badge: HTMLElement; since: HTMLElement }): void {
    entry.li.dataset.online = String(cam.online);
    entry.badge.textContent = cam.online ? "Online" : "Offline";
    entry.since.textContent = sinceLabel(cam.online, cam.since, Date.now());
  }
}

// ---------------------------------------------------------------------------

const STAT_ROWS: [keyof ViewerStats | "resolution", string][] = [
  ["resolution", "Resolution"],
  ["fps", "Frame rate"],
  ["bitrateKbps", "Bitrate"],
  ["lossPct", "Packet loss"],
  ["packetsLost", "Packets lost"],
  ["rttMs", "Round trip"],
  ["jitterMs", "Jitter"],
  ["framesDecoded", "Frames decoded"],
  ["ttffMs", "First frame"],
];

const STATS_PREF = "vigil.showStats"; // a UI preference only, never a secret

export interface PlayerViewHandlers {
  onLeave: () => void;
  onLogout: () => void;
  onRetry: () => void;
}

export class PlayerView {
  readonly root: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly graph: LiveGraph;
  readonly #stage: HTMLElement;
  readonly #status: HTMLElement;
  readonly #retry: HTMLButtonElement;
  readonly #badge: HTMLElement;
  readonly #stats: HTMLElement;
  readonly #toggle: HTMLButtonElement;
  readonly #cells = new Map<string, HTMLElement>();
  #main: HTMLElement | null = null;

  constructor(camera: Camera, handlers: PlayerViewHandlers) {
    this.video = h("video", {
      class: "video",
      muted: true,
      autoplay: true,
      playsinline: true,
      "data-testid": "video",
      "aria-label": `Live video from ${camera.label}`,
    });
    this.#status = h("p", {
      class: "player-status",
      "aria-live": "polite",
      "data-testid": "player-status",
    });
    this.#retry = h(
      "button",
      {
        type: "button",
        class: "btn",
        "data-testid": "retry",
        hidden: true,
        onclick: handlers.onRetry,
      },
      "Retry now",
    );
    this.#badge = h("span", { class: "badge" });

    const dl = h("dl", { class: "stats-list" });
    for (const [key, label] of STAT_ROWS) {
      const dd = h("dd", {}, "–");
      this.#cells.set(key, dd);
      append(dl, h("div", { class: "stat" }, h("dt", {}, label), dd));
    }
    const canvas = h("canvas", {
      class: "graph",
      role: "img",
      "aria-label": "Bitrate (blue) and frame rate (orange) over the last 60 seconds",
    });
    this.graph = new LiveGraph(canvas);
    const showStats = readPref();
    this.#stats = h(
      "aside",
      {
        id: "stats",
        class: "stats",
        "data-testid": "stats",
        "aria-label": "Stream statistics",
        hidden: !showStats,
      },
      dl,
      h(
        "p",
        { class: "legend", "aria-hidden": "true" },
        h("span", { class: "legend-bitrate" }, "bitrate"),
        " ",
        h("span", { class: "legend-fps" }, "fps"),
      ),
      canvas,
    );
    this.#toggle = h("button", {
      type: "button",
      class: "btn btn-quiet",
      "aria-pressed": String(showStats),
      "aria-controls": "stats",
      "data-testid": "stats-toggle",
      onclick: () => this.toggleStats(),
    }, "Stats");

    const fullscreen = document.fullscreenEnabled
      ? h("button", {
        type: "button",
        class: "btn btn-quiet",
        "data-testid": "fullscreen",
        onclick: () => this.#toggleFullscreen(),
      }, "Full screen")
      : null;

    this.#stage = h(
      "div",
      { class: "stage", "data-state": "connecting" },
      this.video,
      h(
        "div",
        { class: "overlay" },
        h("span", { class: "spinner", "aria-hidden": "true" }),
        this.#status,
        this.#retry,
      ),
      this.#stats,
    );

    this.root = h(
      "div",
      { class: "screen screen-player" },
      topBar(handlers.onLogout),
      this.#main = h(
        "main",
        { class: "view view-player", "aria-labelledby": "player-title" },
        h(
          "div",
          { class: "player-bar" },
          h(
            "button",
            { type: "button", class: "btn", "data-testid": "leave", onclick: handlers.onLeave },
            h("span", { "aria-hidden": "true" }, "← "),
            "Leave",
          ),
          h("h1", { id: "player-title", tabindex: -1 }, camera.label),
          this.#badge,
          h("span", { class: "spacer" }),
          this.#toggle,
          fullscreen,
        ),
        this.#stage,
      ),
    );
    this.setOnline(camera.online);
  }

  /** Adds a section below the live video (the recordings panel). */
  attach(section: HTMLElement): void {
    this.#main?.append(section);
  }

  /** Hides the live video while a recording plays. */
  setLiveHidden(hidden: boolean): void {
    this.#stage.hidden = hidden;
  }

  setState(state: PlayerState, message: string): void {
    this.#stage.dataset.state = state;
    this.#status.textContent = message;
    this.#retry.hidden = !(state === "error" || state === "reconnecting" || state === "offline");
  }

  setOnline(online: boolean): void {
    this.#badge.textContent = online ? "Online" : "Offline";
    this.#badge.dataset.online = String(online);
  }

  setStats(s: ViewerStats): void {
    const set = (key: string, text: string) => {
      const cell = this.#cells.get(key);
      if (cell && cell.textContent !== text) cell.textContent = text;
    };
    set("resolution", s.width && s.height ? `${s.width}×${s.height}` : "–");
    for (const [key] of STAT_ROWS) {
      if (key !== "resolution") set(key, formatStat(key, s[key]));
    }
    this.graph.push({ t: performance.now(), bitrateKbps: s.bitrateKbps, fps: s.fps });
  }

  toggleStats(): void {
    const show = Boolean(this.#stats.hidden);
    this.#stats.hidden = !show;
    this.#toggle.setAttribute("aria-pressed", String(show));
    writePref(show);
    if (show) this.graph.draw();
  }

  dispose(): void {
    this.graph.dispose();
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }

  #toggleFullscreen(): void {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else this.#stage.requestFullscreen().catch(() => {});
  }
}

function readPref(): boolean {
  try {
    return globalThis.localStorage?.getItem(STATS_PREF) === "1";
  } catch {
    return false;
  }
}

function writePref(show: boolean): void {
  try {
    globalThis.localStorage?.setItem(STATS_PREF, show ? "1" : "0");
  } catch {
    // storage disabled: the preference just is not remembered
  }
}

// ---------------------------------------------------------------------------

export function loadingView(text: string): HTMLElement {
  return h(
    "main",
    { class: "view view-loading", "aria-busy": "true" },
    h("h1", { tabindex: -1, class: "visually-hidden" }, "vigil"),
    h("span", { class: "spinner", "aria-hidden": "true" }),
    h("p", {}, text),
  );
}
