#pragma once
// The PostgreSQL schema as an ordered list of migrations, and the code that
// applies them at open.
#include "store/pg_connection.hpp"

namespace passgate::store::pg {

// The schema version this build writes and understands.
int latest_schema_version();

// Brings the database to latest_schema_version() in one transaction (PostgreSQL's
// DDL is transactional: a failed step leaves the database as it was) that holds
// an advisory lock, so that instances starting at once on an empty database
// migrate exactly once: the others wait for the lock, then find the version
// current and do nothing. Throws if the database is newer than this build.
// Returns the version the database is at.
int migrate(connection& c);

// The version recorded in the database (0: none yet).
int read_version(connection& c);

}  // namespace passgate::store::pg
