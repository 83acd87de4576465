export * from "./crypto";
export * from "./documentStore";
export * from "./disclosure";
export * from "./manifest";
