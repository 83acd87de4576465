export * from "./arbitratorNode";
export * from "./claimant";
export * from "./deploy";
