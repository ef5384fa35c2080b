export function Placeholder({ title }: { title: string }) {
  return (
    <section>
      <header className="page-header">
        <h1>{title}</h1>
      </header>
      <div className="empty">
        <p>Nothing here yet.</p>
      </div>
    </section>
  );
}
