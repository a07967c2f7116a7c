#include "app/load_config.hpp"

#include <iostream>

namespace passgate::app {
config::config_ptr load_config_or_report(const std::string& path) {
  try {
    auto c = path.empty() ? config::defaults() : config::load_file(path);
    return std::make_shared<const config::config>(std::move(c));
  } catch (const config::config_error& e) {
    std::cerr << "passgate: invalid configuration: " << e.what() << "\n";
    return nullptr;
  }
}
}  // namespace passgate::app
