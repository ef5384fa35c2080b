export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function LoadError({ error }: { error: string }) {
  return (
    <p className="error" role="alert">
      Vigil could not read its store: {error}. Check the data location in Settings and restart.
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="empty-row">{children}</p>;
}
