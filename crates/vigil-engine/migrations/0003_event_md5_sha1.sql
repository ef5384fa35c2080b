-- Threat intelligence often names files by MD5 or SHA-1 (vendor reports, older feeds), and
-- Sysmon writes the hashes its configuration asks for. Events keep them beside the SHA-256
-- so that such indicators match at import and when a list comes after the telemetry.
-- No index: looking a list up scans the events once, and ingest stays as fast as before.
ALTER TABLE events ADD COLUMN md5 TEXT;
ALTER TABLE events ADD COLUMN sha1 TEXT;
