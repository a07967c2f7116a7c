#pragma once
#include <string>

#include "config/config.hpp"

namespace passgate::app {
// The config file if one is given, else the embedded defaults. Prints the error
// and returns null when it is invalid.
config::config_ptr load_config_or_report(const std::string& path);
}  // namespace passgate::app
