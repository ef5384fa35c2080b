-- "Waiting for machine" becomes an action state of its own (it was an approved action whose
-- result text began "Waiting for machine: "), with its own investigation status and
-- remediation status.
UPDATE actions
SET state = 'waiting_for_machine',
    result = substr(result, length('Waiting for machine: ') + 1)
WHERE state = 'approved' AND result LIKE 'Waiting for machine: %';

UPDATE evidence
SET remediation_status = 'waiting_for_machine'
WHERE remediation_status = 'pending_approval'
  AND EXISTS (SELECT 1 FROM actions a
              WHERE a.investigation_id = evidence.investigation_id AND a.entity_id = evidence.entity_id
                AND a.state = 'waiting_for_machine');

UPDATE investigations
SET status = 'waiting_for_machine'
WHERE status = 'pending_action'
  AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.investigation_id = investigations.id AND a.state = 'pending')
  AND EXISTS (SELECT 1 FROM actions a WHERE a.investigation_id = investigations.id AND a.state = 'waiting_for_machine');
