// The node types to build with, from the server's catalogue. Drag one onto the canvas (HTML5
// drag and drop), or select one and press Enter / the add button (keyboard users).
import { Button, Stack, Text, UnstyledButton } from "@mantine/core";
import type { DragEvent, KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";

import { paletteSections } from "../catalogue";
import type { NodeTypeOut } from "../types";
import { typeTitle } from "./labels";
import { DRAG_TYPE } from "./view";

interface Props {
  catalogue: NodeTypeOut[];
  selected: string | null;
  onSelect: (type: string) => void;
  onAdd: (type: string) => void;
  disabled?: boolean;
}

export function Palette({ catalogue, selected, onSelect, onAdd, disabled }: Props) {
  const { t } = useTranslation();
  const startDrag = (event: DragEvent, type: string) => {
    event.dataTransfer.setData(DRAG_TYPE, type);
    event.dataTransfer.setData("text/plain", type);
    event.dataTransfer.effectAllowed = "copy";
  };
  const onKey = (event: KeyboardEvent, type: string) => {
    if (event.key === "Enter") {
      event.preventDefault();
      onAdd(type);
    }
  };
  return (
    <nav className="ivr-palette" aria-label={t("ivr.palette.title")} data-testid="ivr-palette">
      <Text fw={700} size="sm">
        {t("ivr.palette.title")}
      </Text>
      <Text size="xs" c="dimmed" id="ivr-palette-hint" mb="xs">
        {t("ivr.palette.hint")}
      </Text>
      {paletteSections(catalogue).map((section) => (
        <div key={section.group} role="group" aria-label={t(`ivr.palette.groups.${section.group}`)}>
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" mt="xs" mb={4}>
            {t(`ivr.palette.groups.${section.group}`)}
          </Text>
          <Stack gap={4}>
            {section.items.map((item) => (
              <UnstyledButton
                key={item.type}
                className="ivr-palette__item"
                data-testid={`palette-${item.type}`}
                aria-pressed={selected === item.type}
                aria-describedby="ivr-palette-hint"
                title={item.description}
                draggable={!disabled}
                disabled={disabled}
                onDragStart={(event) => startDrag(event, item.type)}
                onClick={() => onSelect(item.type)}
                onDoubleClick={() => onAdd(item.type)}
                onKeyDown={(event) => onKey(event, item.type)}
              >
                {typeTitle(t, item.type, item)}
              </UnstyledButton>
            ))}
          </Stack>
        </div>
      ))}
      <Button mt="sm" size="xs" fullWidth disabled={disabled || !selected} onClick={() => selected && onAdd(selected)}>
        {t("ivr.palette.add")}
      </Button>
    </nav>
  );
}
