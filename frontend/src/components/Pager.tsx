import { Button, Group, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

interface Props {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
}

/** Previous / next over limit+offset pages, with "1–50 of 120". */
export function Pager({ offset, limit, total, onChange }: Props) {
  const { t } = useTranslation();
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return (
    <Group justify="space-between" mt="sm">
      <Text size="sm" c="dimmed" aria-live="polite">
        {t("common.pageOf", { from, to, total })}
      </Text>
      <Group gap="xs">
        <Button
          variant="default"
          size="xs"
          disabled={offset === 0}
          onClick={() => onChange(Math.max(0, offset - limit))}
        >
          {t("common.previous")}
        </Button>
        <Button
          variant="default"
          size="xs"
          disabled={offset + limit >= total}
          onClick={() => onChange(offset + limit)}
        >
          {t("common.next")}
        </Button>
      </Group>
    </Group>
  );
}
