/**
 * Evidence bundles: the format (`bundle`), the exporter, a case's bundle with full disclosure
 * (`caseBundle`), the offline/live verifier and the synthetic bundles used to measure it.
 * `./disclosure` (sealed documents from the document store) and `./cli` are imported on their own.
 */
export * from "./bundle";
export * from "./export";
export * from "./verify";
export * from "./synthetic";
export * from "./caseBundle";
