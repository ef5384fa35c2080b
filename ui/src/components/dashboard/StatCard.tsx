export function StatCard({
  id,
  label,
  value,
  tone,
}: {
  id: string;
  label: string;
  value: number;
  tone?: "warn";
}) {
  return (
    <div className={tone ? `stat ${tone}` : "stat"} data-stat={id}>
      <div className="stat-value">{value.toLocaleString()}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
