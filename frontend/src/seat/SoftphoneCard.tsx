// SEAT-1 WebRTC seat: JsSIP softphone. Keyboard: every control is a button or a field; Alt+A
// answers, Alt+H hangs up, digits typed on the keypad send DTMF.
import { Badge, Button, Card, Group, PasswordInput, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useHotkeys } from "@mantine/hooks";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import {
  defaultServer,
  dialTarget,
  type PhoneSnapshot,
  rememberServer,
  Softphone,
  storedPassword,
  storePassword,
} from "./phone";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const REGISTRATION_COLOR = { registered: "green", registering: "yellow", failed: "red", unregistered: "gray" };

export function SoftphoneCard({
  extension,
  tenant,
  onCallKey,
}: {
  extension: string | null;
  tenant: string;
  /** Told the platform's id of each call the phone rings with (for the wrap-up form). */
  onCallKey?: (key: string) => void;
}) {
  const { t } = useTranslation();
  const audioRef = useRef<HTMLAudioElement | null>(null);
  const [phone] = useState(() => new Softphone(() => audioRef.current));
  const [snap, setSnap] = useState<PhoneSnapshot>(phone.state);
  const [server, setServer] = useState(() => defaultServer(window.location));
  const [domain, setDomain] = useState(`${tenant.toLowerCase()}.sip.fastline.local`);
  const [password, setPassword] = useState("");
  const [target, setTarget] = useState("");

  useEffect(() => phone.subscribe(setSnap), [phone]);
  useEffect(() => {
    if (snap.callKey) onCallKey?.(snap.callKey);
  }, [snap.callKey, onCallKey]);
  useEffect(() => () => phone.stop(), [phone]);
  useEffect(() => {
    if (!extension) return;
    const saved = storedPassword(extension);
    setPassword(saved);
  }, [extension]);

  useHotkeys([
    ["alt+a", () => phone.answer()],
    ["alt+h", () => phone.hangup()],
  ]);

  if (!extension) {
    return (
      <Card withBorder>
        <Title order={2} size="h3">
          {t("seat.phone.title")}
        </Title>
        <Text c="dimmed">{t("seat.phone.noExtension")}</Text>
      </Card>
    );
  }

  const register = (event: FormEvent) => {
    event.preventDefault();
    storePassword(extension, password);
    rememberServer(server);
    phone.register({ server, domain, extension, password });
  };
  const dial = (event: FormEvent) => {
    event.preventDefault();
    const uri = dialTarget(target, domain);
    if (uri) phone.call(uri);
  };
  const inCall = snap.phase === "active" || snap.phase === "calling";
  const statusText =
    snap.registration === "failed"
      ? t("seat.phone.failed", { cause: snap.cause })
      : t(`seat.phone.${snap.registration}`);

  return (
    <Card withBorder data-testid="softphone">
      <audio ref={audioRef} autoPlay data-testid="remote-audio" />
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h3">
          {t("seat.phone.title")} · {extension}
        </Title>
        <Badge
          color={REGISTRATION_COLOR[snap.registration]}
          data-testid="sip-registration"
          data-state={snap.registration}
          role="status"
        >
          {statusText}
        </Badge>
      </Group>
      <Stack gap="sm">
        <form onSubmit={register}>
          <Stack gap="xs">
            <TextInput label={t("seat.phone.server")} value={server} onChange={(e) => setServer(e.currentTarget.value)} />
            <TextInput label={t("seat.phone.domain")} value={domain} onChange={(e) => setDomain(e.currentTarget.value)} />
            <PasswordInput
              label={t("seat.phone.password")}
              description={t("seat.phone.passwordHint", { ext: extension })}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              autoComplete="off"
            />
            <Group>
              <Button type="submit" disabled={!password || !server}>
                {t("seat.phone.connect")}
              </Button>
              {snap.registration !== "unregistered" && (
                <Button variant="default" onClick={() => phone.stop()}>
                  {t("seat.phone.disconnect")}
                </Button>
              )}
            </Group>
          </Stack>
        </form>

        <Text data-testid="call-status" data-phase={snap.phase} aria-live="polite">
          {snap.phase === "incoming" && t("seat.phone.incoming", { from: snap.peer })}
          {snap.phase === "calling" && t("seat.phone.calling", { peer: snap.peer })}
          {snap.phase === "active" && t("seat.phone.inCall", { peer: snap.peer })}
          {snap.phase === "ended" && t("seat.phone.ended", { cause: snap.endCause })}
          {snap.phase === "idle" && t("seat.phone.idle")}
        </Text>
        {snap.stats && (
          <Text size="sm" c="dimmed" data-testid="media-stats" data-sent={snap.stats.packetsSent} data-received={snap.stats.packetsReceived}>
            RTP ↑ {snap.stats.packetsSent} ↓ {snap.stats.packetsReceived}
          </Text>
        )}
        <Group>
          {snap.phase === "incoming" && (
            <Button color="green" onClick={() => phone.answer()} aria-keyshortcuts="Alt+A">
              {t("seat.phone.answer")}
            </Button>
          )}
          {(inCall || snap.phase === "incoming") && (
            <Button color="red" onClick={() => phone.hangup()} aria-keyshortcuts="Alt+H">
              {t("seat.phone.hangup")}
            </Button>
          )}
          {snap.phase === "active" && (
            <>
              <Button variant="light" onClick={() => phone.toggleHold()} aria-pressed={snap.held}>
                {snap.held ? t("seat.phone.resume") : t("seat.phone.hold")}
              </Button>
              <Button variant="light" onClick={() => phone.toggleMute()} aria-pressed={snap.muted}>
                {snap.muted ? t("seat.phone.unmute") : t("seat.phone.mute")}
              </Button>
            </>
          )}
        </Group>

        <form onSubmit={dial}>
          <Group align="end">
            <TextInput
              label={t("seat.phone.target")}
              value={target}
              onChange={(e) => setTarget(e.currentTarget.value)}
              inputMode="tel"
            />
            <Button type="submit" disabled={snap.registration !== "registered" || inCall || !dialTarget(target, domain)}>
              {t("seat.phone.dial")}
            </Button>
          </Group>
        </form>

        <div>
          <Text size="sm" fw={600}>
            {t("seat.phone.dtmf")}
          </Text>
          <SimpleGrid cols={3} w={180} spacing={4} role="group" aria-label={t("seat.phone.dtmf")}>
            {KEYS.map((key) => (
              <Button key={key} variant="default" size="xs" disabled={snap.phase !== "active"} onClick={() => phone.dtmf(key)}>
                {key}
              </Button>
            ))}
          </SimpleGrid>
        </div>

      </Stack>
    </Card>
  );
}
