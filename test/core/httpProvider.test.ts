import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { HttpJsonRpcProvider } from "../../clients/core/httpProvider";

interface RpcRequest {
  id: number;
  method: string;
  params: unknown[];
}

describe("HttpJsonRpcProvider", function () {
  let server: http.Server;
  let url: string;
  /** How the test server answers: a JSON-RPC result per request, or a raw reply. */
  let reply: (body: RpcRequest | RpcRequest[]) => { status: number; text: string };
  const bodies: (RpcRequest | RpcRequest[])[] = [];
  const providers: HttpJsonRpcProvider[] = [];
  /** The message `promise` rejects with (fails the test if it resolves). */
  const rejection = (promise: Promise<unknown>): Promise<string> =>
    promise.then(
      () => expect.fail("expected a rejection"),
      (e: Error) => e.message,
    );
  const provider = (options = {}) => {
    const p = new HttpJsonRpcProvider(url, 31337, { staticNetwork: true, ...options });
    providers.push(p);
    return p;
  };

  before(async function () {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcRequest | RpcRequest[];
        bodies.push(body);
        const { status, text } = reply(body);
        res.writeHead(status, { "content-type": "application/json" });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(function () {
    bodies.length = 0;
    const answer = (r: RpcRequest) =>
      r.method === "eth_blockNumber"
        ? { jsonrpc: "2.0", id: r.id, result: "0x2a" }
        : { jsonrpc: "2.0", id: r.id, result: `${r.method}:${JSON.stringify(r.params)}:¥€` };
    reply = (body) => ({ status: 200, text: JSON.stringify(Array.isArray(body) ? body.map(answer) : answer(body)) });
  });

  afterEach(function () {
    for (const p of providers.splice(0)) p.destroy();
  });

  after(function () {
    server.close();
  });

  it("sends ethers' requests and decodes the answers, non-ASCII text included", async function () {
    const p = provider({ batchMaxCount: 1 });
    expect(await p.getBlockNumber()).to.equal(42);
    expect(await p.send("colend_echo", ["α", 1])).to.equal('colend_echo:["α",1]:¥€');
    expect(bodies).to.have.length(2);
  });

  it("sends the requests made in one tick as one batch when batching is on", async function () {
    const p = provider({ batchMaxCount: 100, batchStallTime: 0 });
    const answers = await Promise.all([1, 2, 3].map((n) => p.send("colend_echo", [n])));
    expect(answers).to.deep.equal(["colend_echo:[1]:¥€", "colend_echo:[2]:¥€", "colend_echo:[3]:¥€"]);
    expect(bodies).to.have.length(1);
    expect(bodies[0]).to.be.an("array").with.length(3);
  });

  it("passes the node's JSON-RPC error on as ethers does", async function () {
    reply = (body) => {
      const r = body as RpcRequest;
      return {
        status: 200,
        text: JSON.stringify({ jsonrpc: "2.0", id: r.id, error: { code: -32601, message: "Method not found" } }),
      };
    };
    const p = provider({ batchMaxCount: 1 });
    expect(await rejection(p.send("colend_missing", []))).to.match(/Method not found/);
  });

  it("names the status and what came back when the node answers an HTTP error", async function () {
    reply = () => ({ status: 503, text: "overloaded" });
    const p = provider({ batchMaxCount: 1 });
    expect(await rejection(p._send({ method: "eth_chainId", params: [], id: 1, jsonrpc: "2.0" }))).to.match(
      /answered HTTP 503: overloaded/,
    );
  });

  it("names the node when its answer is not JSON", async function () {
    reply = () => ({ status: 200, text: "<html>proxy</html>" });
    const p = provider({ batchMaxCount: 1 });
    expect(await rejection(p._send({ method: "eth_chainId", params: [], id: 1, jsonrpc: "2.0" }))).to.match(
      new RegExp(`${url} answered with something that is not JSON: <html>proxy</html>`),
    );
  });
});
