/** The complaints table's secondary indexes, named once for the table (infra) and its readers (shared). */

/** A platform's complaints by status and time (gsi1pk = P#<platform>, gsi1sk = <status>#<time>). */
export const GSI_BY_PLATFORM_STATUS = "byPlatformStatus";

/** Open complaints under their running deadline (sparse; gsi2pk = DUE#<shard>, gsi2sk = due time). */
export const GSI_BY_DEADLINE = "byDeadline";
