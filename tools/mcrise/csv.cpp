#include "csv.hpp"

#include <csv.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise::cli {

namespace {

struct Rows {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
};

void on_field(void* field, std::size_t len, void* data) {
  static_cast<Rows*>(data)->row.emplace_back(static_cast<const char*>(field), len);
}

void on_row(int, void* data) {
  auto* r = static_cast<Rows*>(data);
  r->rows.push_back(std::move(r->row));
  r->row.clear();
}

}  // namespace

std::vector<std::vector<std::string>> parse_csv(const std::string& text, const std::string& name) {
  csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) throw std::runtime_error("cannot start the CSV parser");
  Rows r;
  const std::size_t used = csv_parse(&p, text.data(), text.size(), on_field, on_row, &r);
  int err = used == text.size() ? 0 : csv_error(&p);
  if (err == 0 && csv_fini(&p, on_field, on_row, &r) != 0) err = csv_error(&p);
  csv_free(&p);
  if (err != 0)
    throw std::runtime_error("'" + name + "' is not valid CSV: " + csv_strerror(err) + " after " +
                             std::to_string(r.rows.size()) + " rows");
  return std::move(r.rows);
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    const std::string& f = fields[i];
    const bool quote = f.find_first_of(",\"\r\n") != std::string::npos ||
                       (!f.empty() && (f.front() == ' ' || f.front() == '\t' || f.back() == ' ' || f.back() == '\t'));
    if (!quote) {
      out += f;
      continue;
    }
    std::string q(f.size() * 2 + 2, '\0');
    q.resize(csv_write(q.data(), q.size(), f.data(), f.size()));
    out += q;
  }
  return out + '\n';
}

}  // namespace mcrise::cli
