-- Export the read-only transaction's snapshot so pg_dump sees exactly what the samples see.
SELECT pg_export_snapshot()
