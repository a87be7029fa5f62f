import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { envOption, parsePort } from "../functions/node/options.ts";

function parse(env: NodeJS.ProcessEnv, argv: string[]) {
  const p = new Command().exitOverride();
  p.addOption(
    envOption(
      { flags: "--model <dir>", description: "m", env: ["REVRISK_MODEL", "MODEL_PATH"], default: "d" },
      env,
    ),
  );
  p.addOption(
    envOption({ flags: "--force-http", description: "f", env: ["FORCE_HTTP"], default: false }, env),
  );
  p.addOption(
    envOption({ flags: "--port <port>", description: "p", env: ["PORT"], default: 1, parse: parsePort }, env),
  );
  p.parse(argv, { from: "user" });
  return p.opts();
}

describe("options with environment equivalents", () => {
  it("prefers the flag, then our variable, then LiftWing's alias, then the default", () => {
    expect(parse({}, []).model).toBe("d");
    expect(parse({ MODEL_PATH: "/mnt/models" }, []).model).toBe("/mnt/models");
    expect(parse({ MODEL_PATH: "/a", REVRISK_MODEL: "/b" }, []).model).toBe("/b");
    expect(parse({ REVRISK_MODEL: "/b" }, ["--model", "/c"]).model).toBe("/c");
  });

  it("parses booleans and ports from the environment, with clear errors", () => {
    expect(parse({ FORCE_HTTP: "True" }, []).forceHttp).toBe(true);
    expect(parse({ PORT: "8080" }, []).port).toBe(8080);
    expect(() => parse({ PORT: "eighty" }, [])).toThrow(/PORT.*invalid port/);
    expect(() => parse({ FORCE_HTTP: "maybe" }, [])).toThrow(/FORCE_HTTP.*boolean/);
  });
});
