import { expect } from "chai";
import http from "node:http";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { CaseState } from "../../clients/arbitration";
import { RunningConsole, startConsole } from "../../clients/console/server";
import { encryptionPrivateKey } from "../arbitration/fixture";
import { ConsoleClient } from "./client";
import { CLAIMED, consoleFixture } from "./fixture";

/**
 * The console over plain HTTP: who may see and do what. Every refused request must say why and
 * leave the chain as it was.
 */
describe("console: sessions, CSRF and accounts", function () {
  let consoles: RunningConsole[] = [];

  async function setup() {
    const f = await loadFixture(consoleFixture);
    const arb = await startConsole({ desk: f.arbitratorDesk });
    const other = await startConsole({ desk: f.otherDesk });
    const bank = await startConsole({ desk: f.bankDesk });
    consoles.push(arb, other, bank);
    return { ...f, arb, other, bank };
  }

  afterEach(async function () {
    await Promise.all(consoles.map((c) => c.close()));
    consoles = [];
  });

  async function caseState(f: Awaited<ReturnType<typeof setup>>) {
    const info = await f.court.caseInfo(f.caseId);
    return { state: Number(info.state), amountOwed: info.amountOwed };
  }

  it("listens on 127.0.0.1 only and prints a one-time login link", async function () {
    const { arb } = await setup();
    expect(arb.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(arb.loginUrl).to.match(/\/login\?token=[0-9a-f]{64}$/);
  });

  it("without a session: every page and action is refused with 401 and changes nothing", async function () {
    const f = await setup();
    const anon = new ConsoleClient(f.arb);
    for (const p of ["/", `/cases/${f.caseId}`, `/cases/${f.caseId}/bundle.json`]) {
      const r = await anon.request("GET", p);
      expect(r.status, p).to.equal(401);
      expect(r.body).to.contain("not signed in");
    }
    const before = await caseState(f);
    const r = await anon.request("POST", `/cases/${f.caseId}/award`, {
      form: { outcome: "upheld", amount: "9000", reasons: "x", csrf: "0".repeat(64) },
    });
    expect(r.status).to.equal(401);
    expect(await caseState(f)).to.deep.equal(before);
    expect(before.state).to.equal(CaseState.Open);
    // The stylesheet needs no session (it holds nothing of the node).
    expect((await anon.request("GET", "/assets/console.css")).status).to.equal(200);
  });

  it("the login link works once; a wrong token is refused; the cookie is HttpOnly and SameSite", async function () {
    const f = await setup();
    const wrong = new ConsoleClient(f.arb);
    const bad = await wrong.login(f.arb.loginUrl.replace(/token=.*/, "token=" + "ab".repeat(32)));
    expect(bad.status).to.equal(403);
    expect(bad.body).to.contain("login link is wrong or was already used");
    const me = new ConsoleClient(f.arb);
    const ok = await me.login();
    expect(ok.status).to.equal(303);
    expect(ok.setCookie)
      .to.match(/HttpOnly/)
      .and.to.match(/SameSite=Strict/);
    expect((await me.page("/")).status).to.equal(200);
    const again = await new ConsoleClient(f.arb).login();
    expect(again.status).to.equal(403);
    expect(again.setCookie).to.equal(null);
  });

  it("a wrong or missing CSRF token, or a cross-site origin, is refused with 403 and changes nothing", async function () {
    const f = await setup();
    const me = new ConsoleClient(f.arb);
    await me.login();
    await me.page(`/cases/${f.caseId}`);
    const before = await caseState(f);
    const form = { outcome: "upheld", amount: "9,000.00", reasons: "the claim is proven" };
    const wrong = await me.request("POST", `/cases/${f.caseId}/award`, { form: { ...form, csrf: "00".repeat(32) } });
    expect(wrong.status).to.equal(403);
    expect(wrong.body).to.contain("CSRF token is missing or wrong");
    const missing = await me.request("POST", `/cases/${f.caseId}/award`, { form });
    expect(missing.status).to.equal(403);
    const cross = await me.post(`/cases/${f.caseId}/award`, form, { origin: "http://evil.example" });
    expect(cross.status).to.equal(403);
    expect(cross.body).to.contain("cross-site request");
    const json = await me.request("POST", `/cases/${f.caseId}/award`, {
      form: { ...form, csrf: me.csrf! },
      headers: { "content-type": "application/json" },
    });
    expect(json.status).to.equal(415);
    expect(await caseState(f)).to.deep.equal(before);
    // The bank's claim button is guarded the same way.
    const bank = new ConsoleClient(f.bank);
    await bank.login();
    await bank.page("/");
    const claimable = (await f.claimant.position()).claimable;
    expect(claimable).to.be.greaterThan(0n);
    const r = await bank.request("POST", "/claim", { form: { csrf: "11".repeat(32) } });
    expect(r.status).to.equal(403);
    expect((await f.claimant.position()).claimable).to.equal(claimable);
  });

  it("a request for another host name (DNS rebinding) is refused", async function () {
    const f = await setup();
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${f.arb.url}/`, { headers: { host: `attacker.example:${f.arb.port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on("error", reject);
    });
    expect(status).to.equal(421);
  });

  it("an account that is not the case's arbitrator sees no case and cannot rule: 403, nothing changed", async function () {
    const f = await setup();
    const other = new ConsoleClient(f.other);
    await other.login();
    const list = await other.page("/");
    expect(list.body).to.contain("No case is assigned to this arbitrator");
    const page = await other.page(`/cases/${f.caseId}`);
    expect(page.status).to.equal(403);
    expect(page.body).to.contain(`case ${f.caseId} is assigned to`);
    expect((await other.request("GET", `/cases/${f.caseId}/bundle.json`)).status).to.equal(403);
    const before = await caseState(f);
    const r = await other.post(`/cases/${f.caseId}/award`, {
      outcome: "dismissed",
      amount: "",
      reasons: "not my case",
    });
    expect(r.status).to.equal(403);
    expect(r.body).to.contain("not to this arbitrator");
    expect(await caseState(f)).to.deep.equal(before);
    expect((await other.request("GET", "/cases/99")).status).to.equal(404);
  });

  it("bad rulings get a clear 400 and change nothing", async function () {
    const f = await setup();
    const me = new ConsoleClient(f.arb);
    await me.login();
    await me.page(`/cases/${f.caseId}`);
    const before = await caseState(f);
    const cases: [Record<string, string>, string][] = [
      [{ outcome: "maybe", amount: "1", reasons: "r" }, "choose an outcome"],
      [{ outcome: "upheld", amount: "", reasons: "r" }, "needs the amount owed"],
      [{ outcome: "upheld", amount: "12.345", reasons: "r" }, "at most 2 decimals"],
      [{ outcome: "upheld", amount: "abc", reasons: "r" }, "not a CNY amount"],
      [{ outcome: "upheld", amount: "0", reasons: "r" }, "more than zero"],
      [{ outcome: "upheld", amount: "100", reasons: "  " }, "needs its reasons"],
      [{ outcome: "dismissed", amount: "5", reasons: "r" }, "awards nothing"],
      [{ outcome: "partly-upheld", amount: "20,000.00", reasons: "r" }, "less than the ¥20,000.00 claimed"],
      [{ outcome: "upheld", amount: "19,000.00", reasons: "r" }, "the evidence supports at most ¥"],
      [{ outcome: "upheld", amount: "20,000.01", reasons: "r" }, "more than the ¥20,000.00 claimed"],
    ];
    for (const [form, message] of cases) {
      const r = await me.post(`/cases/${f.caseId}/award`, form);
      expect(r.status, JSON.stringify(form)).to.equal(400);
      expect(r.body, JSON.stringify(form)).to.contain(message.replace(/'/g, "&#39;"));
    }
    const empty = await me.post(`/cases/${f.caseId}/disclosure-request`, { text: " " });
    expect(empty.status).to.equal(400);
    expect((await me.post("/cases/1/nonsense", {})).status).to.equal(404);
    expect(await caseState(f)).to.deep.equal(before);
    expect(CLAIMED).to.equal(2_000_000n);
  });

  it("a bank with nothing to claim is told so", async function () {
    const f = await setup();
    await f.claimant.claim();
    const bank = new ConsoleClient(f.bank);
    await bank.login();
    const page = await bank.page("/");
    expect(page.body).to.match(/<button type="submit" disabled>/);
    const r = await bank.post("/claim", {});
    expect(r.status).to.equal(400);
    expect(r.body).to.contain("nothing to claim");
  });

  it("no page or download carries the node's keys", async function () {
    const f = await setup();
    const me = new ConsoleClient(f.arb);
    await me.login();
    const bodies = [
      (await me.page("/")).body,
      (await me.page(`/cases/${f.caseId}`)).body,
      (await me.request("GET", `/cases/${f.caseId}/bundle.json`)).body,
      (await me.request("GET", `/cases/${f.caseId}/report.txt`)).body,
      (await me.request("GET", `/cases/${f.caseId}/report.json`)).body,
    ];
    const key = encryptionPrivateKey(f.fx.arbitrator.address).slice(2).toLowerCase();
    for (const b of bodies) expect(b.toLowerCase()).not.to.contain(key);
    expect(bodies[1]).to.contain("DOES NOT MATCH ITS RECORD");
  });
});
