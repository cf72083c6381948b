// Calling a command from a screen: busy while it runs, then its answer or its error as
// the screens show errors, and only the latest call's answer counts. The error type the
// app's commands throw is named here and nowhere else.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { FieldError } from "./bindings/FieldError";

/** What the app's commands reject with (generated from Rust); the one name to change if that type changes. */
type Thrown = ErrorReport;

/** An error as the screens show it: a stable code, a sentence, what to do next (or
 * null), and for bad input the fields and rules (empty otherwise). */
export type UiError = Omit<Thrown, "hint" | "fields"> & { hint: string | null; fields: FieldError[] };

/** Any rejection as a UiError: a command's error keeps what it says; anything else is `internal`. */
export function toUiError(e: unknown): UiError {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const t = e as Partial<Thrown> & Pick<Thrown, "code" | "message">;
    return { ...t, hint: t.hint ?? null, fields: t.fields ?? [] } as UiError;
  }
  return { code: "internal", message: String(e), hint: null, fields: [] };
}

/** Bad input the page finds itself, before asking the Rust side. */
export function inputError(fields: FieldError[], message: string): UiError {
  return { code: "invalid-input", message, hint: null, fields };
}

/** A call's outcome: its value, its error, or (error null) superseded by a later call or a reset. */
export type Answer<T> = { ok: true; value: T } | { ok: false; error: UiError | null };

type State<T> = { busy: boolean; error: UiError | null; result: T | null; called: boolean };

export type Command<A extends unknown[], T> = State<T> & {
  /** Call it (after `delayMs`, if given). Forgets the last answer first, unless `keep`. */
  run: (...args: A) => Promise<Answer<T>>;
  /** Show an error found without calling (a call in flight or waiting is dropped). */
  fail: (error: UiError) => void;
  /** Back to idle: no answer, no error; a call in flight or waiting is dropped. */
  reset: () => void;
};

export type Options = {
  /** Keep the last answer (result and error) shown while the next call runs, and the
   * result after an error: for answers that follow what the person types. */
  keep?: boolean;
  /** Wait this long before calling; a new call in that time replaces this one. */
  delayMs?: number;
};

const idle = { busy: false, error: null, result: null, called: false };
const superseded = { ok: false, error: null } as const;

export function useCommand<A extends unknown[], T>(command: (...args: A) => Promise<T>, options: Options = {}): Command<A, T> {
  const [state, setState] = useState<State<T>>(idle);
  // The latest command and options, so a call started from an effect uses this render's.
  const current = useRef({ command, options });
  current.current = { command, options };
  const latest = useRef(0);
  const waiting = useRef<{ timer: ReturnType<typeof setTimeout>; drop: () => void } | null>(null);

  const actions = useMemo(() => {
    const dropWaiting = () => {
      if (!waiting.current) return;
      clearTimeout(waiting.current.timer);
      waiting.current.drop();
      waiting.current = null;
    };
    const call = (n: number, args: A): Promise<Answer<T>> =>
      new Promise<T>((resolve) => resolve(current.current.command(...args))).then(
        (value) => {
          if (n !== latest.current) return superseded;
          setState((s) => ({ ...s, busy: false, error: null, result: value }));
          return { ok: true, value };
        },
        (e: unknown) => {
          if (n !== latest.current) return superseded;
          const error = toUiError(e);
          setState((s) => ({ ...s, busy: false, error }));
          return { ok: false, error };
        },
      );
    return {
      run: (...args: A): Promise<Answer<T>> => {
        const n = ++latest.current;
        dropWaiting();
        const { keep, delayMs } = current.current.options;
        setState((s) => (keep ? { ...s, busy: true, called: true } : { busy: true, error: null, result: null, called: true }));
        if (!delayMs) return call(n, args);
        return new Promise((resolve) => {
          const timer = setTimeout(() => {
            waiting.current = null;
            resolve(call(n, args));
          }, delayMs);
          waiting.current = { timer, drop: () => resolve(superseded) };
        });
      },
      fail: (error: UiError) => {
        latest.current++;
        dropWaiting();
        const { keep } = current.current.options;
        setState((s) => ({ busy: false, error, result: keep ? s.result : null, called: true }));
      },
      reset: () => {
        latest.current++;
        dropWaiting();
        setState(idle);
      },
    };
  }, []);

  // A call still waiting to be made is not made once the screen is gone.
  useEffect(
    () => () => {
      if (!waiting.current) return;
      clearTimeout(waiting.current.timer);
      waiting.current.drop();
      waiting.current = null;
    },
    [],
  );

  return { ...state, ...actions };
}
