// The one place the UI talks to Vigil's engine: it wraps the generated bindings so that
// components can be tested with the backend mocked.
import { commands, events, type ApiError, type Overview } from "./bindings";

export type { ApiError, Overview };

/** A failed call: the engine's stable code and its message. */
export class BackendError extends Error {
  readonly code: ApiError["code"];
  constructor(error: ApiError) {
    super(error.message);
    this.code = error.code;
  }
}

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: ApiError };

function unwrap<T>(result: Result<T>): T {
  if (result.status === "error") throw new BackendError(result.error);
  return result.data;
}

export interface Backend {
  overview(): Promise<Overview>;
  dataLocation(): Promise<string>;
  onStoreChanged(listener: (topic: string) => void): Promise<() => void>;
}

export const tauriBackend: Backend = {
  overview: async () => unwrap(await commands.overview()),
  dataLocation: () => commands.dataLocation(),
  onStoreChanged: (listener) => events.storeChanged.listen((event) => listener(event.payload.topic)),
};
