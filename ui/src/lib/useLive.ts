// Loads something from the backend and reloads it whenever the store changes.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Backend } from "../backend";

export type Live<T> = {
  data: T | null;
  error: string | null;
  reload: () => void;
};

export function useLive<T>(backend: Backend, load: () => Promise<T>, deps: unknown[]): Live<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const seq = useRef(0);

  const reload = useCallback(() => {
    const mine = ++seq.current;
    loadRef.current().then(
      (value) => {
        if (mine !== seq.current) return;
        setData(value);
        setError(null);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  }, []);

  useEffect(() => {
    reload();
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    backend
      .onStoreChanged(() => reload())
      .then((stop) => (cancelled ? stop() : (unlisten = stop)))
      .catch(() => undefined);
    return () => {
      cancelled = true;
      unlisten?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend, reload, ...deps]);

  return { data, error, reload };
}
