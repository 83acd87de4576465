/**
 * `npm run network` serves each member node's console beside its process (issue 14): a one-time
 * login link per node, the arbitrator's console reading the full disclosure its node process
 * received on its endpoint (not a folder), a bank's console reading the review decisions its
 * process keeps.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { NetworkHandle, formatConsoles, startNetwork } from "../../clients/network/supervisor";
import { receivedDisclosures } from "../../clients/network/arbitrator";
import { nodeDir } from "../../clients/network/config";
import { loadOrCreateSecrets } from "../../clients/network/secrets";
import { DocumentStore } from "../../clients/store";
import { Kind } from "../../clients/core/types";
import type { RunningConsole } from "../../clients/console/server";
import { ConsoleClient } from "./client";
import { NET_SCENARIO, alive } from "../helpers/network";

// As in test/network: the third loan defaults and the lead takes it to arbitration.
const SCENARIO = NET_SCENARIO;

describe("console: one per member node of a network", function () {
  this.timeout(400_000);
  let dir: string;
  let net: NetworkHandle | undefined;
  const pids = new Set<number>();
  const lines: string[] = [];

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-net-console-"));
    net = await startNetwork({ dir, scenario: SCENARIO, consoles: true, log: (l) => lines.push(l) });
    pids.add(net.anvil.pid);
    for (const n of net.config.nodes) pids.add(net.pid(n.id)!);
    await net.runScenario(() => undefined);
  });

  after(async function () {
    await net?.stop();
    for (const p of pids) if (alive(p)) process.kill(p, "SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const consoleOf = (id: string): RunningConsole => {
    const c = net!.consoles.find((x) => x.spec.id === id)!;
    return { url: c.url, loginUrl: c.loginUrl, port: Number(new URL(c.url).port), close: c.close };
  };

  it("serves a console for every member node on 127.0.0.1 and prints each one-time login link", async function () {
    expect(net!.consoles.map((c) => c.spec.id)).to.deep.equal([
      "lead",
      "partner-1",
      "partner-2",
      "partner-3",
      "arbitrator",
    ]);
    const printed = formatConsoles(net!.consoles);
    for (const c of net!.consoles) {
      expect(new URL(c.url).hostname).to.equal("127.0.0.1");
      expect(printed).to.contain(c.loginUrl);
      expect(c.address.toLowerCase()).to.equal(
        net!.config.nodes.find((n) => n.id === c.spec.id)!.address!.toLowerCase(),
      );
    }
    // The borrowers' process is no member: it has no console.
    expect(printed).not.to.match(/^\s*borrowers\s/m);
    // Each link signs in once.
    const lead = new ConsoleClient(consoleOf("lead"));
    expect((await lead.login()).status).to.equal(303);
    expect((await new ConsoleClient(consoleOf("lead")).login()).status).to.not.equal(303);
    const page = await lead.page("/");
    expect(page.status).to.equal(200);
    expect(page.body).to.contain(net!.config.nodes.find((n) => n.id === "lead")!.name);
  });

  it("the arbitrator's console shows the disclosure its node process received on its endpoint", async function () {
    // What the node process received, as it keeps it in its store.
    const { secrets } = loadOrCreateSecrets(nodeDir(dir, "arbitrator"));
    const store = DocumentStore.open(path.join(nodeDir(dir, "arbitrator"), "store.db"), secrets.storeSecret);
    const received = receivedDisclosures(store);
    store.close();
    expect(received.length).to.be.greaterThan(0);
    const caseId = received[0].caseId;

    const arb = new ConsoleClient(consoleOf("arbitrator"));
    expect((await arb.login()).status).to.equal(303);
    const list = await arb.page("/");
    expect(list.body).to.contain(`Case ${caseId}`);
    const page = await arb.page(`/cases/${caseId}`);
    expect(page.status).to.equal(200);
    // The page shows every document of the full disclosure (docs/DISCLOSURE.md), each at its
    // record: the loan's and the case's, the borrower's credit decision (a record of the borrower's
    // credit chain) and the reminder notices (at the loan book's Reminder facts whose receipts bind
    // their hashes). None is ignored.
    const items = received.filter((p) => p.caseId === caseId).flatMap((p) => p.items);
    const of = (kind: string) => items.filter((i) => i.kind.toLowerCase() === kind.toLowerCase());
    expect(of(Kind.CreditDecision).length).to.be.greaterThan(0);
    expect(of(Kind.Reminder).length).to.be.greaterThan(0);
    expect(page.body).to.contain(`Disclosed documents (${items.length})`);
    expect(page.body).to.contain("Computed from the evidence");
    expect(page.body).not.to.contain("Ignored:");
    expect(page.body).to.match(
      /CreditDecision\s*<span class="dim">on the borrower&#39;s credit chain, record \d+<\/span>/,
    );
    const reminders = page.body.match(
      /Reminder\s*<span class="dim">on loan \d+, record \d+<\/span>\s*<span class="badge ok">/g,
    );
    expect(reminders ?? []).to.have.length(of(Kind.Reminder).length);
    expect(page.body).not.to.contain("DOES NOT MATCH ITS RECORD");
    // The verdict is the one `npx colend verify` gives this bundle.
    expect(page.body).to.contain("<strong>VERIFIED</strong>");
  });

  it("a partner's console lists the endorsements its node process refused, with the reason", async function () {
    const partner = new ConsoleClient(consoleOf("partner-1"));
    await partner.login();
    const page = await partner.page("/");
    expect(page.status).to.equal(200);
    // The scenario's forged limit is refused by every partner (clients/sim/showcase.ts).
    expect(page.body).to.match(/refused/i);
  });
});
