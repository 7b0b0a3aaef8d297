#include "stats.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

namespace gazelle {

namespace {
gazelle_stats g_private_counters;
gazelle_stats* g_counters = &g_private_counters;
}  // namespace

gazelle_stats& counters() { return *g_counters; }
void set_counters(gazelle_stats* file_backed) { g_counters = file_backed ? file_backed : &g_private_counters; }

std::string stats_path(const std::string& dir, int pid) {
  return dir + "/lstack-" + std::to_string(pid) + ".stats";
}

StatsFile* StatsFile::create(const std::string& dir, const char* backend, const std::string& ifname,
                             uint32_t host_addr) {
  mkdir(dir.c_str(), 0755);
  std::string path = stats_path(dir, getpid());
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return nullptr;
  if (ftruncate(fd, sizeof(gazelle_stats)) < 0) {
    close(fd);
    unlink(path.c_str());
    return nullptr;
  }
  void* m = mmap(nullptr, sizeof(gazelle_stats), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    unlink(path.c_str());
    return nullptr;
  }
  auto* s = static_cast<gazelle_stats*>(m);
  memset(s, 0, sizeof(*s));
  s->version = GAZELLE_STATS_VERSION;
  s->pid = getpid();
  s->host_addr = host_addr;
  strncpy(s->backend, backend, sizeof(s->backend) - 1);
  strncpy(s->ifname, ifname.c_str(), sizeof(s->ifname) - 1);
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  s->started_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000u + ts.tv_nsec;
  __atomic_store_n(&s->magic, GAZELLE_STATS_MAGIC, __ATOMIC_RELEASE);  // readers check this last
  return new StatsFile(path, s);
}

StatsFile::~StatsFile() {
  if (!path_.empty()) unlink(path_.c_str());
  munmap(s_, sizeof(*s_));
}

}  // namespace gazelle
