// Regenerate what the frontend takes from the back end, without a running server:
//   src/api/openapi.json + src/api/schema.d.ts   (the typed API client, openapi-typescript)
//   src/auth/role-permissions.json               (the role permission matrix, for navigation)
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const src = resolve(here, "..", "src");
const python = process.env.PYTHON ?? resolve(root, ".venv/bin/python");

function dump(what) {
  return execFileSync(python, [resolve(here, "dump_openapi.py"), what], {
    cwd: root,
    env: { ...process.env, FASTLINE_LOG_JSON: "0" },
    maxBuffer: 64 * 1024 * 1024,
  });
}

writeFileSync(resolve(src, "api", "openapi.json"), dump("openapi"));
writeFileSync(resolve(src, "auth", "role-permissions.json"), dump("permissions"));
execFileSync(
  resolve(here, "..", "node_modules", ".bin", "openapi-typescript"),
  [resolve(src, "api", "openapi.json"), "-o", resolve(src, "api", "schema.d.ts")],
  { stdio: "inherit" },
);
