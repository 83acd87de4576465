/**
 * The console's pages: server-rendered HTML, no script. Every value is escaped; forms carry the
 * session's CSRF token; tables have captions and header scopes; a skip link and visible focus make
 * them usable with the keyboard.
 */
import type {
  BankLoan,
  BookSnapshot,
  CaseSummary,
  CaseView,
  Commitment,
  DecisionRow,
  DisclosedDocument,
  TimelineRow,
} from "./adapter";
import { CLASS_NAMES, OUTCOMES, fmtCny } from "./adapter";
import { lineChart } from "./chart";
import { OUTCOME_NAMES, Outcome } from "../arbitration/arbitratorNode";

/** A block time (seconds) as ISO 8601 UTC without milliseconds. */
function isoSeconds(t: bigint): string {
  return new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");
}

export interface Identity {
  name: string;
  address: string;
  role: string;
}

export interface PageContext {
  csrf: string;
  flash?: string;
}

/** HTML-escapes interpolated values; nested `Html` is kept as is. */
class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    if (v instanceof Html) out += v.text;
    else if (Array.isArray(v)) out += v.map((x) => (x instanceof Html ? x.text : esc(x))).join("");
    else if (v !== undefined && v !== null && v !== false) out += esc(v);
    out += strings[i + 1];
  });
  return new Html(out);
}

export const money = (units: bigint): string => fmtCny(units);
const pct = (bps: bigint | null): string => (bps === null ? "–" : `${(Number(bps) / 100).toFixed(2)}%`);
/** A rate in basis points as a percentage, decimals only where it has them (2%, 2.5%). */
const rate = (bps: bigint): string => `${Number(bps) / 100}%`;
const short = (h: string): string => `${h.slice(0, 10)}…${h.slice(-4)}`;

function layout(identity: Identity, title: string, ctx: PageContext | undefined, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · colend console</title>
        <link rel="stylesheet" href="/assets/console.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">colend console</a>
          <span class="who"
            ><strong>${identity.name}</strong> · ${identity.role} · <code>${identity.address}</code></span
          >
          ${ctx ? html`<form method="post" action="/logout" class="logout">${csrfField(ctx)}<button type="submit">Sign out</button></form>` : ""}
        </header>
        <main id="main" tabindex="-1">
          ${ctx?.flash ? html`<p class="flash" role="status">${ctx.flash}</p>` : ""} ${body}
        </main>
      </body>
    </html> `.text;
}

function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="csrf" value="${ctx.csrf}" />`;
}

export function errorPage(identity: Identity, status: number, message: string): string {
  const titles: Record<number, string> = {
    400: "Request refused",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    415: "Wrong form encoding",
    421: "Wrong host",
    500: "Something went wrong",
  };
  const title = titles[status] ?? `Error ${status}`;
  return layout(
    identity,
    title,
    undefined,
    html`<h1>${title}</h1>
      <p class="error" role="alert" id="error">${message}</p>
      <p><a href="/">Back to the start page</a></p>`,
  );
}

// ------------------------------------------------------------------ arbitrator

const STATUS_BADGE: Record<string, string> = { open: "warn", awarded: "ok", dismissed: "muted" };

export function casesPage(identity: Identity, ctx: PageContext, cases: CaseSummary[]): string {
  const rows = cases.map(
    (c) =>
      html`<tr>
        <th scope="row"><a href="/cases/${c.caseId}">Case ${c.caseId}</a></th>
        <td>loan ${c.loanId}</td>
        <td>${c.claimantName}</td>
        <td><span class="badge ${STATUS_BADGE[c.status]}">${c.status}</span></td>
        <td class="num">${c.openedBlock}</td>
        <td class="num">${c.status === "open" ? "–" : money(c.amountOwed)}</td>
      </tr>`,
  );
  const counts = ["open", "awarded", "dismissed"].map((s) => `${cases.filter((c) => c.status === s).length} ${s}`);
  return layout(
    identity,
    "Cases",
    ctx,
    html`<h1>Cases assigned to ${identity.name}</h1>
      <p>${counts.join(", ")}.</p>
      ${
        cases.length === 0
          ? html`<p>No case is assigned to this arbitrator.</p>`
          : html`<table>
              <caption>
                Cases, newest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Case</th>
                  <th scope="col">Loan</th>
                  <th scope="col">Claimant</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">Filed in block</th>
                  <th scope="col" class="num">Awarded</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }`,
  );
}

const DOC_LABEL: Record<string, string> = { verified: "✓ matches", sealed: "sealed", none: "–", failed: "✗ FAILED" };

function timelineTable(rows: TimelineRow[], caption: string, frozenIndex: number | null): Html {
  const body = rows.map((r) => {
    const frozen = frozenIndex !== null && r.chain.startsWith("loan") && r.index === frozenIndex;
    return html`<tr
      class="${r.ok ? "" : "bad"} ${r.postFiling ? "post" : ""}"
      id="rec-${r.chain.replace(" ", "-")}-${r.index}"
    >
      <td class="num">${r.index}</td>
      <td>
        ${r.kind}${frozen ? html` <span class="badge info" title="the loan head frozen when the case was filed">frozen head</span>` : ""}${r.postFiling ? html` <span class="badge muted">after filing</span>` : ""}
      </td>
      <td><time>${r.time}</time><br /><span class="dim">block ${r.blockNumber}</span></td>
      <td>${r.proposerName}</td>
      <td>
        ${r.attestation}:
        ${r.endorsers.map((e, i) => html`${i > 0 ? ", " : ""}<span title="${e.address}">${e.name}</span>`)}
      </td>
      <td class="num">${r.quorum === null ? "fact" : `${r.signers ?? 0} of ${r.quorum}`}</td>
      <td>${DOC_LABEL[r.document]}</td>
      <td class="assent">
        ${r.assent === null ? html`<span class="dim">none needed</span>` : r.assent.ok ? html`<span class="badge ok">verified</span> ${r.assent.text}` : html`<span class="badge warn">not verified</span> ${r.assent.text}`}
      </td>
      <td>
        ${
          r.ok
            ? html`<span class="badge ok">verified</span>`
            : html`<span class="badge bad">FAILED</span>
                <ul class="reasons">
                  ${r.reasons.map((x) => html`<li>${x}</li>`)}
                </ul>`
        }
      </td>
    </tr>`;
  });
  return html`<table class="timeline">
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        <th scope="col" class="num">#</th>
        <th scope="col">Kind</th>
        <th scope="col">Time (UTC)</th>
        <th scope="col">Proposer</th>
        <th scope="col">Endorsed by</th>
        <th scope="col" class="num">Quorum</th>
        <th scope="col">Document</th>
        <th scope="col">Borrower's assent</th>
        <th scope="col">Verification</th>
      </tr>
    </thead>
    <tbody>
      ${body}
    </tbody>
  </table>`;
}

function documentCard(d: DisclosedDocument): Html {
  return html`<article class="doc ${d.verified ? "" : "bad"}" aria-labelledby="doc-${d.contentHash}">
    <h3 id="doc-${d.contentHash}">
      ${d.kind}
      <span class="dim">on ${d.subject}${d.record ? `, record ${d.record.index}` : ""}</span>
      ${d.verified ? html`<span class="badge ok">matches its record</span>` : html`<span class="badge bad">DOES NOT MATCH ITS RECORD</span>`}
    </h3>
    <p class="dim">content hash <code>${short(d.contentHash)}</code> · disclosed by ${d.from}</p>
    ${
      d.problems.length > 0
        ? html`<ul class="reasons" role="alert">
            ${d.problems.map((p) => html`<li>${p}</li>`)}
          </ul>`
        : ""
    }
    ${d.text === undefined ? html`<p class="error">The arbitrator node refused to open it: ${d.refused ?? "it does not open with this arbitrator's key"}.</p>` : html`<pre tabindex="0">${d.text}</pre>`}
  </article>`;
}

export function casePage(identity: Identity, ctx: PageContext, v: CaseView): string {
  const s = v.summary;
  const loanRows = v.timeline.filter((r) => r.chain.startsWith("loan"));
  const caseRows = v.timeline.filter((r) => r.chain.startsWith("case"));
  const creditRows = v.timeline.filter((r) => r.chain === "borrower");
  const failed = v.timeline.filter((r) => !r.ok).length;
  const verdict = v.report.ok
    ? html`<p class="verdict ok" role="status">
        <strong>VERIFIED</strong>: ${v.timeline.length} records, ${v.report.documents.verified} documents checked
        against their records; the loan chain reaches the head frozen at
        filing${v.postFiling > 0 ? ` (${v.postFiling} record(s) after it)` : ""}.
      </p>`
    : html`<div class="verdict bad" role="alert">
        <p>
          <strong>FAILED</strong>: ${v.report.errors.length} problem(s); ${failed} record(s) do not verify,
          ${v.report.documents.failed} document(s) do not match.
        </p>
        <ul class="reasons">
          ${v.report.errors.map((e) => html`<li>${e}</li>`)}
        </ul>
      </div>`;
  const claimed = v.claimed === null ? "not stated in the claim" : money(v.claimed);
  const a = v.assessment;
  const diff =
    v.claimed === null
      ? ""
      : v.claimed === a.supported
        ? html` <span class="badge ok">equal to the claim</span>`
        : html` <span class="badge warn"
            >${v.claimed > a.supported ? "below" : "above"} the claim by
            ${money(v.claimed > a.supported ? v.claimed - a.supported : a.supported - v.claimed)}</span
          >`;
  const open = s.status === "open";
  return layout(
    identity,
    `Case ${s.caseId}`,
    ctx,
    html`<p><a href="/">← All cases</a></p>
      <h1>Case ${s.caseId} <span class="badge ${STATUS_BADGE[s.status]}">${s.status}</span></h1>
      <dl class="facts">
        <dt>Loan</dt>
        <dd>${s.loanId}</dd>
        <dt>Claimant</dt>
        <dd>${s.claimantName} <code>${s.claimant}</code></dd>
        <dt>Filed</dt>
        <dd>block ${s.openedBlock}</dd>
        <dt>Frozen loan head</dt>
        <dd>
          <code>${v.frozenHead}</code>
          (${v.frozenIndex === null ? "not reached by the chain" : v.frozenIndex < 0 ? "empty chain" : `record ${v.frozenIndex}`};
          ${v.postFiling} record(s) after filing)
        </dd>
        <dt>Claimed</dt>
        <dd id="claimed">${claimed}</dd>
        <dt>Computed from the evidence</dt>
        <dd id="computed">
          ${money(a.supported)} owed at <time>${isoSeconds(a.at)}</time>${diff}; the node's reckoning:
          ${OUTCOME_NAMES[a.outcome]}${a.outcome === Outcome.Dismissed ? "" : html` for ${money(a.amountOwed)}`}
          <ul class="reasons dim">
            ${a.reasons.map((x) => html`<li>${x}</li>`)}
          </ul>
        </dd>
        ${
          v.award
            ? html`<dt>Award</dt>
                <dd id="award">
                  ${v.award.outcome ? OUTCOMES[v.award.outcome as keyof typeof OUTCOMES] : "issued"}:
                  ${money(v.award.amountOwed)}
                  owed${v.award.reasons ? html`<br /><span class="dim">${v.award.reasons}</span>` : ""}
                </dd>`
            : ""
        }
      </dl>
      <section aria-labelledby="verification">
        <h2 id="verification">Verification</h2>
        ${verdict}
        <p class="dim">
          Checked by the bundle verifier of <code>npx colend verify</code> in ${v.report.ms.toFixed(0)} ms; page built
          in ${v.loadedMs.toFixed(0)} ms. <a href="/cases/${s.caseId}/bundle.json" download>Download the bundle</a> ·
          <a href="/cases/${s.caseId}/report.txt" download>verification report</a> ·
          <a href="/cases/${s.caseId}/report.json" download>report (JSON)</a>
        </p>
        ${v.report.notes.map((n) => html`<p class="dim">note: ${n}</p>`)}
      </section>
      <section aria-labelledby="documents">
        <h2 id="documents">Disclosed documents (${v.documents.length})</h2>
        ${v.documents.length === 0 ? html`<p>The claimant has disclosed no document to this arbitrator yet.</p>` : v.documents.map(documentCard)}
        ${v.ignoredPackages.length > 0 ? html`<p class="error">Ignored: ${v.ignoredPackages.map((p, i) => html`${i > 0 ? "; " : ""}${p.file}: ${p.reason}`)}</p>` : ""}
      </section>
      <section aria-labelledby="timeline">
        <h2 id="timeline">Evidence timeline</h2>
        ${timelineTable(loanRows, `Loan ${s.loanId}: ${loanRows.length} records`, v.frozenIndex)}
        ${timelineTable(caseRows, `Case ${s.caseId}: ${caseRows.length} records`, null)}
        ${creditRows.length > 0 ? timelineTable(creditRows, `Borrower's credit chain (credit decisions and listings): ${creditRows.length} records`, null) : ""}
      </section>
      ${
        open
          ? html`<section aria-labelledby="rule">
                <h2 id="rule">Rule</h2>
                <form method="post" action="/cases/${s.caseId}/award" class="stack">
                  ${csrfField(ctx)}
                  <fieldset>
                    <legend>Outcome</legend>
                    ${Object.entries(OUTCOMES).map(([value, label]) => html`<label><input type="radio" name="outcome" value="${value}" required /> ${label}</label>`)}
                  </fieldset>
                  <label for="amount">Amount owed (CNY; not for a dismissal)</label>
                  <input
                    id="amount"
                    name="amount"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="e.g. 12,500.00"
                  />
                  <label for="reasons">Reasons</label>
                  <textarea id="reasons" name="reasons" rows="6" required></textarea>
                  <button type="submit">Issue the award on chain</button>
                </form>
              </section>
              <section aria-labelledby="more">
                <h2 id="more">Ask for more disclosure</h2>
                <form method="post" action="/cases/${s.caseId}/disclosure-request" class="stack">
                  ${csrfField(ctx)}
                  <label for="request">Documents the claimant should disclose</label>
                  <textarea id="request" name="text" rows="3" required></textarea>
                  <button type="submit">Send the request</button>
                </form>
                ${
                  v.disclosureRequests.length > 0
                    ? html`<ul>
                        ${v.disclosureRequests.map((r) => html`<li><time>${r.at}</time>: ${r.text}</li>`)}
                      </ul>`
                    : ""
                }
              </section>`
          : ""
      }`,
  );
}

// ------------------------------------------------------------------ bank

export function bankPage(
  identity: Identity,
  ctx: PageContext,
  d: {
    money: { balance: bigint; escrow: bigint; outstanding: bigint; nonPerforming: bigint; claimable: bigint };
    arrears: BankLoan[];
    history: BookSnapshot[];
    commitments: Commitment[];
    loans: BankLoan[];
    decisions: DecisionRow[];
  },
): string {
  const now = d.history[d.history.length - 1];
  const classRows = now.classes.map(
    (c) =>
      html`<tr>
        <th scope="row">${c.name}</th>
        <td class="num">${c.loans}</td>
        <td class="num">${money(c.balance)}</td>
        <td class="num">${rate(c.rateBps)}</td>
        <td class="num">${money(c.provision)}</td>
      </tr>`,
  );
  const chartPoints = d.history.map((h) => ({
    time: h.time,
    npl: h.nplBps === null ? null : Number(h.nplBps) / 100,
    coverage: h.coverageBps === null ? null : Number(h.coverageBps) / 100,
  }));
  const loanRow = (l: BankLoan) =>
    html`<tr>
      <th scope="row">loan ${l.loanId}${l.lead ? " (lead)" : ""}</th>
      <td>${l.status}</td>
      <td>${l.cls}</td>
      <td class="num">${money(l.myOutstanding)}</td>
      <td class="num">${l.daysPastDue}</td>
      <td class="num">${money(l.amountDue)}</td>
      <td>${l.stage}</td>
    </tr>`;
  const loanHead = html`<thead>
    <tr>
      <th scope="col">Loan</th>
      <th scope="col">Status</th>
      <th scope="col">Class</th>
      <th scope="col" class="num">Our principal out</th>
      <th scope="col" class="num">Days past due</th>
      <th scope="col" class="num">Due now</th>
      <th scope="col">Stage</th>
    </tr>
  </thead>`;
  return layout(
    identity,
    "Loan book",
    ctx,
    html`<h1>${identity.name}: loan book</h1>
      <section aria-labelledby="money">
        <h2 id="money">Money</h2>
        <dl class="facts">
          <dt>Settlement balance</dt>
          <dd>${money(d.money.balance)}</dd>
          <dt>In escrow for loans being funded</dt>
          <dd>${money(d.money.escrow)}</dd>
          <dt>Principal outstanding</dt>
          <dd>${money(d.money.outstanding)} (non-performing ${money(d.money.nonPerforming)})</dd>
          <dt>Claimable now</dt>
          <dd id="claimable">${money(d.money.claimable)}</dd>
        </dl>
        <form method="post" action="/claim">
          ${csrfField(ctx)}<button type="submit" ${d.money.claimable === 0n ? "disabled" : ""}>
            Claim ${money(d.money.claimable)}
          </button>
        </form>
      </section>
      <section aria-labelledby="book">
        <h2 id="book">Book by class</h2>
        <p>
          NPL ratio <strong id="npl">${pct(now.nplBps)}</strong> · provision coverage
          <strong id="coverage">${pct(now.coverageBps)}</strong> · provisions ${money(now.provisions)} (the loan book's
          rates:
          ${now.classes.map((c, i) => `${i > 0 ? ", " : ""}${c.name.toLowerCase()} ${rate(c.rateBps)}`).join("")})
        </p>
        <table>
          <caption>
            Our principal outstanding by loan class, now
          </caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col" class="num">Loans</th>
              <th scope="col" class="num">Balance</th>
              <th scope="col" class="num">Provision rate</th>
              <th scope="col" class="num">Provision</th>
            </tr>
          </thead>
          <tbody>
            ${classRows}
            <tr class="total">
              <th scope="row">Total</th>
              <td class="num">${now.classes.reduce((s, c) => s + c.loans, 0)}</td>
              <td class="num">${money(now.balance)}</td>
              <td></td>
              <td class="num">${money(now.provisions)}</td>
            </tr>
          </tbody>
        </table>
        <figure>
          ${new Html(lineChart(chartPoints, "NPL ratio and provision coverage over time"))}
          <figcaption>
            NPL ratio (non-performing over outstanding) and provision coverage (provisions over non-performing), at
            ${d.history.length} points from the deployment to now: after each change to the book (points whose state the
            chain node no longer keeps are left out).
          </figcaption>
        </figure>
      </section>
      <section aria-labelledby="arrears">
        <h2 id="arrears">Loans in arrears (${d.arrears.length})</h2>
        ${
          d.arrears.length === 0
            ? html`<p>No loan is in arrears.</p>`
            : html`<table>
                <caption>
                  Overdue, defaulted, in arbitration or awarded
                </caption>
                ${loanHead}
                <tbody>
                  ${d.arrears.map(loanRow)}
                </tbody>
              </table>`
        }
      </section>
      <section aria-labelledby="endorsements">
        <h2 id="endorsements">Endorsement requests (${d.decisions.length})</h2>
        ${
          d.decisions.length === 0
            ? html`<p>This node has reviewed no proposal yet.</p>`
            : html`<table class="decisions">
                <caption>
                  What this node signed or refused, newest first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Time (UTC)</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Proposer</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  ${d.decisions.map(
                    (x) =>
                      html`<tr class="${x.signed ? "" : "bad"}">
                        <td><time>${x.at}</time></td>
                        <td>${x.kind}</td>
                        <td>${x.subject}</td>
                        <td>${x.proposer}</td>
                        <td>
                          ${x.signed ? html`<span class="badge ok">signed</span>` : html`<span class="badge bad">refused</span>`}
                        </td>
                        <td>${x.reason}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>
      <section aria-labelledby="commitments">
        <h2 id="commitments">Funding commitments (${d.commitments.length})</h2>
        ${
          d.commitments.length === 0
            ? html`<p>No funding committed.</p>`
            : html`<table>
                <caption>
                  What we committed, per loan
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Loan</th>
                    <th scope="col" class="num">Committed by us</th>
                    <th scope="col" class="num">Funded / principal</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  ${d.commitments.map(
                    (c) =>
                      html`<tr>
                        <th scope="row">loan ${c.loanId}</th>
                        <td class="num">${money(c.committed)}</td>
                        <td class="num">${money(c.funded)} / ${money(c.principal)}</td>
                        <td>${c.status}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>
      <section aria-labelledby="loans">
        <h2 id="loans">All loans we fund (${d.loans.length})</h2>
        ${
          d.loans.length === 0
            ? html`<p>None.</p>`
            : html`<table>
                <caption>
                  Every loan with a share of ours
                </caption>
                ${loanHead}
                <tbody>
                  ${d.loans.map(loanRow)}
                </tbody>
              </table>`
        }
      </section>
      <p class="dim">Classes: ${CLASS_NAMES.join(", ")}.</p>`,
  );
}

export function signedOutPage(identity: Identity): string {
  return layout(
    identity,
    "Signed out",
    undefined,
    html`<h1>Signed out</h1>
      <p>Restart the console for a new one-time login link.</p>`,
  );
}
