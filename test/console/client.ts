import type { RunningConsole } from "../../clients/console/server";

/** A minimal HTTP client for the console: keeps the session cookie, reads the CSRF token off a page. */
export class ConsoleClient {
  cookie?: string;
  csrf?: string;

  constructor(readonly c: RunningConsole) {}

  async request(
    method: string,
    path: string,
    opts: { form?: Record<string, string>; headers?: Record<string, string>; cookie?: boolean } = {},
  ): Promise<{ status: number; body: string; headers: Headers }> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (this.cookie && opts.cookie !== false) headers.cookie = this.cookie;
    let body: string | undefined;
    if (opts.form) {
      headers["content-type"] ??= "application/x-www-form-urlencoded";
      body = new URLSearchParams(opts.form).toString();
    }
    const res = await fetch(this.c.url + path, { method, headers, body, redirect: "manual" });
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  /** Signs in with the one-time link; returns the response to the login request. */
  async login(link = this.c.loginUrl) {
    const res = await fetch(link, { redirect: "manual" });
    const set = res.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0];
    return { status: res.status, setCookie: set, body: await res.text() };
  }

  /** GETs a page and keeps its CSRF token. */
  async page(path: string) {
    const r = await this.request("GET", path);
    const m = /name="csrf" value="([0-9a-f]+)"/.exec(r.body);
    if (m) this.csrf = m[1];
    return r;
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request("POST", path, { form: { csrf: this.csrf ?? "", ...form }, headers });
  }
}
