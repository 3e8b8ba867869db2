-- Run once, when the PostgreSQL volume is first initialised: the household key store's own
-- database (AID_KEY_STORE_URL), apart from the read models (AID_DATABASE_URL).
CREATE DATABASE aidledger_keys OWNER aidledger;
