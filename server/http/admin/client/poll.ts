import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** How often the numbers refresh (while the tab is visible). */
export const POLL_MS = 3_000;

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** When the data was last loaded (ms since the epoch). */
  at: number | undefined;
  /** Load again now (after a change the operator made). */
  reload: () => void;
}

/**
 * Loads `load()` now and every POLL_MS after the previous load ended, while the page is
 * visible; a failure keeps the last data and says what went wrong.
 */
export function usePoll<T>(load: () => Promise<T>): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; at?: number }>({});
  const loader = useRef(load);
  loader.current = load;
  const tick = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    const run = async () => {
      if (stopped || running) return;
      running = true;
      clearTimeout(timer);
      try {
        const data = await loader.current();
        if (!stopped) setState({ data, at: Date.now() });
      } catch (err) {
        if (!stopped) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
      } finally {
        running = false;
        if (!stopped) timer = setTimeout(() => void (document.hidden ? schedule() : run()), POLL_MS);
      }
    };
    const schedule = () => {
      timer = setTimeout(() => void (document.hidden ? schedule() : run()), POLL_MS);
    };
    tick.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  const reload = useCallback(() => tick.current(), []);
  return { data: state.data, error: state.error, at: state.at, reload };
}
