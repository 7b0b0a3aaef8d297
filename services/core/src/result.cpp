#include "netaccel/core/result.h"

namespace netaccel {
namespace {
class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "netaccel"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::invalid_argument: return "invalid argument";
      case Errc::not_found: return "not found";
      case Errc::already_exists: return "already exists";
      case Errc::unsupported: return "not supported";
      case Errc::permission_denied: return "permission denied";
      case Errc::parse_error: return "parse error";
    }
    return "unknown netaccel error";
  }
};
}  // namespace

const std::error_category& netaccel_category() noexcept {
  static const Category c;
  return c;
}
}  // namespace netaccel
