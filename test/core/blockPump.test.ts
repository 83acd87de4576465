import { expect } from "chai";
import { ethers, network } from "hardhat";
import { Wallet } from "ethers";
import { BlockPump, PumpedWallet } from "../../clients/core/blockPump";
import { Kind, Subject, ZERO_HASH } from "../../clients/core/types";
import { LedgerFixture, loadLedgerFixture } from "../helpers/consortium";

describe("BlockPump and PumpedWallet", function () {
  let pump: BlockPump;
  let f: LedgerFixture;
  const chainId = 31337n;
  const wallets = (n: number) =>
    Array.from({ length: n }, () => new PumpedWallet(Wallet.createRandom().privateKey, ethers.provider, pump, chainId));
  const block = async (n: number) => (await ethers.provider.getBlock(n, false))!;

  beforeEach(async function () {
    // The fixture first: reverting to its snapshot would undo what the pump sets on the chain.
    f = await loadLedgerFixture();
    pump = new BlockPump(network.provider as never);
    await pump.start();
  });

  afterEach(async function () {
    await pump.stop();
  });

  it("mines one block per round: each block carries the current transaction of every actor", async function () {
    const to = Wallet.createRandom().address;
    const first = (await ethers.provider.getBlockNumber()) + 1;
    pump.time = (await block(first - 1)).timestamp + 1_000;
    const actors = wallets(5);
    await pump.all(
      actors.map((w) => async () => {
        for (let i = 0; i < 3; i++) await (await w.sendTransaction({ to, data: "0x" })).wait();
      }),
    );
    expect(pump.transactions).to.equal(15);
    const last = await ethers.provider.getBlockNumber();
    expect(last - first + 1).to.equal(3);
    for (let n = first; n <= last; n++) {
      const b = await block(n);
      expect(b.transactions).to.have.length(5);
      expect(b.timestamp).to.equal(pump.time + (n - first));
    }
  });

  it("answers a sender's wait() with the receipt it read for the block, not a second request", async function () {
    const to = Wallet.createRandom().address;
    const actors = wallets(3);
    const asked: string[] = [];
    const provider = actors[0].provider!;
    const original = ethers.provider.getTransactionReceipt.bind(ethers.provider);
    ethers.provider.getTransactionReceipt = async (hash: string) => {
      asked.push(hash);
      return original(hash);
    };
    try {
      const receipts = await pump.all(
        actors.map((w) => async () => (await w.sendTransaction({ to, data: "0x" })).wait()),
      );
      expect(asked).to.deep.equal([]);
      for (const r of receipts) {
        const chain = (await original(r!.hash))!;
        expect(r!.status).to.equal(1);
        expect([r!.blockNumber, r!.blockHash, r!.gasUsed, r!.from, r!.to]).to.deep.equal([
          chain.blockNumber,
          chain.blockHash,
          chain.gasUsed,
          chain.from,
          chain.to,
        ]);
      }
      // A receipt the pump did not mine is asked of the chain as before.
      const other = receipts[0]!.hash;
      await provider.getTransactionReceipt(other);
      expect(asked).to.deep.equal([other]);
    } finally {
      ethers.provider.getTransactionReceipt = original;
    }
  });

  it("lets an actor wait for actors of its own without holding back their blocks", async function () {
    const to = Wallet.createRandom().address;
    const [a, b, c] = wallets(3);
    const done = await pump.all([
      async () => {
        await (await a.sendTransaction({ to })).wait();
        const inner = await pump.all([b, c].map((w) => async () => (await w.sendTransaction({ to })).wait()));
        return inner.length;
      },
    ]);
    expect(done).to.deep.equal([2]);
    expect(pump.transactions).to.equal(3);
  });

  it("reports a reverted call with its reason, and the sender's next transaction goes through", async function () {
    const [w] = wallets(1);
    const ledger = f.ledger.connect(w);
    const record = {
      subject: Subject.loan(1),
      kind: Kind.Note,
      contentHash: ZERO_HASH,
      attrs: ZERO_HASH,
      prev: ZERO_HASH,
    };
    let error: Error | undefined;
    try {
      await ledger.commit(record, 0n, 1n, "0x");
    } catch (e) {
      error = e as Error;
    }
    expect(error, "a reverting commit must throw").to.be.instanceOf(Error);
    expect(error!.message).to.match(/revert/i);
    const receipt = await (await w.sendTransaction({ to: Wallet.createRandom().address })).wait();
    expect(receipt!.status).to.equal(1);
  });

  it("picks up the chain's nonce again when a transaction is refused", async function () {
    const [w] = wallets(1);
    const to = Wallet.createRandom().address;
    await (await w.sendTransaction({ to })).wait();
    // The same key sends from elsewhere: the wallet's count is now behind the chain's.
    const other = new Wallet(w.privateKey, ethers.provider);
    await network.provider.send("hardhat_setBalance", [w.address, "0x56BC75E2D63100000"]);
    await pump.stop();
    await (await other.sendTransaction({ to, value: 1n })).wait();
    await pump.start();
    let refused = false;
    try {
      await w.sendTransaction({ to });
    } catch (e) {
      refused = /nonce/i.test((e as Error).message);
    }
    expect(refused, "the stale nonce is refused").to.equal(true);
    const receipt = await (await w.sendTransaction({ to })).wait();
    expect(receipt!.status).to.equal(1);
    expect(await ethers.provider.getTransactionCount(w.address)).to.equal(3);
  });

  it("shares a read of the current head until the next block", async function () {
    let calls = 0;
    const read = () => pump.read("0x00000000000000000000000000000000000000aa", "0x01", async () => `0x${++calls}`);
    expect(await Promise.all([read(), read(), read()])).to.deep.equal(["0x1", "0x1", "0x1"]);
    await pump.tick();
    expect(await read()).to.equal("0x2");
  });

  it("refuses to move the clock while actors run", async function () {
    const [w] = wallets(1);
    const to = Wallet.createRandom().address;
    let tickError: Error | undefined;
    await pump.all([
      async () => {
        const sent = w.sendTransaction({ to });
        try {
          await pump.tick();
        } catch (e) {
          tickError = e as Error;
        }
        await (await sent).wait();
      },
    ]);
    expect(tickError?.message).to.match(/actors are still running/);
  });
});
