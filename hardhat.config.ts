import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

/**
 * The compiler comes from the pinned `solc` npm package (soljson.js), never from the
 * download site: no machine that builds colend may need network access to compile.
 */
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  const compilerPath = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");
  return { compilerPath, isSolcJs: true, version: SOLC_VERSION, longVersion: solc.version() };
});

const besuKeys = (process.env.BESU_PRIVATE_KEYS ?? "")
  .split(",")
  .map((k) => k.trim())
  .filter((k) => k.length > 0);

/**
 * `hardhat coverage` runs the suite on instrumented contracts, whose calls cost several times the
 * gas of the shipped code: deploying a ledger with 64 founders passes Osaka's per-transaction gas
 * cap (EIP-7825, 2^24), Hardhat's default network. The contracts are compiled for cancun, so under
 * coverage the network runs cancun (no cap; solidity-coverage then sends its own large gas limit).
 */
const UNDER_COVERAGE = process.argv.includes("coverage");

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 10_000 },
      viaIR: false,
    },
  },
  networks: {
    hardhat: {
      // Demo-sized runs create thousands of accounts' worth of state; keep mining instant.
      allowUnlimitedContractSize: false,
      blockGasLimit: 60_000_000,
      ...(UNDER_COVERAGE ? { hardfork: "cancun" } : {}),
    },
    anvil: {
      url: process.env.ANVIL_URL ?? "http://127.0.0.1:8545",
      timeout: 120_000,
    },
    besu: {
      url: process.env.BESU_RPC_URL ?? "http://127.0.0.1:8545",
      chainId: process.env.BESU_CHAIN_ID ? Number(process.env.BESU_CHAIN_ID) : 1337,
      accounts: besuKeys,
      gasPrice: 0,
    },
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
    currency: "USD",
    outputFile: process.env.REPORT_GAS_FILE,
    noColors: process.env.REPORT_GAS_FILE !== undefined,
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 120_000 },
  paths: { sources: "contracts", tests: "test", artifacts: "artifacts", cache: "cache" },
};

export default config;
