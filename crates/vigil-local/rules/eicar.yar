// Vigil's shipped YARA rules. Loaded by the local sensor at start; users add their own.
// Meta keys Vigil reads: severity (informational|low|medium|high), category, description.

rule EICAR_Test_File
{
    meta:
        description = "EICAR anti-malware test file (harmless, used to test detection)"
        severity = "high"
        category = "Malware"
    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar in (0..128)
}
