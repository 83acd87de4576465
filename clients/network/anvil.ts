import { ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/** Path of the anvil binary from the @foundry-rs/anvil npm packages (the platform binary when present). */
export function anvilBinary(): string {
  const root = path.resolve(__dirname, "../../node_modules/@foundry-rs");
  for (const dir of ["anvil-linux-amd64", "anvil-linux-x64", "anvil-darwin-arm64", "anvil-darwin-amd64"]) {
    const bin = path.join(root, dir, "bin", "anvil");
    if (fs.existsSync(bin)) return bin;
  }
  const wrapper = path.resolve(__dirname, "../../node_modules/.bin/anvil");
  if (fs.existsSync(wrapper)) return wrapper;
  throw new Error("anvil not found: install @foundry-rs/anvil (npm ci)");
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface AnvilOptions {
  port: number;
  /** File anvil loads its state from at start and dumps it to on exit (and periodically); none: in memory. */
  stateFile?: string;
  /** Keep no historical states (bounded memory for long simulations). */
  pruneHistory?: boolean;
  /** Seconds between blocks; 0 = mine each transaction at once. */
  blockTime: number;
  chainId?: number;
  /** Where anvil's output goes. */
  logFile: string;
}

export interface AnvilHandle {
  url: string;
  pid: number;
  process: ChildProcess;
  /** Stops anvil (it dumps its state first) and waits for it to exit. */
  stop(): Promise<void>;
  /** Peak resident memory of the anvil process so far, in MB (Linux; undefined elsewhere). */
  peakRssMb(): number | undefined;
}

/** JSON-RPC call with a short timeout. */
export async function rpcCall(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 2_000,
): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Starts anvil with persistent state and waits until it answers JSON-RPC. */
export async function startAnvil(o: AnvilOptions): Promise<AnvilHandle> {
  const args = [
    "--port",
    String(o.port),
    "--host",
    "127.0.0.1",
    "--chain-id",
    String(o.chainId ?? 31337),
    "--order",
    "fifo",
    "--accounts",
    "1",
    "--gas-limit",
    "60000000",
    "--silent",
  ];
  if (o.blockTime > 0) args.push("--block-time", String(o.blockTime));
  if (o.stateFile) {
    fs.mkdirSync(path.dirname(o.stateFile), { recursive: true });
    args.push("--state", o.stateFile, "--state-interval", "5");
  }
  if (o.pruneHistory) args.push("--prune-history");
  fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  const log = fs.openSync(o.logFile, "a");
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", log, log], detached: false });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${o.port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}; see ${o.logFile}`);
    try {
      await rpcCall(url, "eth_chainId");
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`anvil did not answer on ${url} within 20s; see ${o.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    pid: child.pid!,
    process: child,
    peakRssMb() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"));
        return m ? Math.round(Number(m[1]) / 1024) : undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
