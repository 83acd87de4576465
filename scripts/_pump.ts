import hre from "hardhat";
import { Wallet } from "ethers";
import { BlockPump, PumpedWallet } from "../clients/core/blockPump";
async function main() {
  const rpc = hre.network.provider;
  const pump = new BlockPump(rpc as never);
  await pump.start();
  const ws = Array.from({ length: 50 }, () => new PumpedWallet(Wallet.createRandom().privateKey, hre.ethers.provider, pump, 31337n));
  const to = Wallet.createRandom().address;
  const t = performance.now();
  await pump.all(ws.map((w) => async () => { for (let i = 0; i < 10; i++) await (await w.sendTransaction({ to, data: "0x" })).wait(); }));
  console.log("500 tx", (performance.now() - t).toFixed(0), "ms, blocks", pump.blocks, "tx", pump.transactions);
  const one = ws[0];
  const t2 = performance.now();
  for (let i = 0; i < 100; i++) await (await one.sendTransaction({ to, data: "0x" })).wait();
  console.log("100 sequential", (performance.now() - t2).toFixed(0), "ms, blocks", pump.blocks);
}
main().catch((e) => { console.error(e); process.exit(1); });
