/**
 * The web playground (web/): its production bundle holds no Node built-ins, and, end to end in
 * Debian's Chromium (driven by playwright-core), the explorer's presets and dragging, the layer
 * checker and the network inspector give the CLI's verdicts and messages, the phase chart draws,
 * and the page requests nothing outside its own origin. Screenshots go to test-artifacts/web/
 * (gitignored; docs/playground.png is a copy of playground.png).
 *
 * The browser tests are skipped (with a message) only when /usr/bin/chromium is absent; `.ci/run`
 * installs it. The CLI they compare against is dist/ (`npm test` builds it first).
 */

import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeNpy } from "../../src/io/npy.js";
import { noNodeBuiltins } from "../../web/no-node-builtins.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const CLI = join(ROOT, "dist/src/cli/main.js");
const ARTIFACTS = join(ROOT, "test-artifacts/web");

if (!HAS_CHROMIUM)
  console.warn(
    `tests/web/playground.test.ts: ${CHROMIUM} is absent, so the browser tests are SKIPPED (install it with apt-get install -y chromium; .ci/run does)`,
  );

/** Every file below `dir`. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesBelow(p) : [p];
  });
}

/** Builds the playground (web/vite.config.ts) into `outDir`. */
async function buildPlayground(outDir: string): Promise<void> {
  await build({
    configFile: join(ROOT, "web/vite.config.ts"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
}

/** Runs the CLI; returns stdout, stderr and the exit code. */
function cli(args: string[], cwd = ROOT): { stdout: string; stderr: string; status: number | null } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** A static file server for `dir` on 127.0.0.1 (a random port). */
async function serve(dir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = resolve(dir, "." + (path.endsWith("/") ? path + "index.html" : path));
    if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let outDir = "";
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "playground-"));
  await buildPlayground(outDir);
}, 180_000);
afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe("the playground bundle", () => {
  it("holds no Node built-in (nor Vite's stub for one)", () => {
    const files = filesBelow(outDir).filter((f) => /\.(js|html)$/.test(f));
    expect(files.some((f) => f.includes("check-worker"))).toBe(true);
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      expect(text, f).not.toMatch(/__vite-browser-external/);
      expect(text, f).not.toMatch(
        /(from\s*|import\s*\(\s*|require\s*\(\s*)["'`](node:)?(fs|path|os|child_process|worker_threads|module|buffer)(\/[a-z]+)?["'`]/,
      );
      expect(text, f).not.toMatch(/["'`]node:[a-z_]+/);
    }
  });

  it("cannot be built when a module imports a Node built-in", async () => {
    const dir = mkdtempSync(join(tmpdir(), "playground-bad-"));
    try {
      writeFileSync(join(dir, "index.html"), '<script type="module" src="./main.ts"></script>');
      writeFileSync(
        join(dir, "main.ts"),
        'import { readFileSync } from "node:fs";\nconsole.log(readFileSync);\n',
      );
      await expect(
        build({
          configFile: false,
          root: dir,
          logLevel: "silent",
          plugins: [noNodeBuiltins()],
          build: { outDir: join(dir, "dist"), write: false },
        }),
      ).rejects.toThrow(/imports the Node built-in "node:fs"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAS_CHROMIUM)("the playground in Chromium", () => {
  let server: Server;
  let origin = "";
  let context: BrowserContext;
  let page: Page;
  let profile = "";
  const requests: string[] = [];

  beforeAll(async () => {
    ({ server, origin } = await serve(outDir));
    profile = mkdtempSync(join(tmpdir(), "chromium-profile-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
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
    context.on("request", (r) => requests.push(r.url()));
    page = context.pages()[0] ?? (await context.newPage());
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((ok) => server?.close(ok));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("loads the page", async () => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(origin + "/");
    await expect(page.title()).resolves.toBe("injective-relu playground");
    await page.locator("#verdict[data-verdict]").waitFor();
    expect(await page.locator('[role="tab"]').count()).toBe(4);
    expect(errors).toEqual([]);
  });

  it("shows Figure 2 (left) as not injective, with a witness and hatched regions", async () => {
    await page.selectOption("#preset", "figure2-center");
    await page.locator('#verdict[data-verdict="injective"]').waitFor();
    await page.selectOption("#preset", "figure2-left");
    await page.locator('#verdict[data-verdict="not injective"]').waitFor();
    await expect(page.locator("#verdict strong").textContent()).resolves.toBe("NOT injective");
    const witness = await page.locator("#witness").textContent();
    expect(witness).toMatch(/x₁ = \[.*\].*x₂ = \[.*\]/);
    // The two outputs shown are equal.
    const outputs = [...witness!.matchAll(/F\(x[₁₂]\) = (\[[^\]]*\])/g)].map((m) => m[1]);
    expect(outputs).toHaveLength(2);
    expect(outputs[0]).toBe(outputs[1]);
    expect(await page.locator("#witness-marks circle").count()).toBe(1);
    expect(await page.locator("#witness-marks rect").count()).toBe(1);
    const bad = await page
      .locator(".region-bad")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-active")));
    expect(bad.sort()).toEqual(["0", "1"]);
    await page.locator("#explorer").screenshot({ path: join(ARTIFACTS, "explorer-figure2-left.png") });
    // The whole page at 1280 × 800 (docs/playground.png, shown by the README, is a copy of it).
    await page.screenshot({ path: join(ARTIFACTS, "playground.png") });
  });

  it("decides Figure 2 (left) on the positive quadrant too (injective there)", async () => {
    await page.check('input[name="domain"][value="nonnegative"]');
    await page.locator('#verdict[data-verdict="injective"]').waitFor();
    await expect(page.locator("#verdict").textContent()).resolves.toMatch(/on the positive quadrant/);
    expect(await page.locator(".region-bad").count()).toBe(0);
    await page.check('input[name="domain"][value="all"]');
    await page.locator('#verdict[data-verdict="not injective"]').waitFor();
  });

  it("shows Figure 2 (center) as injective, with its inverse Lipschitz constant", async () => {
    await page.selectOption("#preset", "figure2-center");
    await page.locator('#verdict[data-verdict="injective"]').waitFor();
    expect(await page.locator(".region-bad").count()).toBe(0);
    // C(W) = σ_min(B)/√8 with B = [[2, 1], [1, 3]] (src/core/lipschitz.ts's example): 0.4886.
    await expect(page.locator("#lipschitz").textContent()).resolves.toMatch(/C\(W\) = 0\.488/);
    await page.locator("#explorer").screenshot({ path: join(ARTIFACTS, "explorer-figure2-center.png") });
  });

  it("updates the verdict when an arrow is dragged or moved with the keyboard", async () => {
    const handle = page.locator('circle.handle[data-row="2"]');
    const h = (await handle.boundingBox())!;
    const plane = (await page.locator("#plane").boundingBox())!;
    const [cx, cy] = [plane.x + plane.width / 2, plane.y + plane.height / 2];
    // Row 2 = (−2, −1) dragged to its mirror image (2, 1), parallel to row 0: a wedge sees one row.
    await page.mouse.move(h.x + h.width / 2, h.y + h.height / 2);
    await page.mouse.down();
    await page.mouse.move(cx, cy, { steps: 4 });
    await page.mouse.move(2 * cx - (h.x + h.width / 2), 2 * cy - (h.y + h.height / 2), { steps: 4 });
    await page.mouse.up();
    await page.locator('#verdict[data-verdict="not injective"]').waitFor();
    expect(await page.locator(".region-bad").count()).toBeGreaterThan(0);
    const inputs = page.locator("#rows-body tr:nth-child(3) input");
    const w2 = [Number(await inputs.nth(0).inputValue()), Number(await inputs.nth(1).inputValue())];
    expect(w2[0]).toBeCloseTo(2, 0);
    expect(w2[1]).toBeCloseTo(1, 0);
    // Keyboard: focus the handle and move it back below the line of row 0.
    await handle.focus();
    for (let k = 0; k < 3; k++) await page.keyboard.press("Shift+ArrowDown");
    await expect.poll(async () => Number(await inputs.nth(1).inputValue())).toBeCloseTo(w2[1] - 1.5, 9);
    await expect.poll(() => handle.getAttribute("data-value")).toMatch(/^\([12](\.\d+)?, -0\.\d+\)$/);
  });

  it("loads the other presets with their known verdicts", async () => {
    // The verdict is cleared first, so that each wait is for the new layer's verdict.
    const clear = () => page.locator("#verdict").evaluate((e) => e.removeAttribute("data-verdict"));
    const expectVerdict = async (v: string) => page.locator(`#verdict[data-verdict="${v}"]`).waitFor();
    await clear();
    await page.selectOption("#preset", "corollary2");
    await expectVerdict("injective");
    expect(await page.locator("#rows-body tr").count()).toBe(5);
    await clear();
    await page.selectOption("#preset", "lemma1");
    await expectVerdict("injective"); // although its rows with b ≥ 0 do not give an injective layer
    expect(await page.locator('#rows-body input[aria-label="row 1, bias"]').inputValue()).toBe("-0.5");
    await clear();
    await page.selectOption("#preset", "gaussian");
    await expectVerdict("not injective"); // the draw for m/n = 4, seed 1 is not injective
    await clear();
    await page.fill("#ratio", "1");
    await page.locator("#ratio").dispatchEvent("change");
    await expectVerdict("not injective"); // m = 2 < 2n rows are never injective
    expect(await page.locator("#rows-body tr").count()).toBe(2);
  });

  it("adds and removes rows, and edits a bias", async () => {
    await page.selectOption("#preset", "figure2-center");
    await page.locator('#verdict[data-verdict="injective"]').waitFor();
    await page.click("#add-row");
    expect(await page.locator("#rows-body tr").count()).toBe(5);
    // The table changes at once, the plot on the next animation frame.
    await expect.poll(() => page.locator("circle.handle").count()).toBe(5);
    await page.locator('#verdict[data-verdict="injective"]').waitFor(); // extra rows keep Corollary 2
    // A bias of −1 on row 0 opens a region where neither row of the pair (0, 2) is active.
    await page.locator('#rows-body input[aria-label="row 0, bias"]').fill("-1");
    await page.locator('#verdict[data-verdict="not injective"]').waitFor();
    await page.locator('#rows-body input[aria-label="row 0, bias"]').fill("0");
    await page.locator('#verdict[data-verdict="injective"]').waitFor();
    await page.click('button[aria-label="remove row 4"]');
    expect(await page.locator("#rows-body tr").count()).toBe(4);
    // The table changes at once, the plot on the next animation frame.
    await expect.poll(() => page.locator("circle.handle").count()).toBe(4);
  });

  it("checks uploaded layer files (.json and .npy) with the CLI's verdicts and reports", async () => {
    await page.click("#tab-checker");
    const dir = mkdtempSync(join(tmpdir(), "playground-layers-"));
    try {
      writeFileSync(join(dir, "figure2-left.npy"), writeNpy([4, 2], [1, 0, 0, 1, -1, -2, -2, -1]));
      const files = [
        join(ROOT, "examples/layers/05-corollary2-extra-rows.json"),
        join(ROOT, "examples/layers/12-bias-gap.json"),
        join(dir, "figure2-left.npy"),
      ];
      for (const file of files) {
        await page.setInputFiles("#layer-file", file);
        await page.locator("#layer-report[data-verdict]").waitFor();
        const shown = await page.locator("#layer-report").textContent();
        const name = file.split("/").pop()!;
        const expected = cli(["check", name], dirname(file));
        const json = JSON.parse(cli(["check", name, "--json"], dirname(file)).stdout) as {
          injective: boolean | null;
        };
        expect(await page.locator("#layer-report").getAttribute("data-verdict")).toBe(String(json.injective));
        // Everything but the timing line (Stats) is the CLI's text.
        const strip = (s: string) =>
          s
            .split("\n")
            .filter((l) => !l.startsWith("Stats:"))
            .join("\n")
            .trim();
        expect(strip(shown!)).toBe(strip(expected.stdout));
        await page.locator("#layer-report").evaluate((e) => e.removeAttribute("data-verdict"));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives a bad layer file the CLI's error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "playground-bad-"));
    try {
      for (const [name, text] of [
        ["bad.json", '{"W": [[1, 2], [3]]}'],
        ["broken.json", '{"W": [[1, 2],'],
      ]) {
        writeFileSync(join(dir, name), text);
        await page.setInputFiles("#layer-file", {
          name,
          mimeType: "application/json",
          buffer: Buffer.from(text),
        });
        await page.locator('#layer-report[data-verdict="error"]').waitFor();
        const expected = cli(["check", name], dir);
        expect(expected.status).toBe(3);
        expect(await page.locator("#layer-report").textContent()).toBe(expected.stderr.trim());
        await page.locator("#layer-report").evaluate((e) => e.removeAttribute("data-verdict"));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cancels a long check", async () => {
    // A 100×12 layer well above the threshold (α ≈ 8.3): no collision for a falsifier to find
    // before the click, and its exact proof takes minutes (the CLI is still unknown after 20 s).
    let s = 1;
    const rnd = () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1;
    const W = Array.from({ length: 100 }, () => Array.from({ length: 12 }, rnd));
    await page.setInputFiles("#layer-file", {
      name: "big.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify({ W })),
    });
    await page.locator("#layer-cancel:enabled").waitFor();
    await page.click("#layer-cancel");
    await expect.poll(() => page.locator("#layer-status").textContent()).toBe("cancelled");
    // The checker still works afterwards.
    await page.setInputFiles("#layer-file", join(ROOT, "examples/layers/04-figure2-center.json"));
    await page.locator('#layer-report[data-verdict="true"]').waitFor();
  });

  it("inspects ONNX and TF.js models with the CLI's per-layer verdicts", async () => {
    await page.click("#tab-inspector");
    const models: [string, string[]][] = [
      ["examples/models/torch-injective.onnx", ["examples/models/torch-injective.onnx"]],
      ["examples/models/torch-noninjective.onnx", ["examples/models/torch-noninjective.onnx"]],
      [
        "examples/models/tfjs-injective",
        ["examples/models/tfjs-injective/model.json", "examples/models/tfjs-injective/weights.bin"],
      ],
    ];
    for (const [model, files] of models) {
      await page.locator("#model-verdict").evaluate((e) => e.removeAttribute("data-verdict"));
      await page.setInputFiles(
        "#model-file",
        files.map((f) => join(ROOT, f)),
      );
      await page.locator("#model-verdict[data-verdict]").waitFor({ timeout: 30_000 });
      const expected = JSON.parse(cli(["check", model, "--json"]).stdout) as {
        conclusion: string;
        layers: { injective: boolean | null }[];
      };
      expect(await page.locator("#model-verdict").getAttribute("data-verdict")).toBe(expected.conclusion);
      const rows = await page
        .locator("#model-layers tr")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-verdict")));
      expect(rows).toEqual(expected.layers.map((l) => String(l.injective)));
    }
  });

  it("shows a generator's sample G(z) beside its inversion from a noisy copy", async () => {
    await page.setInputFiles("#model-file", join(ROOT, "examples/models/mnist-dcgan32-generator.onnx"));
    await page.locator("#model-sample:not([hidden])").waitFor();
    // The whole-network check of this 32 → 1024 DCGAN takes minutes: the sample does not wait for it.
    await page.click("#model-cancel");
    await page.selectOption("#sample-noise", "0.05");
    await page.click("#sample-run");
    await page.locator("#sample-summary[data-status]").waitFor({ timeout: 40_000 });
    const summary = page.locator("#sample-summary");
    expect(await summary.getAttribute("data-status")).toMatch(/^(unique|found)$/);
    // With 5% noise on the image, z comes back within 20% and G(ẑ) closer to G(z) than the noisy copy.
    const [zErr, yErr, noise] = await Promise.all(
      ["data-z-error", "data-y-error", "data-noise"].map(async (a) => Number(await summary.getAttribute(a))),
    );
    expect(noise).toBeGreaterThan(0.03);
    expect(zErr).toBeLessThan(0.2);
    expect(yErr).toBeLessThan(noise);
    expect(
      await page.locator("#sample-recovered").evaluate((c) => (c as unknown as { width: number }).width),
    ).toBe(32);
    await page.locator("#model-sample").screenshot({ path: join(ARTIFACTS, "generator-inversion.png") });
  });

  it("draws the phase-transition chart", async () => {
    await page.click("#tab-phase");
    await page.locator('#phase-chart[data-ready="true"] svg').waitFor({ timeout: 30_000 });
    const text = await page.locator("#phase-chart svg").textContent();
    expect(text).toMatch(/n = 10/);
    expect(text).toMatch(/6\.698/);
    await page.locator("#phase").screenshot({ path: join(ARTIFACTS, "phase-chart.png") });
    // The menu highlights one n: the other curves fade.
    const faded = () => page.locator('#phase-chart svg [opacity="0.15"]').count();
    expect(await faded()).toBe(0);
    await page.locator("#phase-chart select").selectOption({ label: "n = 5" });
    await expect.poll(faded).toBeGreaterThan(50);
  });

  it("fits a phone-sized viewport", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click("#tab-explorer");
    await page.locator("#verdict[data-verdict]").waitFor();
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, "phone.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("requested nothing outside its own origin", () => {
    expect(requests.length).toBeGreaterThan(3);
    const outside = requests.filter((u) => !u.startsWith(origin + "/") && !/^(data|blob):/.test(u));
    expect(outside).toEqual([]);
  });
});
