// One JSON WebSocket to the app (CTI or wallboard), reconnecting with backoff. The session
// cookie goes with the handshake (same origin), so no token sits in the URL.
import { useCallback, useEffect, useRef, useState } from "react";

import { socketUrl } from "./state";

type Json = Record<string, unknown>;

export interface LiveSocket {
  open: boolean;
  /** Close code of the last refusal (4401 / 4403 / 4404): the server will not change its mind. */
  refused: number | null;
  send: (message: Json) => boolean;
}

const REFUSALS = new Set([4400, 4401, 4403, 4404]);

export function useLiveSocket(path: string, onMessage: (message: Json) => void): LiveSocket {
  const [open, setOpen] = useState(false);
  const [refused, setRefused] = useState<number | null>(null);
  const socketRef = useRef<WebSocket | null>(null);
  const handler = useRef(onMessage);
  handler.current = onMessage;

  useEffect(() => {
    let stopped = false;
    let delay = 500;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      const ws = new WebSocket(socketUrl(path, window.location));
      socketRef.current = ws;
      ws.onopen = () => {
        delay = 500;
        setOpen(true);
      };
      ws.onmessage = (event) => {
        try {
          handler.current(JSON.parse(String(event.data)) as Json);
        } catch {
          // not JSON: ignore
        }
      };
      ws.onclose = (event) => {
        setOpen(false);
        if (stopped) return;
        if (REFUSALS.has(event.code)) {
          setRefused(event.code);
          return;
        }
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10_000);
      };
    };
    connect();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      socketRef.current?.close();
    };
  }, [path]);

  const send = useCallback((message: Json) => {
    const ws = socketRef.current;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }, []);

  return { open, refused, send };
}

/** A clock that re-renders every second (timers on the state bar and wallboard). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}
