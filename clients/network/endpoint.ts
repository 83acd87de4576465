import http from "node:http";
import type { AddressInfo } from "node:net";
import { getBytes, hexlify } from "ethers";
import { Endorser, EndorsementRefused, Proposal } from "../core/node";

/**
 * A node's loopback endpoint: JSON over HTTP on 127.0.0.1. Node processes talk to each other only
 * through it (endorsement requests, applications, disclosure packages) and through the chain.
 */

/** JSON with bigints (as `{"$n": "123"}`) and byte arrays (as `{"$b": "0x.."}`). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "bigint" ? { $n: v.toString() } : v instanceof Uint8Array ? { $b: hexlify(v) } : v,
  );
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$n === "string" && /^-?[0-9]+$/.test(o.$n)) return BigInt(o.$n);
      if (keys.length === 1 && typeof o.$b === "string") return getBytes(o.$b);
    }
    return v;
  }) as T;
}

/** A request the endpoint could not accept; `status` is the HTTP status sent back. */
export class EndpointError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "EndpointError";
  }
}

export type Handler = (body: unknown) => Promise<unknown> | unknown;

export interface Endpoint {
  port: number;
  /** Requests being served right now. */
  inFlight(): number;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

/** Serves `routes` ("GET /status", "POST /endorse"...) on 127.0.0.1:`port`. */
export function serve(port: number, routes: Record<string, Handler>): Promise<Endpoint> {
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const route = routes[`${req.method} ${req.url}`];
    const reply = (status: number, body: unknown): void => {
      const text = encodeJson(body);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    if (!route) return reply(404, { error: `no route ${req.method} ${req.url}` });
    inFlight++;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error("request body too large"));
      else chunks.push(c);
    });
    req.on("error", () => inFlight--);
    req.on("end", () => {
      void (async () => {
        try {
          const text = Buffer.concat(chunks).toString("utf8");
          const body = text.length === 0 ? undefined : decodeJson<unknown>(text);
          reply(200, (await route(body)) ?? {});
        } catch (e) {
          if (e instanceof EndorsementRefused) reply(409, { refused: e.reason, node: e.node });
          else if (e instanceof EndpointError) reply(e.status, { error: e.message });
          else reply(500, { error: (e as Error).message ?? String(e) });
        } finally {
          inFlight--;
        }
      })();
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        inFlight: () => inFlight,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Calls a node's endpoint; a non-2xx answer throws with the node's message. */
export async function call<T>(
  port: number,
  method: "GET" | "POST",
  route: string,
  body?: unknown,
  timeoutMs = 60_000,
): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: body === undefined ? undefined : { "content-type": "application/json" },
    body: body === undefined ? undefined : encodeJson(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  const parsed = text ? decodeJson<Record<string, unknown>>(text) : {};
  if (res.status === 409 && typeof parsed.refused === "string") {
    throw new EndorsementRefused(String(parsed.node ?? `port ${port}`), parsed.refused);
  }
  if (!res.ok) throw new EndpointError(res.status, String(parsed.error ?? `HTTP ${res.status}`));
  return parsed as T;
}

/**
 * Another node process as an endorser: `endorse` sends it the proposal (record, document, salt,
 * decoded attrs) and returns its signature, or throws `EndorsementRefused` with the reason that
 * node gave. It runs none of the checks itself: the remote node runs its own reviewers, and the
 * proposer checks that the signature recovers to `memberAddress` (`collectEndorsements`).
 */
export class RemoteEndorser implements Endorser {
  constructor(
    readonly name: string,
    readonly memberAddress: string,
    readonly port: number,
  ) {}

  async address(): Promise<string> {
    return this.memberAddress;
  }

  async endorse(p: Proposal): Promise<string> {
    const answer = await call<{ signature?: unknown }>(this.port, "POST", "/endorse", p);
    if (typeof answer.signature !== "string") throw new EndorsementRefused(this.name, "answered without a signature");
    return answer.signature;
  }
}

/** Checks that a decoded request body is a proposal (shapes only: the reviewers check the content). */
export function parseProposal(body: unknown): Proposal {
  const p = body as Proposal;
  const bad = (what: string): never => {
    throw new EndpointError(400, `not a proposal: ${what}`);
  };
  if (!p || typeof p !== "object") bad("no body");
  if (!p.record || typeof p.record !== "object") bad("no record");
  for (const k of ["subject", "kind", "contentHash", "attrs", "prev"] as const)
    if (typeof p.record[k] !== "string") bad(`record.${k} missing`);
  if (typeof p.proposer !== "string") bad("no proposer");
  if (typeof p.deadline !== "bigint") bad("no deadline");
  if (!(p.document instanceof Uint8Array) || !(p.salt instanceof Uint8Array)) bad("document or salt missing");
  if (p.attrs !== undefined && (!Array.isArray(p.attrs.types) || !Array.isArray(p.attrs.values))) bad("bad attrs");
  return p;
}
