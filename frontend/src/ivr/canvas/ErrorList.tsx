// Every validation error in one list; a click selects the node it names.
import { List, Text, UnstyledButton } from "@mantine/core";
import { useTranslation } from "react-i18next";

import type { FlowError } from "../types";

interface Props {
  errors: FlowError[];
  onPick: (nodeId: string) => void;
  nodeName: (id: string) => string;
}

export function ErrorList({ errors, onPick, nodeName }: Props) {
  const { t } = useTranslation();
  if (errors.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t("ivr.editor.valid")}
      </Text>
    );
  }
  return (
    <List size="sm" spacing={6} listStyleType="none" data-testid="ivr-error-list">
      {errors.map((error, i) => (
        <List.Item key={i} c="red">
          {error.nodeId ? (
            <UnstyledButton onClick={() => onPick(error.nodeId!)} className="ivr-error-link">
              <Text span fw={600} size="sm">
                {nodeName(error.nodeId)}
                {error.exit ? ` · ${error.exit}` : ""}:
              </Text>{" "}
              {error.message}
            </UnstyledButton>
          ) : (
            <>
              <Text span fw={600} size="sm">
                {t("ivr.editor.flowErrors")}:
              </Text>{" "}
              {error.message}
            </>
          )}
        </List.Item>
      ))}
    </List>
  );
}
