import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import en from "./en";
import { createI18n, detectLanguage, pickLanguage, STORAGE_KEY, switchLanguage } from "./index";
import zhCN from "./zh-CN";

function keys(obj: unknown, prefix = ""): string[] {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

class MemoryStorage {
  private items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

describe("i18n", () => {
  beforeEach(() => {
    (globalThis as { localStorage?: unknown }).localStorage = new MemoryStorage();
  });
  afterEach(() => {
    delete (globalThis as { localStorage?: unknown }).localStorage;
    vi.unstubAllGlobals();
  });

  it("follows the browser's languages on a first visit", () => {
    vi.stubGlobal("navigator", { languages: ["de-DE", "zh-CN", "en"], language: "de-DE" });
    expect(detectLanguage()).toBe("zh-CN");
    vi.stubGlobal("navigator", { languages: ["en-US"], language: "en-US" });
    expect(detectLanguage()).toBe("en");
  });

  it("has the same keys in Chinese and English", () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
  });

  it("maps browser language tags to the two languages it has", () => {
    expect(pickLanguage("zh")).toBe("zh-CN");
    expect(pickLanguage("zh-Hans-CN")).toBe("zh-CN");
    expect(pickLanguage("zh-TW")).toBe("zh-CN");
    expect(pickLanguage("en-GB")).toBe("en");
    expect(pickLanguage("fr-FR")).toBe("en");
    expect(pickLanguage(undefined)).toBe("en");
  });

  it("translates navigation and interpolates values", () => {
    const i18n = createI18n({ lng: "zh-CN" });
    expect(i18n.t("nav.users")).toBe("用户与角色");
    expect(i18n.t("dashboard.title", { name: "王芳" })).toBe("欢迎，王芳");
  });

  it("switches language and remembers the choice", async () => {
    const i18n = createI18n({ lng: "en" });
    expect(i18n.t("nav.audit")).toBe("Audit log");
    await switchLanguage(i18n, "zh-CN");
    expect(i18n.language).toBe("zh-CN");
    expect(i18n.t("nav.audit")).toBe("审计日志");
    expect(localStorage.getItem(STORAGE_KEY)).toBe("zh-CN");
  });

  it("starts in the remembered language over the browser's", () => {
    localStorage.setItem(STORAGE_KEY, "zh-CN");
    vi.stubGlobal("navigator", { languages: ["en-US"], language: "en-US" });
    const i18n = createI18n({ detect: true });
    expect(i18n.language).toBe("zh-CN");
    expect(i18n.t("common.signOut")).toBe("退出登录");
  });
});
