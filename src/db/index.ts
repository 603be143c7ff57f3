// The database: pool, migrations, advisory locks, the runs ledger, spider locks, SQL files and COPY text.
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { copyJson, copyRow, copyText } from './copy-text.ts';
export { createDatabaseIfMissing, type Database, openDatabase } from './database.ts';
export { LOCK, lockForTransaction, lockSourcesForWrite, takeLockPatiently, unlock, unlockAll } from './locks.ts';
export { cancelRunningStatement, inReadSnapshot, without } from './session.ts';
export { applyMarts } from './apply-marts.ts';
export { closeRun, failRun, openRun } from './runs.ts';
export { lockSpiders } from './spider-lock.ts';
export { SQL_DIR, sqlQuery } from './sql-file.ts';
