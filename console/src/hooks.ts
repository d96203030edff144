import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` now and every `everyMillis` (0: once) while the component is shown; `path` undefined: nothing. */
export function usePolled<T>(path: string | undefined, everyMillis = 0): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [path]);
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      setLoading(true);
      try {
        const v = await api.get<T>(path);
        if (!live) return;
        setData(v);
        setError(undefined);
      } catch (e) {
        if (live) setError((e as Error).message);
      } finally {
        if (live) {
          setLoading(false);
          if (everyMillis > 0) timer = setTimeout(load, everyMillis);
        }
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path, everyMillis, tick]);
  return { data, error, loading, reload };
}

/** The part of the location after `#`, kept in sync with the address bar. */
export function useHashRoute(): string {
  const [hash, setHash] = useState(() => location.hash.replace(/^#/, '') || '/cluster');
  useEffect(() => {
    const on = () => setHash(location.hash.replace(/^#/, '') || '/cluster');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

/** Moves focus to the element (a page's heading) when `key` changes: keyboard and screen-reader users land on the new page. */
export function useFocusOnChange<T extends HTMLElement>(key: string) {
  const ref = useRef<T>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.focus();
  }, [key]);
  return ref;
}
