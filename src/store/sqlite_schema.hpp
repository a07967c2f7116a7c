#pragma once
// The SQLite schema as an ordered list of migrations, and the code that applies
// them at open.
#include "store/sqlite_statement.hpp"

namespace passgate::store::sqlite {

// The schema version this build writes and understands.
int latest_schema_version();

// Brings the database to latest_schema_version(), one transaction per step, so that
// a failed step leaves the database at the previous version. Safe when several
// processes open the same new file at once: each step re-reads the version under
// the write lock. Throws if the database is newer than this build.
void migrate(connection& c);

}  // namespace passgate::store::sqlite
