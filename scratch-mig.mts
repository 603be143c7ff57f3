import { migrateUp } from './src/db/migrate.ts';
import { silentLogger } from './src/lib/logger.ts';
await migrateUp(process.argv[2]!, silentLogger);
