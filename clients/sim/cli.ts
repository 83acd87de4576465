/** One command-line option a script accepts. */
export interface OptionSpec {
  /** Long name without dashes, e.g. "loans" for `--loans`. */
  name: string;
  kind: "int" | "string" | "flag";
  description: string;
  default?: number | string | boolean;
  /** Inclusive bounds for `int` options. */
  min?: number;
  max?: number;
  /** Allowed values for `string` options. */
  choices?: readonly string[];
}

export type ParsedOptions = Record<string, number | string | boolean | undefined>;

/** Bad command-line input: the message says what is wrong and the usage says what is right. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `--name value`, `--name=value` and `--flag` options. Unknown options, missing values,
 * non-integers and out-of-range numbers are rejected with a message naming the option.
 * Positional arguments are returned in `_` order in `positional`.
 */
export function parseOptions(
  argv: readonly string[],
  specs: readonly OptionSpec[],
): {
  options: ParsedOptions;
  positional: string[];
} {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const options: ParsedOptions = {};
  for (const s of specs) options[s.name] = s.default;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`).join(", ");
      throw new UsageError(`unknown option ${arg.slice(0, eq < 0 ? undefined : eq)} (known: ${known})`);
    }
    if (spec.kind === "flag") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      raw = argv[i + 1];
      if (raw === undefined || raw.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    options[name] = convert(spec, raw);
  }
  return { options, positional };
}

function convert(spec: OptionSpec, raw: string): number | string {
  if (spec.kind === "int") {
    if (!/^-?[0-9]+$/.test(raw.replace(/_/g, "")))
      throw new UsageError(`--${spec.name} must be an integer, got "${raw}"`);
    const n = Number(raw.replace(/_/g, ""));
    if (!Number.isSafeInteger(n)) throw new UsageError(`--${spec.name} is too large: ${raw}`);
    if (spec.min !== undefined && n < spec.min)
      throw new UsageError(`--${spec.name} must be at least ${spec.min}, got ${n}`);
    if (spec.max !== undefined && n > spec.max)
      throw new UsageError(`--${spec.name} must be at most ${spec.max}, got ${n}`);
    return n;
  }
  if (raw.length === 0) throw new UsageError(`--${spec.name} must not be empty`);
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`--${spec.name} must be one of ${spec.choices.join(", ")}, got "${raw}"`);
  }
  return raw;
}

/** A usage text listing every option with its default. */
export function usage(command: string, specs: readonly OptionSpec[], extra = ""): string {
  const rows = specs.map((s) => {
    const left = s.kind === "flag" ? `--${s.name}` : `--${s.name} ${s.kind === "int" ? "N" : "VALUE"}`;
    const def = s.default === undefined || s.kind === "flag" ? "" : ` (default: ${String(s.default)})`;
    return `  ${left.padEnd(22)} ${s.description}${def}`;
  });
  return `usage: ${command}${extra}\n\noptions:\n${rows.join("\n")}\n  --help                 this text`;
}
