/**
 * Viewer entry point: wires the API client, presence stream, player and
 * views together, with hash routing (#/ = camera list, #/camera/<id> =
 * player) so the back button leaves a camera.
 */

import { ApiClient, type AuthLostReason, type Camera, isCameraId } from "./api.ts";
import { focusHeading, replaceChildren } from "./dom.ts";
import { Player, type PlayerState } from "./player.ts";
import { PresenceStream } from "./presence.ts";
import { CameraListView, loadingView, LoginView, PlayerView } from "./ui.ts";
import { RecordingsPanel } from "./recordings_view.ts";
import { AdminView } from "./admin.ts";
import { AccountView } from "./account.ts";
import { browserPasskeys, passkeyErrorMessage } from "./passkeys.ts";
import { pageLink } from "./topbar.ts";

type AppState = "booting" | "login" | "cameras" | "admin" | "account" | PlayerState;

/** Read-only diagnostics for e2e tests. Never contains a token. */
export interface VigilDiagnostics {
  readonly state: AppState;
  readonly camera: string | null;
  readonly framesDecoded: number;
  readonly ttffMs: number | null;
  readonly lastError: string | null;
  readonly sessionUrl: string | null;
  readonly reconnects: number;
  /** ICE restarts in the current session. */
  readonly iceRestarts: number;
}

class App {
  readonly #root: HTMLElement;
  readonly #api: ApiClient;
  #view: "booting" | "login" | "cameras" | "player" | "admin" | "account" = "booting";
  #admin: AdminView | null = null;
  #cameras = new Map<string, Camera>();
  #presence: PresenceStream | null = null;
  #list: CameraListView | null = null;
  #player: Player | null = null;
  #playerView: PlayerView | null = null;
  #lastError: string | null = null;
  #listError: string | null = null;
  #tick: ReturnType<typeof setInterval> | undefined;
  #recordings: RecordingsPanel | null = null;
  /** The camera whose recording plays (its live player is stopped meanwhile). */
  #playback: string | null = null;
  #snapshotTimer: ReturnType<typeof setInterval> | undefined;
  #snapshotUrls = new Map<string, string>();

  constructor(root: HTMLElement) {
    this.#root = root;
    this.#api = new ApiClient({ onAuthLost: (r) => this.#onAuthLost(r) });
    globalThis.addEventListener("hashchange", () => this.#route());
  }

  get diagnostics(): VigilDiagnostics {
    const d = this.#player?.diagnostics;
    const state: AppState = this.#view === "player" ? (d?.state ?? "closed") : this.#view;
    return {
      state,
      camera: this.#player?.camera ?? null,
      framesDecoded: d?.framesDecoded ?? 0,
      ttffMs: d?.ttffMs ?? null,
      lastError: d ? d.lastError : this.#lastError,
      sessionUrl: d?.sessionUrl ?? null,
      reconnects: d?.reconnects ?? 0,
      iceRestarts: d?.iceRestarts ?? 0,
    };
  }

  async boot(): Promise<void> {
    this.#show(loadingView("Loading…"));
    if (await this.#api.resume()) await this.#enter();
    else this.#showLogin();
  }

  // --- login -----------------------------------------------------------------

  #showLogin(notice = ""): void {
    this.#view = "login";
    const passkey = browserPasskeys.supported()
      ? async (username: string | null) => {
        try {
          await this.#api.loginWithPasskey(username, browserPasskeys.get);
        } catch (e) {
          throw new Error(passkeyErrorMessage(e, "get"));
        }
        await this.#enter();
      }
      : undefined;
    const view = new LoginView(
      async (username, password) => {
        await this.#api.login(username, password);
        await this.#enter();
      },
      notice,
      passkey,
    );
    this.#show(view.root);
    view.focus();
  }

  async #enter(): Promise<void> {
    this.#presence?.stop();
    this.#presence = new PresenceStream({
      api: this.#api,
      onPresence: (p) => {
        const cam = this.#cameras.get(p.id);
        if (cam) {
          cam.online = p.online;
          cam.since = p.since;
        }
        this.#list?.update(p.id, p.online, p.since);
        if (this.#player?.camera === p.id) {
          this.#playerView?.setOnline(p.online);
          this.#player.setCameraOnline(p.online);
        }
      },
      onOpen: () => {
        this.#list?.setStatus("");
        // Events sent while the stream was down are lost: re-read the list.
        this.#loadCameras().catch((e) => {
          this.#listError = `Could not load the camera list (${
            e instanceof Error ? e.message : e
          }).`;
          this.#list?.setStatus(this.#listError);
        });
      },
      onClose: (ms) => {
        this.#list?.setStatus(
          `Live status interrupted, reconnecting in ${Math.max(1, Math.round(ms / 1000))} s…`,
        );
      },
      onAuthLost: () => this.#onAuthLost("expired"),
    });
    this.#presence.start();
    clearInterval(this.#tick);
    this.#tick = setInterval(() => this.#list?.tick(), 30_000);
    this.#lastError = null;
    try {
      await this.#loadCameras();
    } catch (e) {
      this.#lastError = e instanceof Error ? e.message : String(e);
      this.#listError = `Could not load the camera list (${this.#lastError}).`;
    }
    if (this.#api.authenticated) this.#route();
  }

  async #loadCameras(): Promise<void> {
    const cameras = await this.#api.cameras();
    this.#listError = null;
    this.#cameras = new Map(cameras.map((c) => [c.id, c]));
    this.#list?.setCameras(cameras);
    const current = this.#player ? this.#cameras.get(this.#player.camera) : undefined;
    if (current && this.#player) {
      this.#playerView?.setOnline(current.online);
      this.#player.setCameraOnline(current.online);
    }
  }

  // --- routing -------------------------------------------------------------------

  #route(): void {
    if (!this.#api.authenticated) return;
    const m = /^#\/camera\/([^/]+)$/.exec(location.hash);
    const id = m ? decodeURIComponent(m[1]) : null;
    if (location.hash === "#/admin") {
      this.#showAdmin();
    } else if (location.hash === "#/account") {
      this.#showAccount();
    } else if (id && isCameraId(id)) {
      if (this.#player?.camera !== id && this.#playback !== id) this.#showPlayer(id);
    } else {
      this.#showList();
    }
  }

  #showAdmin(): void {
    this.#stopPlayer();
    this.#stopAdmin();
    this.#list = null;
    this.#view = "admin";
    // For a viewer without the role the server answers 403: the view shows a notice.
    this.#admin = new AdminView(this.#api, {
      onBack: () => location.hash = "#/",
      onLogout: () => this.#logout(),
    });
    this.#show(this.#admin.root);
    focusHeading(this.#admin.root);
    void this.#admin.start();
  }

  #showAccount(): void {
    this.#stopPlayer();
    this.#stopAdmin();
    this.#list = null;
    clearInterval(this.#snapshotTimer);
    this.#view = "account";
    const view = new AccountView(this.#api, browserPasskeys, {
      onBack: () => location.hash = "#/",
      onLogout: () => this.#logout(),
    });
    this.#show(view.root);
    focusHeading(view.root);
    void view.load();
  }

  #stopAdmin(): void {
    this.#admin?.dispose();
    this.#admin = null;
  }

  #showList(): void {
    const from = this.#player?.camera;
    this.#stopPlayer();
    this.#stopAdmin();
    this.#view = "cameras";
    this.#list = new CameraListView(() => this.#logout());
    this.#list.setCameras([...this.#cameras.values()]);
    if (this.#listError) this.#list.setStatus(this.#listError);
    this.#list.root.querySelector(".topbar-links")?.append(
      ...(this.#api.role === "admin" ? [pageLink("#/admin", "Console", "console-link")] : []),
      pageLink("#/account", "Account", "account-link"),
    );
    this.#show(this.#list.root);
    if (!from || !this.#list.focusCamera(from)) focusHeading(this.#list.root);
    void this.#refreshSnapshots();
    clearInterval(this.#snapshotTimer);
    this.#snapshotTimer = setInterval(() => void this.#refreshSnapshots(), 15_000);
  }

  /** Fetches each camera's snapshot (Bearer) into an object URL for the list. */
  async #refreshSnapshots(): Promise<void> {
    for (const id of this.#cameras.keys()) {
      if (!this.#list) return;
      const blob = await this.#api.snapshot(id).catch(() => null);
      if (!blob || !this.#list) continue;
      const url = URL.createObjectURL(blob);
      const old = this.#snapshotUrls.get(id);
      this.#snapshotUrls.set(id, url);
      this.#list.setSnapshot(id, url);
      if (old) URL.revokeObjectURL(old);
    }
  }

  #showPlayer(id: string): void {
    this.#stopPlayer();
    this.#stopAdmin();
    this.#list = null;
    this.#view = "player";
    const camera = this.#cameras.get(id) ?? { id, label: id, online: true, since: null };
    const view = new PlayerView(camera, {
      onLeave: () => this.#leave(),
      onLogout: () => this.#logout(),
      onRetry: () => this.#player?.retryNow(),
    });
    this.#playerView = view;
    clearInterval(this.#snapshotTimer);
    const startLive = () => {
      this.#player = new Player({
        api: this.#api,
        camera: id,
        video: view.video,
        online: this.#cameras.get(id)?.online ?? camera.online,
        onState: (state, message) => view.setState(state, message),
        onStats: (stats) => view.setStats(stats),
        onAuthLost: () => this.#onAuthLost("expired"),
      });
      this.#player.start();
    };
    if (camera.recordings) {
      // Live video stops while a recording plays (no stream nobody watches).
      const panel = new RecordingsPanel(this.#api, id, {
        onPlayback: () => {
          if (this.#playback === id) return;
          this.#playback = id;
          const live = this.#player;
          this.#player = null;
          view.setLiveHidden(true);
          live?.stop().catch(() => {});
        },
        onLive: () => {
          this.#playback = null;
          view.setLiveHidden(false);
          startLive();
        },
      });
      this.#recordings = panel;
      view.attach(panel.root);
      void panel.load();
    }
    this.#show(view.root);
    focusHeading(view.root);
    startLive();
  }

  #leave(): void {
    if (location.hash.startsWith("#/camera/")) {
      // Goes through hashchange → #showList (and keeps history sensible).
      location.hash = "#/";
    } else {
      this.#showList();
    }
  }

  /** Stops the player (DELETEs its session); resolves when the DELETE is done. */
  #stopPlayer(): Promise<void> {
    const player = this.#player;
    this.#player = null;
    this.#playback = null;
    this.#recordings?.dispose();
    this.#recordings = null;
    this.#playerView?.dispose();
    this.#playerView = null;
    if (!player) return Promise.resolve();
    this.#lastError = player.diagnostics.lastError;
    return player.stop().catch(() => {});
  }

  // --- session end -----------------------------------------------------------------

  async #logout(): Promise<void> {
    this.#presence?.stop();
    // Leave the camera while the token is still valid, then end the session.
    await this.#stopPlayer();
    // The next sign-in (maybe someone else's) starts at the camera list, not at this page.
    history.replaceState(null, "", location.pathname + location.search);
    await this.#api.logout(); // → onAuthLost("logout")
  }

  #onAuthLost(reason: AuthLostReason): void {
    this.#stopPlayer();
    this.#stopAdmin();
    this.#lastError = reason === "expired" ? "Session ended." : null;
    this.#presence?.stop();
    this.#presence = null;
    this.#list = null;
    this.#cameras.clear();
    clearInterval(this.#tick);
    clearInterval(this.#snapshotTimer);
    if (this.#view === "login") return;
    this.#showLogin(reason === "expired" ? "Your session has ended. Please sign in again." : "");
  }

  #show(el: HTMLElement): void {
    replaceChildren(this.#root, el);
  }
}

const root = document.getElementById("app");
if (root) {
  const app = new App(root);
  const diagnostics: VigilDiagnostics = Object.freeze({
    get state() {
      return app.diagnostics.state;
    },
    get camera() {
      return app.diagnostics.camera;
    },
    get framesDecoded() {
      return app.diagnostics.framesDecoded;
    },
    get ttffMs() {
      return app.diagnostics.ttffMs;
    },
    get lastError() {
      return app.diagnostics.lastError;
    },
    get sessionUrl() {
      return app.diagnostics.sessionUrl;
    },
    get reconnects() {
      return app.diagnostics.reconnects;
    },
    get iceRestarts() {
      return app.diagnostics.iceRestarts;
    },
  });
  Object.defineProperty(globalThis, "__vigil", {
    value: diagnostics,
    writable: false,
    enumerable: false,
    configurable: false,
  });
  app.boot();
}
