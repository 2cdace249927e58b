import { Alert } from "@mantine/core";
import { useTranslation } from "react-i18next";

import { problemMessage } from "../api/problem";

/** Shows an API problem's detail (RFC 9457) where the user was working. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <Alert color="red" title={title} role="alert" data-testid="problem">
      {problemMessage(error, t)}
    </Alert>
  );
}
