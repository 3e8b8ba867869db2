-- Run once, as the superuser, when the PostgreSQL volume is first initialised. The services
-- sign in as aidledger: no superuser, no role or database creation; it owns its two databases
-- and nothing else. The read models (AID_DATABASE_URL) and the household key store
-- (AID_KEY_STORE_URL) are apart: the keys are backed up on their own.
\getenv aidledger_password AIDLEDGER_DB_PASSWORD
CREATE ROLE aidledger LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'aidledger_password';
CREATE DATABASE aidledger OWNER aidledger;
CREATE DATABASE aidledger_keys OWNER aidledger;
REVOKE ALL ON DATABASE aidledger, aidledger_keys FROM PUBLIC;
