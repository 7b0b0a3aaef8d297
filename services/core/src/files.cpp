#include "netaccel/core/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "netaccel/core/unique_fd.h"

namespace netaccel {

Result<std::string> read_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    if (errno == ENOENT) return make_error(Errc::not_found, path + " does not exist");
    return errno_error(errno, "read " + path);
  }
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return errno_error(errno, "read " + path);
  return ss.str();
}

Status write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return errno_error(errno, "write " + tmp);
  for (size_t done = 0; done < text.size();) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      unlink(tmp.c_str());
      return errno_error(err, "write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) < 0) {
    int err = errno;
    unlink(tmp.c_str());
    return errno_error(err, "sync " + tmp);
  }
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) < 0) {
    int err = errno;
    unlink(tmp.c_str());
    return errno_error(err, "rename " + tmp + " to " + path);
  }
  return {};
}

}  // namespace netaccel
