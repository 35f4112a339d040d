/**
 * The new database's default title, on its own: `drox-backup notion init` shows it in its help,
 * and registering the command must not load the Notion client (./schema.ts re-exports it).
 */
export const DATABASE_TITLE = "백업 로그";
