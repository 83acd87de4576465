import http from "node:http";
import https from "node:https";
import { FetchRequest, JsonRpcProvider, Network, getAddress } from "ethers";
import type { FetchGetUrlFunc, GetUrlResponse } from "ethers";
import type { Provider } from "ethers";
import { TOPIC, courtInterface, ledgerInterface } from "./abi";
import type { Log } from "ethers";
import { kindName } from "../core/types";
import { oneLine } from "./bundle";
import type { BundleRecord, EvidenceBundle } from "./bundle";

/**
 * Checks of an evidence bundle against a live chain (`colend verify --rpc URL`): the records are
 * in their transactions and blocks, the heads are the bundle's or descend from them, the
 * membership history and the case are the chain's.
 */

export interface RpcFindings {
  url?: string;
  /** Records the live chain has beyond the bundle's head, per subject. */
  recordsAddedSince: Record<string, number>;
  /** Membership changes on chain after the bundle's history ends. */
  membershipChangesSince: number;
  /** Records committed after the export block, per subject, by kind and block. */
  laterRecords: Record<string, { kind: string; blockNumber: number }[]>;
  errors: string[];
}

/** The live chain could not be reached. */
export class RpcUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RpcUnavailableError";
  }
}

const lower = (s: string): string => s.toLowerCase();
const short = (h: string): string => (h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h);

const CONCURRENCY = 16;
/** Default for `--rpc-timeout`: an unanswered request is given up after this long. */
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;
/** A node's answer larger than this is refused (a hostile endpoint could stream forever). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

async function inChunks<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) await Promise.all(items.slice(i, i + CONCURRENCY).map(fn));
}

/**
 * HTTP(S) transport for the verifier's provider: every request has a hard deadline after which
 * its socket is destroyed (so an endpoint that accepts and never answers cannot keep the process
 * alive), and answers are size-limited.
 */
function boundedGetUrl(timeoutMs: number, url: string): FetchGetUrlFunc {
  return (req, signal) =>
    new Promise<GetUrlResponse>((resolve, reject) => {
      const target = new URL(req.url);
      const mod = target.protocol === "https:" ? https : target.protocol === "http:" ? http : null;
      if (!mod) return reject(new Error(`unsupported protocol ${target.protocol} (use http or https)`));
      const headers: Record<string, string> = {};
      for (const [k, v] of req) headers[k] = v;
      const r = mod.request(target, { method: req.method, headers });
      const fail = (message: string): void => {
        r.destroy();
        reject(new Error(message));
      };
      const timer = setTimeout(
        () => fail(`${url} did not answer within ${+(timeoutMs / 1000).toFixed(1)} s (--rpc-timeout)`),
        timeoutMs,
      );
      signal?.addListener(() => fail("request cancelled"));
      r.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      r.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            clearTimeout(timer);
            fail(`${url} sent an answer larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`);
          } else chunks.push(c);
        });
        res.on("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
        res.on("end", () => {
          clearTimeout(timer);
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h[k] = v;
          resolve({
            statusCode: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? "",
            headers: h,
            body: Buffer.concat(chunks),
          });
        });
      });
      if (req.body) r.write(Buffer.from(req.body));
      r.end();
    });
}

async function connect(
  rpc: string | Provider,
  chainId: bigint,
  timeoutMs: number,
): Promise<{ provider: Provider; url?: string; own: boolean }> {
  if (typeof rpc !== "string") return { provider: rpc, own: false };
  let request: FetchRequest;
  try {
    request = new FetchRequest(rpc);
    new URL(rpc);
  } catch {
    throw new RpcUnavailableError(`--rpc ${oneLine(rpc, 80)} is not a URL`);
  }
  request.timeout = timeoutMs;
  request.getUrlFunc = boundedGetUrl(timeoutMs, rpc);
  const provider = new JsonRpcProvider(request, undefined, { staticNetwork: Network.from(chainId), batchMaxCount: 50 });
  try {
    await provider.send("eth_chainId", []);
  } catch (e) {
    provider.destroy();
    throw new RpcUnavailableError(`cannot reach ${rpc}: ${rpcReason(e)}`);
  }
  return { provider, url: rpc, own: true };
}

/** The short reason of an ethers/transport error, on one line. */
function rpcReason(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string; error?: { message?: string } };
  return oneLine(err.error?.message ?? err.shortMessage ?? err.message ?? String(e), 160);
}

/** Checks the bundle against a live chain: same records in the same transactions, same blocks, current heads. */
export async function checkAgainstChain(
  b: EvidenceBundle,
  rpc: string | Provider,
  opts: { timeoutMs?: number } = {},
): Promise<RpcFindings> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  const { provider, url, own } = await connect(rpc, BigInt(b.chainId), timeoutMs);
  const found: RpcFindings = { url, recordsAddedSince: {}, laterRecords: {}, membershipChangesSince: 0, errors: [] };
  const errors = found.errors;
  try {
    let liveChainId: bigint;
    try {
      liveChainId = (await provider.getNetwork()).chainId;
    } catch (e) {
      throw new RpcUnavailableError(`cannot read the chain id: ${(e as Error).message}`);
    }
    if (liveChainId !== BigInt(b.chainId)) {
      errors.push(`the node is on chain ${liveChainId}, the bundle on chain ${b.chainId}`);
      return found;
    }
    const ledger = getAddress(b.ledger);
    if ((await provider.getCode(ledger)) === "0x") {
      errors.push(`there is no contract at the ledger address ${ledger}`);
      return found;
    }

    // Records: each in its transaction, at its log, in its block.
    const all: { label: string; subject: string; r: BundleRecord }[] = [];
    for (const s of b.subjects)
      s.records.forEach((r, i) => all.push({ label: `${s.role} record ${i}`, subject: s.subject, r }));
    b.batches.forEach((x, i) => all.push({ label: `batch root ${i}`, subject: x.subject, r: x.record }));
    await inChunks(all, async ({ label, subject, r }) => {
      const receipt = await provider.getTransactionReceipt(r.txHash);
      if (!receipt) return void errors.push(`${label}: transaction ${short(r.txHash)} is not on the chain`);
      if (receipt.status !== 1) errors.push(`${label}: transaction ${short(r.txHash)} reverted`);
      if (receipt.blockNumber !== r.blockNumber || lower(receipt.blockHash) !== lower(r.blockHash)) {
        errors.push(
          `${label}: the chain has it in block ${receipt.blockNumber}, the bundle says block ${r.blockNumber}`,
        );
      }
      const expected = ledgerInterface.encodeEventLog("RecordCommitted", [
        subject,
        r.kind.id,
        r.proposer,
        r.contentHash,
        r.attrs,
        r.prev,
        r.head,
        r.attestation.id,
        BigInt(r.issuedAt),
        BigInt(r.deadline),
        r.endorsements,
      ]);
      const log = receipt.logs.find((l) => l.index === r.logIndex);
      const same =
        log !== undefined &&
        lower(log.address) === lower(ledger) &&
        lower(log.data) === lower(expected.data) &&
        log.topics.length === expected.topics.length &&
        log.topics.every((t, k) => lower(t) === lower(expected.topics[k]));
      if (!same) errors.push(`${label}: its transaction's RecordCommitted log differs from the bundle's record`);
    });
    const blockNumbers = [...new Set(all.map((x) => x.r.blockNumber))];
    const byNumber = new Map(all.map((x) => [x.r.blockNumber, x] as const));
    await inChunks(blockNumbers, async (n) => {
      const block = await provider.getBlock(n);
      const { label, r } = byNumber.get(n)!;
      if (!block) return void errors.push(`${label}: block ${n} does not exist`);
      if (block.timestamp !== r.timestamp) {
        errors.push(`${label}: block ${n} has timestamp ${block.timestamp} on chain, ${r.timestamp} in the bundle`);
      }
      if (lower(block.hash ?? "") !== lower(r.blockHash)) errors.push(`${label}: block ${n} has another hash on chain`);
    });

    // Trails: vote and fact transactions are on the chain where the bundle says.
    const trails: { label: string; hash: string; block: number }[] = [];
    for (const { label, r } of all) {
      if (r.votes) {
        trails.push({ label: `${label} proposal`, hash: r.votes.proposal.txHash, block: r.votes.proposal.blockNumber });
        r.votes.endorsements.forEach((v, i) =>
          trails.push({ label: `${label} vote ${i}`, hash: v.txHash, block: v.blockNumber }),
        );
      }
    }
    await inChunks(trails, async (t) => {
      const receipt = await provider.getTransactionReceipt(t.hash);
      if (!receipt || receipt.status !== 1 || receipt.blockNumber !== t.block) {
        errors.push(`${t.label}: transaction ${short(t.hash)} is not on the chain in block ${t.block}`);
      }
    });

    // The export point: the block the bundle says it was exported at is the chain's.
    const at = b.exportedAt;
    const exportBlock = await provider.getBlock(at.blockNumber);
    if (!exportBlock) errors.push(`exportedAt: block ${at.blockNumber} does not exist on the chain`);
    else if (lower(exportBlock.hash ?? "") !== lower(at.blockHash) || exportBlock.timestamp !== at.timestamp)
      errors.push(`exportedAt: block ${at.blockNumber} has another hash or timestamp on the chain`);

    // Completeness: every record of the bundle's subjects up to the export block is in the bundle;
    // records after it are listed by kind.
    for (const s of b.subjects) {
      const logs = await provider.getLogs({
        address: ledger,
        topics: [TOPIC.RecordCommitted, s.subject],
        fromBlock: 0,
      });
      logs.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
      const label = `${s.role} chain ${short(s.subject)}`;
      const upTo = logs.filter((l) => l.blockNumber <= at.blockNumber);
      const later = logs.filter((l) => l.blockNumber > at.blockNumber);
      const heads = upTo.map((l) => lower(ledgerInterface.parseLog(l)!.args.head as string));
      const inBundle = new Set(s.records.map((r) => lower(r.head)));
      const missing = upTo.filter((_, i) => !inBundle.has(heads[i]));
      if (missing.length > 0) {
        errors.push(
          `${label}: the bundle leaves out ${missing.length} record(s) committed at or before its export block ${at.blockNumber}: ${describeLogs(missing)}`,
        );
      }
      const live = new Set(heads);
      for (const r of s.records)
        if (!live.has(lower(r.head)))
          errors.push(`${label}: record ${r.index} is not on the chain by the export block`);
      found.recordsAddedSince[s.subject] = later.length;
      if (later.length > 0) found.laterRecords[s.subject] = later.map(kindOfLog);
    }

    // Membership and modules: the bundle's history is the chain's, up to the export.
    const memberLogs = await provider.getLogs({
      address: ledger,
      topics: [[TOPIC.MemberAdmitted, TOPIC.MemberRemoved]],
      fromBlock: 0,
    });
    memberLogs.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
    b.membership.forEach((m, i) => {
      const l = memberLogs[i];
      const e = l ? ledgerInterface.parseLog(l) : null;
      const same =
        e !== null &&
        e.name === m.type &&
        lower(e.args.account) === lower(m.account) &&
        Number(e.args.role) === m.role.id &&
        Number(e.args.seq) === m.seq &&
        l.blockNumber === m.blockNumber &&
        l.index === m.logIndex &&
        (m.type === "MemberRemoved" || lower(e.args.encryptionKey) === lower(m.encryptionKey ?? ""));
      if (!same) errors.push(`membership[${i}] (${m.type} ${m.account}) differs from the chain's membership history`);
    });
    // Changes the bundle leaves out must all come after its export, or the history hides one.
    for (const l of memberLogs.slice(b.membership.length)) {
      if (l.blockNumber <= at.blockNumber) {
        const e = ledgerInterface.parseLog(l)!;
        errors.push(
          `the membership history omits ${e.name} ${e.args.account} at block ${l.blockNumber}, at or before the export block ${at.blockNumber}`,
        );
      }
    }
    found.membershipChangesSince = Math.max(0, memberLogs.length - b.membership.length);
    const moduleLogs = await provider.getLogs({ address: ledger, topics: [TOPIC.ModuleSet], fromBlock: 0 });
    moduleLogs.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
    b.modules.forEach((m, i) => {
      const l = moduleLogs[i];
      const e = l ? ledgerInterface.parseLog(l) : null;
      const same =
        e !== null &&
        lower(e.args.module) === lower(m.module) &&
        e.args.enabled === m.enabled &&
        l.blockNumber === m.blockNumber &&
        l.index === m.logIndex;
      if (!same) errors.push(`modules[${i}] (${m.module}) differs from the chain's module history`);
    });

    if (b.case) await checkCaseOnChain(b, provider, errors);
  } catch (e) {
    if (e instanceof RpcUnavailableError) throw e;
    throw new RpcUnavailableError(`the live chain${url ? ` ${url}` : ""} failed during the check: ${rpcReason(e)}`);
  } finally {
    if (own) (provider as JsonRpcProvider).destroy();
  }
  return found;
}

async function checkCaseOnChain(b: EvidenceBundle, provider: Provider, errors: string[]): Promise<void> {
  const c = b.case!;
  const caseTopic = "0x" + BigInt(c.caseId).toString(16).padStart(64, "0");
  const opened = await provider.getLogs({ address: c.court, topics: [TOPIC.CaseOpened, caseTopic], fromBlock: 0 });
  const e = opened[0] ? courtInterface.parseLog(opened[0]) : null;
  if (!e) return void errors.push(`case ${c.caseId} was never opened at court ${c.court}`);
  const same =
    BigInt(e.args.loanId).toString() === c.loanId &&
    lower(e.args.arbitrator) === lower(c.arbitrator) &&
    lower(e.args.claimant) === lower(c.claimant) &&
    lower(e.args.frozenHead) === lower(c.frozenHead) &&
    lower(e.args.claimHash) === lower(c.claimHash) &&
    opened[0].blockNumber === c.openedBlock &&
    lower(opened[0].transactionHash) === lower(c.openedTxHash);
  if (!same) errors.push(`case ${c.caseId}: the bundle's case info differs from the CaseOpened event on chain`);
  const awards = await provider.getLogs({ address: c.court, topics: [TOPIC.AwardIssued, caseTopic], fromBlock: 0 });
  if (c.award) {
    const a = awards[0] ? courtInterface.parseLog(awards[0]) : null;
    const sameAward =
      a !== null &&
      lower(a.args.awardHash) === lower(c.award.awardHash) &&
      BigInt(a.args.amountOwed).toString() === c.award.amountOwed &&
      awards[0].blockNumber === c.award.blockNumber;
    if (!sameAward) errors.push(`case ${c.caseId}: the bundle's award differs from the AwardIssued event on chain`);
  }
}

function kindOfLog(l: Log): { kind: string; blockNumber: number } {
  return { kind: kindName(lower(l.topics[2])), blockNumber: l.blockNumber };
}

function describeLogs(logs: Log[]): string {
  const shown = logs.slice(0, 8).map((l) => `${kindName(lower(l.topics[2]))} (block ${l.blockNumber})`);
  return shown.join(", ") + (logs.length > shown.length ? `, and ${logs.length - shown.length} more` : "");
}
