// The admin API and CLI through the real binary (issues 4 and 5). Being written.
#include "support/e2e.hpp"
