// State files: read whole, and replaced atomically (a crash leaves the old file or the new
// one, never half of either).
#pragma once

#include <string>

#include "netaccel/core/result.h"

namespace netaccel {

// The file's text; Errc::not_found (with the path) when it does not exist.
Result<std::string> read_file(const std::string& path);
// Writes path.tmp, syncs it, renames it over path.
Status write_file_atomic(const std::string& path, const std::string& text);

}  // namespace netaccel
