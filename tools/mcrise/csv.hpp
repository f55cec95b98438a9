#pragma once
/// @file csv.hpp
/// @brief CSV rows in and out through libcsv (Debian libcsv-dev), RFC 4180 quoting.

#include <string>
#include <vector>

namespace mcrise::cli {

/// @brief The rows of a CSV text, each a list of fields (blank lines are skipped).
/// @param text the file's content
/// @param name the file's name, for messages
/// @throws std::runtime_error naming the file if the text is not valid CSV (e.g. an unclosed quote).
std::vector<std::vector<std::string>> parse_csv(const std::string& text, const std::string& name);

/// @brief One CSV line of `fields`, ending in '\n'; a field holding a comma, a quote, a line break
///        or outer spaces is quoted (quotes doubled), others are written as they are.
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace mcrise::cli
