// i18n: Simplified Chinese and English. The first visit follows the browser's language; a
// choice made in the header is kept in localStorage and wins from then on.
import i18next, { type i18n as I18n } from "i18next";
import { initReactI18next } from "react-i18next";

import en from "./en";
import zhCN from "./zh-CN";

export const LANGUAGES = ["zh-CN", "en"] as const;
export type Language = (typeof LANGUAGES)[number];
export const STORAGE_KEY = "fastline.lang";

export const resources = {
  en: { translation: en },
  "zh-CN": { translation: zhCN },
} as const;

/** Map any browser tag (zh, zh-Hans-CN, zh-TW, en-GB, fr) to a language we have. */
export function pickLanguage(tag: string | null | undefined): Language {
  const lower = (tag ?? "").toLowerCase();
  if (lower.startsWith("zh")) return "zh-CN";
  return "en";
}

/** The remembered choice, else the browser's first language we have, else English. */
export function detectLanguage(): Language {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved) return pickLanguage(saved);
  } catch {
    // storage blocked: fall through to the browser's languages
  }
  const nav = globalThis.navigator;
  const tags = nav?.languages?.length ? nav.languages : [nav?.language];
  const known = tags.find((tag) => tag && /^(zh|en)\b/i.test(tag));
  return pickLanguage(known);
}

export function createI18n(options: { detect?: boolean; lng?: string } = {}): I18n {
  const instance = i18next.createInstance();
  instance.use(initReactI18next);
  const lng = options.lng ? pickLanguage(options.lng) : options.detect ? detectLanguage() : "en";
  void instance.init({
    resources,
    lng,
    fallbackLng: "en",
    supportedLngs: [...LANGUAGES],
    nonExplicitSupportedLngs: false,
    interpolation: { escapeValue: false }, // React escapes
    initAsync: false,
  });
  instance.on("languageChanged", (lng) => {
    if (typeof document !== "undefined") document.documentElement.lang = lng;
  });
  return instance;
}

/** Switch language and remember the choice. */
export async function switchLanguage(instance: I18n, lng: Language): Promise<void> {
  await instance.changeLanguage(lng);
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lng);
  } catch {
    // private mode: the choice lasts for this page only
  }
}
