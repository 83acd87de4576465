import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { CaseState, Outcome } from "../../clients/arbitration";
import { RunningConsole, startConsole } from "../../clients/console/server";
import { cny } from "../../clients/lending";
import { consoleFixture } from "./fixture";

/** Debian's chromium; CI installs it (.ci/run). Nothing here downloads a browser. */
const CHROMIUM = process.env.COLEND_CHROMIUM ?? "/usr/bin/chromium";
/** `COLEND_SCREENSHOTS=1` refreshes the committed screenshots in docs/img; otherwise they go to a temporary folder. */
const SCREENSHOTS =
  process.env.COLEND_SCREENSHOTS === "1"
    ? path.join(__dirname, "../../docs/img")
    : path.join(os.tmpdir(), "colend-console-screenshots");

/**
 * The two journeys of the console in a real browser (Chromium driven by playwright-core): an
 * arbitrator finds a doctored document flagged and rules; a bank reads why its node refused an
 * endorsement and claims its money. Screenshots of the pages go to docs/img/.
 */
describe("console: in a browser", function () {
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let consoles: RunningConsole[] = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(
        `    skipped: no Chromium at ${CHROMIUM} (install Debian's chromium package, or set COLEND_CHROMIUM)`,
      );
      this.skip();
    }
    const { chromium } = await import("playwright-core");
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "colend-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 800 },
    });
  });

  after(async function () {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  afterEach(async function () {
    await Promise.all(consoles.map((c) => c.close()));
    consoles = [];
    for (const p of context?.pages() ?? []) await p.close();
  });

  async function open(c: RunningConsole): Promise<Page> {
    consoles.push(c);
    const page = await context!.newPage();
    await page.goto(c.loginUrl);
    return page;
  }

  /** The element's text with runs of white space as one space. */
  async function textOf(locator: Locator): Promise<string> {
    return ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
  }

  /** A JPEG of the page (its first `height` pixels), small enough to commit. */
  async function shoot(page: Page, name: string, height = 2_000): Promise<void> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const full = await page.locator("body").evaluate((b) => b.scrollHeight);
    await page.screenshot({
      path: path.join(SCREENSHOTS, name),
      type: "jpeg",
      quality: 45,
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: Math.min(full, height) },
    });
  }

  it("an arbitrator opens a case, sees the doctored document flagged, rules, and the award is on chain", async function () {
    const f = await loadFixture(consoleFixture);
    const c = await startConsole({ desk: f.arbitratorDesk });
    const page = await open(c);

    expect(await textOf(page.locator("h1"))).to.contain("Cases assigned to Arbitration Commission 1");
    await shoot(page, "console-arbitrator-cases.jpg");

    // Keyboard: tab to the case link and open it.
    const link = page.getByRole("link", { name: `Case ${f.caseId}` });
    await link.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/cases/${f.caseId}`);

    const verdict = page.locator(".verdict");
    expect(await textOf(verdict)).to.contain("FAILED");
    const doctored = page.locator("article.doc.bad");
    expect(await doctored.count()).to.equal(1);
    const text = await textOf(doctored);
    expect(text).to.contain("Reminder");
    expect(text).to.contain("DOES NOT MATCH ITS RECORD");
    expect(text).to.contain("refused to open it: item 0: document does not hash to its content hash");
    expect(await page.locator("article.doc:not(.bad)").count()).to.equal(f.disclosed.length - 1);
    const reminderRow = page.locator("table.timeline tr.bad", { hasText: "Reminder" });
    expect(await reminderRow.count()).to.equal(1);
    expect(await textOf(page.locator("#claimed"))).to.contain("¥20,000.00");
    // The amount the arbitrator node computes from the verified contract and the chain.
    const computed = await textOf(page.locator("#computed"));
    expect(computed).to.match(/¥[0-9,]+\.\d\d owed at/);
    expect(computed).to.contain("partly upheld");
    await shoot(page, "console-arbitrator-case.jpg", 1_560);

    // Rule: partly upheld, with reasons, using the keyboard for the outcome.
    await page.getByLabel("Partly upheld").check();
    await page.getByLabel("Amount owed").fill("7,500.00");
    await page
      .getByLabel("Reasons")
      .fill("The default is proven by the loan's chain; the reminder notice disclosed does not match its record.");
    await page.getByRole("button", { name: "Issue the award on chain" }).press("Enter");
    await page.waitForSelector(".flash");
    expect(await textOf(page.locator(".flash"))).to.contain("Award issued on chain");
    expect(await textOf(page.locator("#award"))).to.contain("Partly upheld: ¥7,500.00 owed");

    const info = await f.court.caseInfo(f.caseId);
    expect(Number(info.state)).to.equal(CaseState.Awarded);
    expect(info.amountOwed).to.equal(cny(7_500));
    expect(Number(info.outcome)).to.equal(Outcome.PartlyUpheld);
    // The award is a record on the case's chain, and the bundle now carries it.
    const bundle = await (await page.request.get(`${c.url}/cases/${f.caseId}/bundle.json`)).json();
    expect(bundle.case.award.amountOwed).to.equal(cny(7_500).toString());
    expect(await page.locator("form[action$='/award']").count()).to.equal(0);
  });

  it("a bank sees the endorsement it refused with its reason, and claims its money", async function () {
    const f = await loadFixture(consoleFixture);
    const page = await open(await startConsole({ desk: f.bankDesk }));
    expect(await textOf(page.locator("h1"))).to.contain("Partner 1: loan book");

    const refused = page.locator("table.decisions tr.bad");
    expect(await refused.count()).to.equal(1);
    const row = await textOf(refused);
    expect(row).to.contain("OutsideLoan");
    expect(row).to.contain("refused");
    expect(row).to.contain("an active loan with no amount");
    expect(await page.locator("table.decisions .badge.ok").count()).to.be.greaterThan(0);
    expect(await textOf(page.locator("#arrears + table, #arrears ~ table").first())).to.contain("loan 1");
    expect(await textOf(page.locator("#npl"))).to.match(/\d+\.\d\d%/);
    expect(await page.locator("svg.chart path.line.npl").getAttribute("d")).to.match(/^M/);

    const claimable = (await f.claimant.position()).claimable;
    expect(claimable).to.be.greaterThan(0n);
    const before = await f.claimant.balance();
    await shoot(page, "console-bank.jpg", 1_450);

    const claim = page.getByRole("button", { name: /^Claim / });
    await claim.focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector(".flash");
    expect(await textOf(page.locator(".flash"))).to.contain("Claimed");
    expect(await textOf(page.locator("#claimable"))).to.equal("¥0.00");
    expect(await f.claimant.balance()).to.equal(before + claimable);
    expect((await f.claimant.position()).claimable).to.equal(0n);
  });
});
