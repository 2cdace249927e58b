import { SegmentedControl } from "@mantine/core";
import { useTranslation } from "react-i18next";

import { switchLanguage, type Language } from "../i18n";

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const current: Language = i18n.language === "zh-CN" ? "zh-CN" : "en";
  return (
    <SegmentedControl
      size="xs"
      aria-label={t("lang.label")}
      value={current}
      onChange={(value) => void switchLanguage(i18n, value as Language)}
      data={[
        { value: "zh-CN", label: t("lang.zh") },
        { value: "en", label: t("lang.en") },
      ]}
    />
  );
}
