// Rows of skill name + level (0..10) with add / remove; keyboard operable, labelled per row.
import { ActionIcon, Button, Group, NumberInput, Stack, Text, TextInput } from "@mantine/core";
import { useTranslation } from "react-i18next";

import type { SkillRow } from "./skills";

export function SkillsEditor({
  label,
  rows,
  onChange,
  errors,
  at,
}: {
  label: string;
  rows: SkillRow[];
  onChange: (rows: SkillRow[]) => void;
  errors: Record<string, string>;
  at: string;
}) {
  const { t } = useTranslation();
  const set = (i: number, patch: Partial<SkillRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const err = (path: string) => (errors[path] ? t(`acd.errors.${errors[path]}`) : undefined);
  return (
    <Stack gap={4} role="group" aria-label={label}>
      <Text size="sm" fw={500}>
        {label}
      </Text>
      {rows.length === 0 && (
        <Text size="sm" c="dimmed">
          {t("acd.noSkills")}
        </Text>
      )}
      {rows.map((r, i) => (
        <Group key={i} gap="xs" align="start" wrap="nowrap">
          <TextInput
            aria-label={t("acd.skillName", { n: i + 1 })}
            placeholder={t("acd.skillPlaceholder")}
            value={r.name}
            onChange={(e) => set(i, { name: e.currentTarget.value })}
            error={err(`${at}.${i}.name`)}
            w={180}
          />
          <NumberInput
            aria-label={t("acd.skillLevel", { n: i + 1 })}
            value={r.level}
            onChange={(v) => set(i, { level: v })}
            min={0}
            max={10}
            allowDecimal={false}
            error={err(`${at}.${i}.level`)}
            w={90}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            mt={4}
            aria-label={t("acd.removeSkill", { n: i + 1 })}
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button size="xs" variant="light" onClick={() => onChange([...rows, { name: "", level: 5 }])}>
          {t("acd.addSkill")}
        </Button>
      </Group>
    </Stack>
  );
}
