import hre from "hardhat";
import { LendingScenario } from "../clients/sim/lendingScenario";
async function main() {
  const inner = hre.network.provider as any;
  const stats = new Map<string, { n: number; ms: number }>();
  const orig = inner.request.bind(inner);
  inner.request = async (args: any) => {
    const t = performance.now();
    try { return await orig(args); } finally {
      const key = args.method === "eth_call" ? `call ${args.params[0].data.slice(0, 10)}` : args.method;
      const s = stats.get(key) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t; stats.set(key, s);
    }
  };
  const origSend = inner.send?.bind(inner);
  if (origSend) inner.send = (method: string, params?: unknown[]) => inner.request({ method, params });
  const t0 = performance.now();
  const sc = new LendingScenario({ provider: hre.ethers.provider, rpc: inner } as any, { loans: 30, partners: 6, months: 12, seed: "colend", out: "/tmp/onesys/rpcstat", network: "hardhat", maxCases: 5, progress: false, log: () => {} });
  const r = await sc.run();
  console.log("total ms", (performance.now() - t0).toFixed(0), "tx", r.chain.transactions, "blocks", r.chain.blocks);
  const { id } = await import("ethers");
  const names = new Map<string, string>();
  for (const fq of await hre.artifacts.getAllFullyQualifiedNames()) {
    const a = await hre.artifacts.readArtifact(fq);
    for (const f of a.abi.filter((x: any) => x.type === "function")) names.set(id(`${f.name}(${f.inputs.map((i: any) => i.type).join(",")})`).slice(0, 10), `${a.contractName}.${f.name}`);
  }
  [...stats].map(([k, v]) => [k.startsWith("call ") ? "call " + (names.get(k.slice(5)) ?? k) : k, v] as const).sort((a, b) => b[1].ms - a[1].ms).forEach(([m, s]) => console.log(m.padEnd(32), String(s.n).padStart(7), s.ms.toFixed(0).padStart(8), "ms", (s.ms / s.n).toFixed(2)));
}
main();
