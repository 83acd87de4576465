/**
 * The console's web server (node:http, no framework): one node's pages on 127.0.0.1, a one-time
 * login link exchanged for an HttpOnly session cookie, a CSRF token on every form that changes
 * something. The node's keys stay in this process; pages and downloads carry only what the node
 * may show its operator.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { ArbitratorDesk, BadRequestError, BankDesk, ForbiddenError, NotFoundError, OUTCOMES, Ruling } from "./adapter";
import * as pages from "./pages";

export type Desk = ArbitratorDesk | BankDesk;

export interface ConsoleOptions {
  desk: Desk;
  /** Interface to listen on (default 127.0.0.1; anything else must be asked for explicitly). */
  host?: string;
  /** Port (default 0: a free port). */
  port?: number;
  /** Log line sink (default: nothing). */
  log?: (line: string) => void;
}

export interface RunningConsole {
  url: string;
  /** The one-time login link: open it once; it then stops working. */
  loginUrl: string;
  port: number;
  close(): Promise<void>;
}

interface Session {
  csrf: string;
  flash?: string;
  created: number;
}

export const SESSION_COOKIE = "colend_console";
const MAX_BODY = 64 * 1024;
const ASSETS_DIR = path.join(__dirname, "assets");
const ASSETS: Record<string, string> = { "/assets/console.css": "text/css; charset=utf-8" };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const equal = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
};

/** Starts the console of `desk`'s node; resolves once it listens. */
export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log ?? (() => undefined);
  let loginToken: string | undefined = crypto.randomBytes(32).toString("hex");
  const sessions = new Map<string, Session>();
  const identity = await opts.desk.identity();
  let origin = "";
  let allowedHosts = new Set<string>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      const status = e instanceof HttpError ? e.status : ((e as { status?: number }).status ?? 500);
      const message = status === 500 ? `internal error: ${(e as Error).message.split("\n")[0]}` : (e as Error).message;
      if (status === 500) log(`error on ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) send(res, status, pages.errorPage(identity, status, message), "text/html; charset=utf-8");
      else res.end();
    });
  });

  function headers(res: http.ServerResponse): void {
    res.setHeader(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    res.setHeader("X-Content-Type-Options", "nosniff");
    // same-origin, not no-referrer: with no-referrer the browser sends "Origin: null" on our own forms.
    res.setHeader("Referrer-Policy", "same-origin");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Cache-Control", "no-store");
  }

  function send(res: http.ServerResponse, status: number, body: string | Buffer, type: string, extra = {}): void {
    headers(res);
    res.writeHead(status, { "Content-Type": type, ...extra });
    res.end(body);
  }

  function redirect(res: http.ServerResponse, to: string, extra: Record<string, string> = {}): void {
    headers(res);
    res.writeHead(303, { Location: to, ...extra });
    res.end();
  }

  function sessionOf(req: http.IncomingMessage): Session | undefined {
    const cookie = req.headers.cookie ?? "";
    for (const part of cookie.split(";")) {
      const [k, v] = part.trim().split("=");
      if (k === SESSION_COOKIE && v) {
        for (const [id, s] of sessions) if (equal(id, v)) return s;
      }
    }
    return undefined;
  }

  async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim();
    if (type !== "application/x-www-form-urlencoded") {
      throw new HttpError(415, `send the form as application/x-www-form-urlencoded, not "${type || "nothing"}"`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new HttpError(413, `the form is larger than ${MAX_BODY} bytes`);
      chunks.push(chunk as Buffer);
    }
    return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A page served to another site's name (DNS rebinding) is refused before anything else.
    if (!allowedHosts.has(req.headers.host ?? "")) {
      throw new HttpError(421, `this console answers only to ${[...allowedHosts].join(" or ")}`);
    }
    const url = new URL(req.url ?? "/", origin);
    const method = req.method ?? "GET";

    if (method === "GET" && ASSETS[url.pathname]) {
      send(res, 200, fs.readFileSync(path.join(ASSETS_DIR, path.basename(url.pathname))), ASSETS[url.pathname], {
        "Cache-Control": "max-age=3600",
      });
      return;
    }
    if (method === "GET" && url.pathname === "/login") {
      const token = url.searchParams.get("token") ?? "";
      if (loginToken === undefined || !equal(token, loginToken)) {
        throw new HttpError(
          403,
          "this login link is wrong or was already used: restart the console for a new one-time link",
        );
      }
      loginToken = undefined;
      const id = crypto.randomBytes(32).toString("hex");
      sessions.set(id, { csrf: crypto.randomBytes(32).toString("hex"), created: Date.now() });
      log("signed in (the login link is now spent)");
      redirect(res, "/", { "Set-Cookie": `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/` });
      return;
    }
    const session = sessionOf(req);
    if (!session) {
      throw new HttpError(401, "not signed in: open the one-time login link printed when the console started");
    }
    if (method === "POST") {
      const fetchSite = req.headers["sec-fetch-site"];
      if (req.headers.origin !== undefined && !allowedHosts.has(req.headers.origin.replace(/^http:\/\//, ""))) {
        throw new HttpError(403, `cross-site request from ${req.headers.origin} refused; nothing was changed`);
      }
      if (fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none") {
        throw new HttpError(403, `cross-site request (${fetchSite}) refused; nothing was changed`);
      }
      const form = await readForm(req);
      if (!equal(form.get("csrf") ?? "", session.csrf)) {
        throw new HttpError(
          403,
          "the form's CSRF token is missing or wrong: reload the page and try again; nothing was changed",
        );
      }
      if (url.pathname === "/logout") {
        for (const [id, s] of sessions) if (s === session) sessions.delete(id);
        send(res, 200, pages.signedOutPage(identity), "text/html; charset=utf-8", {
          "Set-Cookie": `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
        });
        return;
      }
      const notice = await post(url.pathname, form);
      session.flash = notice.message;
      redirect(res, notice.to);
      return;
    }
    if (method !== "GET" && method !== "HEAD") throw new HttpError(405, `method ${method} is not supported`);
    const flash = session.flash;
    session.flash = undefined;
    await get(url, res, { csrf: session.csrf, flash });
  }

  async function get(url: URL, res: http.ServerResponse, ctx: pages.PageContext): Promise<void> {
    const desk = opts.desk;
    const html = (body: string) => send(res, 200, body, "text/html; charset=utf-8");
    const p = url.pathname;
    if (desk instanceof ArbitratorDesk) {
      if (p === "/") return html(pages.casesPage(identity, ctx, await desk.cases()));
      const m = /^\/cases\/([0-9]{1,30})(\/bundle\.json|\/report\.txt|\/report\.json)?$/.exec(p);
      if (m) {
        const caseId = BigInt(m[1]);
        if (!m[2]) return html(pages.casePage(identity, ctx, await desk.caseView(caseId)));
        const ev = await desk.evidence(caseId);
        const file = `case-${caseId}`;
        if (m[2] === "/bundle.json") {
          return send(res, 200, desk.bundleJson(ev.bundle), "application/json", {
            "Content-Disposition": `attachment; filename="${file}-bundle.json"`,
          });
        }
        if (m[2] === "/report.json") {
          return send(res, 200, JSON.stringify(ev.report, null, 2) + "\n", "application/json", {
            "Content-Disposition": `attachment; filename="${file}-report.json"`,
          });
        }
        return send(res, 200, ev.text, "text/plain; charset=utf-8", {
          "Content-Disposition": `attachment; filename="${file}-report.txt"`,
        });
      }
    } else {
      if (p === "/") {
        const [money, arrears, history, commitments, loans, decisions] = await Promise.all([
          desk.money(),
          desk.arrears(),
          desk.history(),
          desk.commitments(),
          desk.loans(),
          desk.decisions(),
        ]);
        return html(pages.bankPage(identity, ctx, { money, arrears, history, commitments, loans, decisions }));
      }
    }
    throw new NotFoundError(`there is no page ${p}`);
  }

  async function post(p: string, form: URLSearchParams): Promise<{ to: string; message: string }> {
    const desk = opts.desk;
    if (desk instanceof ArbitratorDesk) {
      const m = /^\/cases\/([0-9]{1,30})\/(award|disclosure-request)$/.exec(p);
      if (m) {
        const caseId = BigInt(m[1]);
        if (m[2] === "award") {
          const outcome = form.get("outcome") ?? "";
          if (!(outcome in OUTCOMES)) {
            throw new BadRequestError(`choose an outcome (${Object.values(OUTCOMES).join(", ")}); nothing was changed`);
          }
          const done = await desk.rule(caseId, {
            outcome: outcome as Ruling["outcome"],
            amount: form.get("amount") ?? undefined,
            reasons: form.get("reasons") ?? "",
          });
          log(`case ${caseId}: award issued in ${done.txHash}`);
          return { to: `/cases/${caseId}`, message: `Award issued on chain in transaction ${done.txHash}.` };
        }
        await desk.requestDisclosure(caseId, form.get("text") ?? "");
        return { to: `/cases/${caseId}`, message: "Request for more disclosure recorded for the claimant." };
      }
    } else if (p === "/claim") {
      const amount = await desk.claim();
      log(`claimed ${amount}`);
      return { to: "/", message: `Claimed ${pages.money(amount)}.` };
    }
    throw new NotFoundError(`there is no action ${p}; nothing was changed`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  origin = `http://${shownHost}:${port}`;
  allowedHosts = new Set([`${shownHost}:${port}`, ...(host === "127.0.0.1" ? [`localhost:${port}`] : [])]);
  return {
    url: origin,
    loginUrl: `${origin}/login?token=${loginToken}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { BadRequestError, ForbiddenError, NotFoundError };
