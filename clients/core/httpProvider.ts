import http from "node:http";
import { JsonRpcProvider } from "ethers";
import type { JsonRpcApiProviderOptions, JsonRpcPayload, JsonRpcResult, Networkish } from "ethers";

/**
 * An ethers `JsonRpcProvider` for a node on plain `http://` (anvil on this machine): requests go
 * over one keep-alive agent and answers are decoded with Node's own UTF-8 and JSON. ethers'
 * generic fetch decodes every answer's bytes with a JavaScript UTF-8 decoder, which was a tenth of
 * the demo's CPU time (docs/BENCHMARKS.md, issue 9). Everything else (batching, errors, formats)
 * is ethers' own. Other URLs (https) go through ethers' fetch unchanged.
 */
export class HttpJsonRpcProvider extends JsonRpcProvider {
  private readonly target?: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  constructor(url: string, network?: Networkish, options?: JsonRpcApiProviderOptions) {
    super(url, network, options);
    const parsed = new URL(url);
    if (parsed.protocol === "http:") this.target = parsed;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    if (!this.target) return super._send(payload);
    const text = await this.post(JSON.stringify(payload));
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new Error(`${this.target.origin} answered with something that is not JSON: ${text.slice(0, 200)}`);
    }
    // Error answers ({ id, error }) are passed on as ethers' own _send passes them.
    return (Array.isArray(answer) ? answer : [answer]) as JsonRpcResult[];
  }

  override destroy(): void {
    this.agent.destroy();
    super.destroy();
  }

  private post(body: string): Promise<string> {
    const url = this.target!;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port || 80,
          path: url.pathname + url.search,
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(new Error(`${url.origin} answered HTTP ${status}: ${text.slice(0, 200)}`));
            } else resolve(text);
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }
}
