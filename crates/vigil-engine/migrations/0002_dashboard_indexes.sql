-- Machines at risk and the dashboard stay fast with 100,000 investigations: small partial
-- indexes over what is still open (active alerts, malicious evidence not yet remediated).
-- Queries must repeat these WHERE clauses word for word for SQLite to use them.
CREATE INDEX alerts_active ON alerts (machine_id, severity) WHERE status <> 'resolved';
CREATE INDEX evidence_unremediated ON evidence (entity_id)
    WHERE verdict = 'malicious' AND remediation_status NOT IN ('remediated', 'not_found');
